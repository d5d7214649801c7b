/** Why a lake operation failed; branch on `kind`, never on message text. */
export type CatalogErrorKind = 'conflict' | 'unreachable' | 'read-only' | 'bad-query' | 'missing-setup' | 'failed';

/**
 * The one error type of the catalog boundary (DuckDB + Iceberg REST + object storage behind it).
 *
 * @example
 * if (error instanceof CatalogError && error.kind === 'conflict') retry();
 */
export class CatalogError extends Error {
  constructor(
    readonly kind: CatalogErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'CatalogError';
  }
}

/**
 * Maps a DuckDB error to a CatalogError. DuckDB reports only a message with a type prefix, so this is
 * the one place that reads message text; everything else branches on `kind`.
 */
export function classifyDuckdbError(error: unknown): CatalogError {
  if (error instanceof CatalogError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const first = message.split('\n')[0] ?? message;
  if (/read-only mode|attached in read-only/i.test(message)) return new CatalogError('read-only', first, { cause: error });
  if (/\b409\b|CommitFailed|conflict|Requirement failed/i.test(message)) return new CatalogError('conflict', first, { cause: error });
  if (/Could not establish connection|Connection refused|Couldn't connect|Failed to connect|HTTP error/i.test(message)) {
    return new CatalogError('unreachable', first, { cause: error });
  }
  if (/^(Parser|Binder|Catalog) Error/i.test(first)) return new CatalogError('bad-query', first, { cause: error });
  return new CatalogError('failed', first, { cause: error });
}
