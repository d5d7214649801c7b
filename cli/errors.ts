/**
 * A failure the user can act on: printed as one line, exit code 1 (2 for bad input).
 *
 * @example
 * throw new UserError('sample.mp4: not a media file (ffprobe found no streams)', 2);
 */
export class UserError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'UserError';
  }
}

/** Prints one line naming what failed and exits non-zero; stack traces only with DOUGPT_DEBUG=1. */
export function exitWithError(error: unknown): never {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`dougpt: ${message.split('\n')[0]}\n`);
  if (process.env.DOUGPT_DEBUG === '1' && error instanceof Error) process.stderr.write(`${error.stack}\n`);
  process.exit(error instanceof UserError ? error.exitCode : 1);
}
