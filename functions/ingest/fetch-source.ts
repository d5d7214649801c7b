import { constants, createWriteStream } from 'node:fs';
import { access, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { z } from 'zod';
import { contentRangeStart, contentRangeTotal, openHttpSource, statusClass } from './http-source.ts';
import { IngestInputError } from './ingest-error.ts';
import { SourceUnavailableError, type SourceUnavailableKind } from './source-unavailable-error.ts';
import { parseSource, sourceName, type Source } from './source.ts';
import { which } from '../../common/which.ts';

export interface FetchOptions {
  signal?: AbortSignal;
  onBytes?: (done: number) => void;
  /** For URLs: how long without a byte before the request counts as timed out (and is retried). */
  idleTimeoutMs?: number;
}

export interface FetchedSource {
  source: Source;
  /** A local file holding the content: the original for local files, a download otherwise. */
  path: string;
  name: string;
}

/**
 * Makes a source readable as a local file: checks local paths, downloads URLs, and fetches Twitch VODs
 * with yt-dlp when it is installed. A URL download retries transient failures (network errors,
 * timeouts, HTTP 5xx/408/429) a few times, resuming with Range requests from `<workDir>/download-<name>.part`,
 * then throws a retryable `SourceUnavailableError`; a later call (the activity's retry) resumes the same
 * file. 4xx answers are bad input.
 *
 * @example
 * const { path } = await fetchSource('https://example.org/v.mp4', '/tmp/work', { signal });
 */
export async function fetchSource(
  value: string,
  workDir: string,
  options: FetchOptions = {},
): Promise<FetchedSource> {
  const source = parseSource(value);
  const name = sourceName(source);
  switch (source.kind) {
    case 'file': {
      try {
        await access(source.path, constants.R_OK);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        throw new IngestInputError(code === 'ENOENT' ? 'missing' : 'unreadable', value, code === 'ENOENT' ? 'no such file' : `cannot read (${code})`);
      }
      if (!(await stat(source.path)).isFile()) throw new IngestInputError('unreadable', value, 'not a regular file');
      return { source, path: source.path, name };
    }
    case 'http':
      return { source, name, path: await download(source.url, value, workDir, name, options) };
    case 'twitch':
      return { source, name, path: await downloadTwitch(source.id, value, workDir, options.signal) };
  }
}

/** Attempts of one download inside one activity run; Temporal retries the activity after that. */
export const DOWNLOAD_ATTEMPTS = 4;
const RETRY_DELAY_MS = 500;

/** What a partial download was fetched from, so a later attempt asks only for the rest of the same version. */
interface PartialMeta {
  url: string;
  validator: string;
}

async function download(url: string, value: string, workDir: string, name: string, options: FetchOptions): Promise<string> {
  await mkdir(workDir, { recursive: true });
  const target = join(workDir, `download-${name}`);
  for (let attempt = 1; ; attempt++) {
    try {
      await downloadOnce(url, value, target, options);
      return target;
    } catch (error) {
      if (!(error instanceof SourceUnavailableError) || attempt >= DOWNLOAD_ATTEMPTS || options.signal?.aborted) throw error;
      await sleep(RETRY_DELAY_MS * 2 ** (attempt - 1), undefined, { signal: options.signal });
    }
  }
}

/**
 * One request: resumes `<target>.part` with `Range` + `If-Range` when an earlier attempt left one with a
 * validator (a strong ETag, else Last-Modified); starts over when the server answers with the whole file.
 * A transient failure keeps the partial file for the next attempt; anything else removes it.
 */
async function downloadOnce(url: string, value: string, target: string, options: FetchOptions): Promise<void> {
  const partial = `${target}.part`;
  const metaPath = `${partial}.json`;
  const meta = await readPartialMeta(metaPath, url);
  let offset = meta ? await stat(partial).then((s) => s.size, () => 0) : 0;
  const headers: Record<string, string> = meta && offset > 0 ? { Range: `bytes=${offset}-`, 'If-Range': meta.validator } : {};
  const source = await openHttpSource(url, value, { signal: options.signal, headers, idleTimeoutMs: options.idleTimeoutMs });
  try {
    const { response } = source;
    if (response.status === 416) {
      // Asked for bytes past the end: the partial file may already be whole.
      if (offset > 0 && contentRangeTotal(response.headers.get('content-range')) === offset) return await finish(partial, metaPath, target);
      await rm(partial, { force: true });
      await rm(metaPath, { force: true });
      throw new SourceUnavailableError('server', value, 416, 'HTTP 416 on a resumed download (starting over)');
    }
    const resumed = response.status === 206 && contentRangeStart(response.headers.get('content-range')) === offset;
    if (!resumed) offset = 0;
    const length = Number(response.headers.get('content-length') ?? Number.NaN);
    const expected = Number.isFinite(length) ? offset + length : null;
    const validator = strongEtag(response.headers.get('etag')) ?? response.headers.get('last-modified');
    if (validator) await writeFile(metaPath, JSON.stringify({ url, validator } satisfies PartialMeta));
    else await rm(metaPath, { force: true });
    let done = offset;
    options.onBytes?.(done);
    const counted = async function* (chunks: AsyncIterable<Uint8Array>) {
      for await (const chunk of chunks) {
        done += chunk.length;
        options.onBytes?.(done);
        yield chunk;
      }
    };
    try {
      await pipeline(Readable.from(counted(source.chunks())), createWriteStream(partial, { flags: resumed ? 'a' : 'w' }), { signal: options.signal });
    } catch (error) {
      if (error instanceof SourceUnavailableError) throw error;
      await rm(partial, { force: true });
      await rm(metaPath, { force: true });
      throw error;
    }
    if (expected !== null && done !== expected) {
      throw new SourceUnavailableError('network', value, null, `connection closed after ${done} of ${expected} bytes`);
    }
    await finish(partial, metaPath, target);
  } finally {
    await source.close();
  }
}

async function finish(partial: string, metaPath: string, target: string): Promise<void> {
  await rename(partial, target);
  await rm(metaPath, { force: true });
}

async function readPartialMeta(path: string, url: string): Promise<PartialMeta | null> {
  const parsed = PartialMeta.safeParse(await readFile(path, 'utf8').then(JSON.parse, () => null));
  return parsed.success && parsed.data.url === url ? parsed.data : null;
}
const PartialMeta = z.object({ url: z.string(), validator: z.string().min(1) });

/** If-Range accepts only strong ETags. */
const strongEtag = (etag: string | null): string | null => (etag && !etag.startsWith('W/') ? etag : null);

async function downloadTwitch(id: string, value: string, workDir: string, signal?: AbortSignal): Promise<string> {
  const ytDlp = which('yt-dlp');
  if (!ytDlp) {
    throw new IngestInputError(
      'unsupported-source',
      value,
      'Twitch VODs are fetched with yt-dlp, which is not installed (pip install yt-dlp), or download the VOD and pass its path',
    );
  }
  await mkdir(workDir, { recursive: true });
  const target = join(workDir, `twitch-${id}.mp4`);
  try {
    // yt-dlp keeps `<target>.part` and continues it on the next call (`--continue`), so a retry resumes.
    await execa(ytDlp, ['--no-progress', '--continue', '-f', 'best', '-o', target, `https://www.twitch.tv/videos/${id}`], { cancelSignal: signal });
  } catch (error) {
    if (signal?.aborted) throw error;
    throw ytDlpFailure(value, (error as { stderr?: string }).stderr ?? '', { cause: error });
  }
  return target;
}

const YT_DLP_HTTP = /HTTP Error (\d{3})/i;
const YT_DLP_TRANSIENT: ReadonlyArray<readonly [RegExp, SourceUnavailableKind]> = [
  [/timed? ?out/i, 'timeout'],
  [/connection (?:reset|refused|aborted)|temporary failure in name resolution|name or service not known|network is unreachable|remote end closed|incompleteread|eof occurred in violation|unable to download .*(?:urlopen error|connection)|getaddrinfo failed|ssl: /i, 'network'],
];

/**
 * What a failed yt-dlp run means, from its stderr: HTTP 5xx/408/429, timeouts and network errors are
 * transient (`SourceUnavailableError`, retried, resuming the `.part` file); anything else — a missing
 * or subscriber-only VOD, HTTP 4xx, an unknown error — is bad input (`IngestInputError`).
 *
 * @example
 * ytDlpFailure('twitch:1', 'ERROR: Unable to download JSON metadata: HTTP Error 503: Service Unavailable') // SourceUnavailableError
 */
export function ytDlpFailure(value: string, stderr: string, options?: { cause?: unknown }): SourceUnavailableError | IngestInputError {
  const lines = stderr.trim().split('\n').filter((line) => line.trim() !== '');
  const reason = lines.findLast((line) => /^ERROR:/.test(line)) ?? lines.at(-1) ?? 'unknown error';
  const message = `yt-dlp failed: ${reason.trim()}`;
  const status = YT_DLP_HTTP.exec(reason);
  if (status?.[1]) {
    const code = Number(status[1]);
    const kind = statusClass(code);
    if (kind === 'transient') return new SourceUnavailableError('server', value, code, message, options);
    return new IngestInputError(kind === 'missing' ? 'missing' : 'unreachable', value, message);
  }
  const transient = YT_DLP_TRANSIENT.find(([pattern]) => pattern.test(reason));
  if (transient) return new SourceUnavailableError(transient[1], value, null, message, options);
  return new IngestInputError('unreachable', value, message);
}
