/** Why a file cannot be read as chat at all (as opposed to single bad records, which are rejects). */
export type ChatFormatErrorKind =
  | 'empty'
  | 'truncated'
  | 'binary'
  | 'malformed'
  | 'unknown-shape'
  | 'missing-vod-start'
  | 'missing-vod-id'
  | 'unreadable';

/**
 * The one error type of chat normalization: the whole file is unusable. Ingest turns it into a
 * non-retryable failure, the CLI into exit code 2. Branch on `kind`, not on the message.
 *
 * @example
 * throw new ChatFormatError('empty', '/data/chat.json', 'file is empty');
 * // message: "/data/chat.json: file is empty"
 */
export class ChatFormatError extends Error {
  constructor(
    readonly kind: ChatFormatErrorKind,
    readonly path: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`${path}: ${reason}`, options);
    this.name = 'ChatFormatError';
  }
}
