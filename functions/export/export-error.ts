export type ExportErrorKind = 'run' | 'base' | 'prompt-spec' | 'out' | 'merge';

/** An export the user can fix, named in one line. */
export class ExportError extends Error {
  override name = 'ExportError';
  constructor(
    readonly kind: ExportErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
