/**
 * A media tool (espeak-ng, ffmpeg, ffprobe) that is missing or failed. `kind` says which, so callers
 * branch on it rather than on message text.
 *
 * @example
 * throw new SampleToolError('missing', 'ffmpeg', 'ffmpeg not found on PATH (install the ffmpeg package)');
 */
export class SampleToolError extends Error {
  constructor(
    readonly kind: 'missing' | 'failed',
    readonly tool: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'SampleToolError';
  }
}

/** Turns an execa failure into a one-line SampleToolError naming the tool and what it said. */
export function toolError(tool: string, error: unknown): SampleToolError {
  const e = error as { code?: string; stderr?: unknown; shortMessage?: string };
  if (e.code === 'ENOENT') {
    return new SampleToolError('missing', tool, `${tool} not found on PATH (install the ${tool} package)`, { cause: error });
  }
  const stderr = typeof e.stderr === 'string' ? e.stderr.trim().split('\n').at(-1) : '';
  return new SampleToolError('failed', tool, `${tool} failed: ${stderr || e.shortMessage || String(error)}`, { cause: error });
}
