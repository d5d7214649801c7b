import { IngestInputError } from './ingest-error.ts';
import { SourceUnavailableError } from './source-unavailable-error.ts';

/** How long a request may go without a byte (headers or body) before it counts as timed out. */
export const IDLE_TIMEOUT_MS = 60_000;

export interface HttpRequestOptions {
  signal?: AbortSignal;
  headers?: Record<string, string>;
  idleTimeoutMs?: number;
}

/** An open response whose body must be read through `chunks`, which keeps the idle watchdog fed. */
export interface HttpSource {
  response: Response;
  /** The body, chunk by chunk; failures become `SourceUnavailableError` (or the caller's abort reason). */
  chunks(): AsyncGenerator<Uint8Array>;
  /** Stops the watchdog and releases the connection (idempotent). */
  close(): Promise<void>;
}

/**
 * What an HTTP status means for an ingest: go on, retry later (408, 429, 5xx), or a bad input
 * (404/410 missing, any other 4xx refused).
 *
 * @example
 * statusClass(503) // 'transient'
 */
export function statusClass(status: number): 'ok' | 'transient' | 'missing' | 'refused' {
  if (status >= 200 && status < 300) return 'ok';
  if (status === 408 || status === 429 || status >= 500) return 'transient';
  if (status === 404 || status === 410) return 'missing';
  return 'refused';
}

/**
 * GETs a source URL. Network errors, timeouts and transient statuses throw a retryable
 * `SourceUnavailableError`; 4xx throw a non-retryable `IngestInputError`. A 416 is returned to the
 * caller (a resumed download asks for bytes past the end when it already has them all).
 *
 * @example
 * const src = await openHttpSource(url, url, { headers: { Range: 'bytes=0-1023' } });
 * for await (const chunk of src.chunks()) hash.update(chunk);
 */
export async function openHttpSource(url: string, input: string, options: HttpRequestOptions = {}): Promise<HttpSource> {
  const idleMs = options.idleTimeoutMs ?? IDLE_TIMEOUT_MS;
  const idle = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const touch = () => {
    clearTimeout(timer);
    timer = setTimeout(() => idle.abort(new Error(`no data for ${idleMs} ms`)), idleMs);
  };
  const signal = options.signal ? AbortSignal.any([options.signal, idle.signal]) : idle.signal;
  // Turns whatever fetch or the body stream threw into the boundary's errors.
  const failure = (error: unknown): unknown => {
    clearTimeout(timer);
    if (options.signal?.aborted) return options.signal.reason;
    if (idle.signal.aborted) return new SourceUnavailableError('timeout', input, null, `timed out (no data for ${idleMs} ms)`, { cause: error });
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    const why = cause?.code ?? cause?.message ?? (error as Error).message;
    return new SourceUnavailableError('network', input, null, `connection failed (${why})`, { cause: error });
  };
  touch();
  let response: Response;
  try {
    response = await fetch(url, { signal, redirect: 'follow', headers: options.headers });
  } catch (error) {
    throw failure(error);
  }
  const close = async () => {
    clearTimeout(timer);
    await response.body?.cancel().catch(() => undefined);
  };
  const kind = response.status === 416 ? 'ok' : statusClass(response.status);
  if (kind !== 'ok' || !response.body) {
    await close();
    if (kind === 'transient') throw new SourceUnavailableError('server', input, response.status, `HTTP ${response.status}`);
    throw new IngestInputError(kind === 'missing' ? 'missing' : 'unreachable', input, `HTTP ${response.status}`);
  }
  const body = response.body;
  return {
    response,
    close,
    async *chunks() {
      touch();
      try {
        for await (const chunk of body) {
          touch();
          yield chunk;
        }
      } catch (error) {
        throw failure(error);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** Total size from a `Content-Range: bytes a-b/total` (or `bytes *\/total`) header; null when absent or `*`. */
export function contentRangeTotal(header: string | null): number | null {
  const match = /\/(\d+)\s*$/.exec(header ?? '');
  return match?.[1] ? Number(match[1]) : null;
}

/** First byte of a `Content-Range: bytes a-b/total` header. */
export function contentRangeStart(header: string | null): number | null {
  const match = /^bytes\s+(\d+)-/.exec(header ?? '');
  return match?.[1] ? Number(match[1]) : null;
}
