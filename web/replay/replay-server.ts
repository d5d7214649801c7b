import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { listenPage, type ListeningPage } from '../listen-page.ts';
import { serveStaticPage, type StaticPages } from '../page-io.ts';
import { sendJson } from '../serve/http-io.ts';
import { replayPayload, type ReplayData } from './replay-data.ts';

const PAGE_DIR = dirname(fileURLToPath(import.meta.url));
const STATIC: StaticPages = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/replay.js': { file: 'replay.js', type: 'text/javascript; charset=utf-8' },
  '/replay.css': { file: 'replay.css', type: 'text/css; charset=utf-8' },
};

export type ByteRange = { start: number; end: number } | 'unsatisfiable' | null;

/**
 * The one byte range of a `Range` header over a file of `size` bytes (end inclusive). Null: serve
 * the whole file (no header, another unit, several ranges, or a malformed one, as RFC 9110 allows).
 *
 * @example
 * byteRange('bytes=100-', 1000) // { start: 100, end: 999 }
 * byteRange('bytes=-10', 1000)  // { start: 990, end: 999 }
 */
export function byteRange(header: string | undefined, size: number): ByteRange {
  const match = header === undefined ? null : /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match || (match[1] === '' && match[2] === '')) return null;
  if (match[1] === '') {
    const suffix = Number(match[2]);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(match[1]);
  const end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  if (start >= size || end < start) return 'unsatisfiable';
  return { start, end };
}

/** Serves a media file with Range support, so the player can seek without downloading it all. */
async function sendMedia(req: IncomingMessage, res: ServerResponse, media: ReplayData['media']): Promise<void> {
  const { size } = await stat(media.path);
  const range = byteRange(req.headers.range, size);
  const common = { 'content-type': media.content_type, 'accept-ranges': 'bytes', 'cache-control': 'private, max-age=3600' };
  if (range === 'unsatisfiable') {
    res.writeHead(416, { ...common, 'content-range': `bytes */${size}`, 'content-length': 0 });
    res.end();
    return;
  }
  const { start, end } = range ?? { start: 0, end: size - 1 };
  res.writeHead(range ? 206 : 200, {
    ...common,
    'content-length': size === 0 ? 0 : end - start + 1,
    ...(range ? { 'content-range': `bytes ${start}-${end}/${size}` } : {}),
  });
  if (req.method === 'HEAD' || size === 0) {
    res.end();
    return;
  }
  const stream = createReadStream(media.path, { start, end });
  // A seek aborts the request: stop reading the file then.
  res.once('close', () => stream.destroy());
  stream.pipe(res);
}

/** The replay page's request handler over loaded replay data. */
export function createReplayHandler(data: ReplayData): (req: IncomingMessage, res: ServerResponse) => void {
  const payload = JSON.stringify(replayPayload(data));
  return (req, res) => {
    const url = new URL(req.url ?? '/', 'http://replay.invalid');
    const route = async () => {
      if (req.method !== 'GET' && req.method !== 'HEAD') return sendJson(res, 405, { error: `${req.method} ${url.pathname}: use GET` });
      if (await serveStaticPage(req, res, url.pathname, STATIC, PAGE_DIR)) return;
      if (url.pathname === '/api/replay') {
        res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(payload), 'cache-control': 'no-store' });
        res.end(req.method === 'HEAD' ? undefined : payload);
        return;
      }
      if (url.pathname === '/media') return sendMedia(req, res, data.media);
      sendJson(res, 404, { error: `${url.pathname}: no such page` });
    };
    route().catch((error: unknown) => {
      if (res.headersSent) {
        res.destroy(error instanceof Error ? error : undefined);
        return;
      }
      process.stderr.write(`replay: ${req.method} ${url.pathname}: ${error instanceof Error ? error.message : String(error)}\n`);
      sendJson(res, 500, { error: error instanceof Error ? error.message.split('\n')[0] : 'internal error' });
    });
  };
}

export type ReplayServer = ListeningPage;

/**
 * Serves the replay page for loaded data until `close()`.
 *
 * @example
 * const replay = await startReplayServer(await loadReplayFiles({ media, chat, generated }), { port: 0 });
 * console.log(replay.url); // http://127.0.0.1:43121/
 */
export async function startReplayServer(data: ReplayData, options: { host?: string; port?: number } = {}): Promise<ReplayServer> {
  return listenPage(createReplayHandler(data), options);
}
