/** Why an input could not be ingested. Every kind is the user's to fix, so none is retried. */
export type IngestInputErrorKind =
  | 'missing'
  | 'unreadable'
  | 'unreachable'
  | 'unsupported-source'
  | 'not-media'
  | 'truncated'
  | 'no-audio'
  | 'bad-chat'
  | 'bad-id';

/**
 * A bad input: its message is one line naming the input and the reason. Activities turn it into a
 * non-retryable failure; the CLI into exit code 2.
 *
 * @example
 * throw new IngestInputError('not-media', '/data/x.mp4', 'ffprobe found no audio or video stream');
 */
export class IngestInputError extends Error {
  constructor(
    readonly kind: IngestInputErrorKind,
    readonly input: string,
    reason: string,
  ) {
    super(`${input}: ${reason}`);
    this.name = 'IngestInputError';
  }
}
