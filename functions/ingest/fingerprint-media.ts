import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { contentRangeTotal, openHttpSource, type HttpRequestOptions } from './http-source.ts';
import { IngestInputError } from './ingest-error.ts';

/** Bytes read from each end of a recording to fingerprint it. */
export const FINGERPRINT_SPAN = 8 * 1024 * 1024;

/** Versioned, so a later change of the recipe can never collide with ids made by this one. */
const RECIPE = 'dougpt-media-fingerprint/1';

/**
 * The byte ranges (inclusive ends) a fingerprint reads from a file of `size` bytes: the first `span`
 * bytes, and the last `span` bytes that do not overlap them. A file of up to 2 × span is read whole.
 *
 * @example
 * fingerprintRanges(100, 30) // [[0, 29], [70, 99]]
 */
export function fingerprintRanges(size: number, span = FINGERPRINT_SPAN): Array<[number, number]> {
  if (size === 0) return [];
  const head: [number, number] = [0, Math.min(span, size) - 1];
  if (size <= span) return [head];
  return [head, [Math.max(span, size - span), size - 1]];
}

/** A hash of size, head and tail, fed in order by whoever reads the bytes. */
function fingerprintHash(size: number): Hash {
  return createHash('sha256').update(`${RECIPE}\nsize=${size}\n`);
}

/**
 * Fingerprint (sha256 hex) of a local file: its size and the bytes of `fingerprintRanges`, streamed.
 * Two recordings differ in it even when their file names are equal; one recording under two names
 * has one fingerprint.
 *
 * @example
 * await fingerprintFile('/data/stream.mp4') // '5f1c…'
 */
export async function fingerprintFile(path: string, input = path, signal?: AbortSignal): Promise<string> {
  let size: number;
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new IngestInputError('unreadable', input, 'not a regular file');
    size = info.size;
  } catch (error) {
    if (error instanceof IngestInputError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new IngestInputError(code === 'ENOENT' ? 'missing' : 'unreadable', input, code === 'ENOENT' ? 'no such file' : `cannot read (${code})`);
  }
  const hash = fingerprintHash(size);
  for (const [start, end] of fingerprintRanges(size)) {
    for await (const chunk of createReadStream(path, { start, end, highWaterMark: 1 << 20, signal })) hash.update(chunk as Buffer);
  }
  return hash.digest('hex');
}

/**
 * Fingerprint of a URL's content, equal to `fingerprintFile` of the downloaded file. Reads two Range
 * requests when the server honours them (If-Range keeps both on one version of the file); otherwise
 * streams the whole body once, keeping only the last `span` bytes in memory.
 */
export async function fingerprintUrl(url: string, input = url, options: HttpRequestOptions = {}): Promise<string> {
  const span = FINGERPRINT_SPAN;
  const first = await openHttpSource(url, input, { ...options, headers: { Range: `bytes=0-${span - 1}` } });
  try {
    const total = contentRangeTotal(first.response.headers.get('content-range'));
    if (first.response.status !== 206 || total === null) return await fingerprintWholeBody(first.chunks(), span);
    const hash = fingerprintHash(total);
    for await (const chunk of first.chunks()) hash.update(chunk);
    const tail = fingerprintRanges(total, span)[1];
    if (!tail) return hash.digest('hex');
    const validator = first.response.headers.get('etag') ?? first.response.headers.get('last-modified');
    const second = await openHttpSource(url, input, {
      ...options,
      headers: { Range: `bytes=${tail[0]}-${tail[1]}`, ...(validator ? { 'If-Range': validator } : {}) },
    });
    try {
      if (second.response.status !== 206 || contentRangeTotal(second.response.headers.get('content-range')) !== total) {
        // The file changed between the two requests (If-Range answered with the whole new version).
        return await fingerprintWholeBody(second.chunks(), span);
      }
      for await (const chunk of second.chunks()) hash.update(chunk);
      return hash.digest('hex');
    } finally {
      await second.close();
    }
  } finally {
    await first.close();
  }
}

/** Fingerprint of a body read start to end: the head as it passes, a bounded window for the tail. */
async function fingerprintWholeBody(chunks: AsyncIterable<Uint8Array>, span: number): Promise<string> {
  const head: Buffer[] = [];
  let headBytes = 0;
  const window: Buffer[] = [];
  let windowBytes = 0;
  let size = 0;
  for await (const raw of chunks) {
    let chunk = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
    size += chunk.length;
    if (headBytes < span) {
      const take = chunk.subarray(0, span - headBytes);
      head.push(Buffer.from(take));
      headBytes += take.length;
      chunk = chunk.subarray(take.length);
    }
    if (chunk.length === 0) continue;
    window.push(Buffer.from(chunk));
    windowBytes += chunk.length;
    while (window.length > 1 && windowBytes - window[0]!.length >= span) windowBytes -= window.shift()!.length;
  }
  const hash = fingerprintHash(size);
  for (const part of head) hash.update(part);
  const tailRange = fingerprintRanges(size, span)[1];
  if (tailRange) {
    const tailLength = tailRange[1] - tailRange[0] + 1;
    const joined = Buffer.concat(window);
    hash.update(joined.subarray(joined.length - tailLength));
  }
  return hash.digest('hex');
}
