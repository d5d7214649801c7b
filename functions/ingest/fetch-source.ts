import { constants, createWriteStream } from 'node:fs';
import { access, mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { execa } from 'execa';
import { IngestInputError } from './ingest-error.ts';
import { parseSource, sourceName, type Source } from './source.ts';
import { which } from '../../infra/tools.ts';

export interface FetchedSource {
  source: Source;
  /** A local file holding the content: the original for local files, a download otherwise. */
  path: string;
  name: string;
}

/**
 * Makes a source readable as a local file: checks local paths, downloads URLs (resumable by name in
 * `workDir`), and fetches Twitch VODs with yt-dlp when it is installed.
 *
 * @example
 * const { path } = await fetchSource('https://example.org/v.mp4', '/tmp/work', { signal });
 */
export async function fetchSource(
  value: string,
  workDir: string,
  options: { signal?: AbortSignal; onBytes?: (done: number) => void } = {},
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

async function download(
  url: string,
  value: string,
  workDir: string,
  name: string,
  options: { signal?: AbortSignal; onBytes?: (done: number) => void },
): Promise<string> {
  await mkdir(workDir, { recursive: true });
  const target = join(workDir, `download-${name}`);
  let response: Response;
  try {
    response = await fetch(url, { signal: options.signal, redirect: 'follow' });
  } catch (error) {
    if (options.signal?.aborted) throw error;
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
    throw new IngestInputError('unreachable', value, `unreachable (${cause})`);
  }
  if (!response.ok || !response.body) {
    await response.body?.cancel();
    throw new IngestInputError(response.status === 404 ? 'missing' : 'unreachable', value, `HTTP ${response.status}`);
  }
  const partial = `${target}.part`;
  let done = 0;
  const body = Readable.fromWeb(response.body as unknown as WebReadableStream<Uint8Array>);
  body.on('data', (chunk: Buffer) => {
    done += chunk.length;
    options.onBytes?.(done);
  });
  try {
    await pipeline(body, createWriteStream(partial), { signal: options.signal });
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  }
  await rename(partial, target);
  return target;
}

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
    await execa(ytDlp, ['--no-progress', '-f', 'best', '-o', target, `https://www.twitch.tv/videos/${id}`], { cancelSignal: signal });
  } catch (error) {
    if (signal?.aborted) throw error;
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new IngestInputError('unreachable', value, `yt-dlp failed: ${stderr.trim().split('\n').pop() ?? 'unknown error'}`);
  }
  return target;
}
