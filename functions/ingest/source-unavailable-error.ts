/** Why a reachable-in-principle source could not be read just now. */
export type SourceUnavailableKind = 'network' | 'timeout' | 'server';

/**
 * A transient failure reading a source (connection refused or dropped, no bytes for too long, HTTP 5xx,
 * 408 or 429). Unlike `IngestInputError` it is retried: activities rethrow it as is, so Temporal repeats
 * the activity under its retry policy, and a download resumes from its partial file.
 *
 * @example
 * throw new SourceUnavailableError('server', 'https://cdn.example/v.mp4', 503, 'HTTP 503');
 */
export class SourceUnavailableError extends Error {
  constructor(
    readonly kind: SourceUnavailableKind,
    readonly input: string,
    readonly status: number | null,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`${input}: ${reason}`, options);
    this.name = 'SourceUnavailableError';
  }
}
