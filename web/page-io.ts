import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';

/** A local page's static files: URL path → file in its folder and content type. */
export type StaticPages = Record<string, { file: string; type: string }>;

/** A failure of a local page's API, answered with `status` and `body` (`{ error }` by default) as JSON. */
export class PageError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly body: Record<string, unknown> = { error: message },
  ) {
    super(message);
  }
}

/**
 * Answers a request for one of `pages` (GET or HEAD; 405 otherwise) from `dir`; false when the path
 * is not one of them.
 *
 * @example
 * if (await serveStaticPage(req, res, url.pathname, STATIC, PAGE_DIR)) return;
 */
export async function serveStaticPage(req: IncomingMessage, res: ServerResponse, pathname: string, pages: StaticPages, dir: string): Promise<boolean> {
  const page = pages[pathname];
  if (!page) return false;
  if (req.method !== 'GET' && req.method !== 'HEAD') throw new PageError(405, `${req.method} ${pathname}: use GET`);
  const text = await readFile(join(dir, page.file));
  res.writeHead(200, { 'content-type': page.type, 'content-length': text.length, 'cache-control': 'no-cache' });
  res.end(req.method === 'HEAD' ? undefined : text);
  return true;
}

/** A JSON request body of at most `limit` bytes: 415 when not sent as JSON (`hint` says how), 413 past the limit, 400 when not JSON. */
export async function readPageJson(req: IncomingMessage, limit: number, hint = 'send application/json'): Promise<unknown> {
  if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) throw new PageError(415, hint);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new PageError(413, `request body over ${limit} bytes`);
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    throw new PageError(400, 'request body is not JSON');
  }
}
