import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { openLake, type Lake } from '../../catalog/lake.ts';
import { createObjectStore, type ObjectStore } from '../../catalog/object-store.ts';
import type { StackConfig } from '../../infra/config.ts';
import { CLIP_CONTENT_TYPE, createClipCache } from '../../functions/review/clip-cache.ts';
import { clipWindow } from '../../functions/review/clip-window.ts';
import { latestReviews, loadReviewSet, type ReviewSet } from '../../functions/review/load-review-set.ts';
import { ClipId, PairsQuery, ReviewRequest, validationError } from '../../functions/review/review-api.ts';
import type { LatestReview, ReviewItem } from '../../functions/review/review-item.ts';
import { savePairReview } from '../../functions/review/save-pair-review.ts';
import { listenPage } from '../listen-page.ts';
import { PageError as HttpError, readPageJson, serveStaticPage, type StaticPages } from '../page-io.ts';
import { sendJson } from '../serve/http-io.ts';

const PAGE_DIR = dirname(fileURLToPath(import.meta.url));
const STATIC: StaticPages = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/qa.js': { file: 'qa.js', type: 'text/javascript; charset=utf-8' },
  '/qa.css': { file: 'qa.css', type: 'text/css; charset=utf-8' },
};
const MAX_BODY_BYTES = 16 * 1024;
/** How long verdicts read from the lake are reused before reading them again. */
export const REVIEWS_TTL_MS = 10_000;

export interface QaServerOptions {
  vod_id: string;
  align_id?: string;
  sample?: number;
  host?: string;
  /** 0: any free port. */
  port?: number;
  reviewer: string;
}

export interface QaServer {
  url: string;
  vod_id: string;
  align_id: string;
  /** Pairs and rejected messages loaded for review. */
  items: number;
  close(): Promise<void>;
}

function parseOr400<T extends z.ZodType>(schema: T, value: unknown): z.output<T> {
  const result = schema.safeParse(value);
  if (!result.success) {
    const body = validationError(result.error);
    throw new HttpError(400, body.error, body);
  }
  return result.data;
}

function matches(item: ReviewItem, query: PairsQuery): boolean {
  if (query.reason !== undefined) return item.kind === 'reject' && (query.reason === 'any' || item.reject_reason === query.reason);
  return item.kind === 'pair' && (query.tier === undefined || item.tier === query.tier) && (query.label === undefined || item.label === query.label);
}

/**
 * The review page's request handler over a loaded review set. Clients are injected so a test or
 * another server can mount it.
 */
export function createQaHandler(deps: {
  set: ReviewSet;
  config: StackConfig;
  /**
   * A fresh session per use: one held open would keep reading the snapshots it first saw, and
   * writes must open theirs inside the lake's write lock.
   */
  openLake: (options?: { readOnly?: boolean }) => Promise<Lake>;
  store: ObjectStore;
  reviewer: string;
  /** Where the FLAC and clips of this VOD are cached. */
  cacheDir: string;
  workDir: string;
}): (req: IncomingMessage, res: ServerResponse) => void {
  const { set, reviewer } = deps;
  const clips = createClipCache({ store: deps.store, dir: deps.cacheDir });
  const byId = new Map(set.items.map((item) => [item.item_id, item]));

  // Opening a lake session takes most of a second: other reviewers' verdicts are read at most every
  // REVIEWS_TTL_MS, and this server's own are laid over them as soon as they are saved.
  let fromLake: { at: number; reviews: Promise<Map<string, LatestReview>> } | null = null;
  const savedHere = new Map<string, LatestReview>();
  const currentReviews = async (): Promise<Map<string, LatestReview>> => {
    if (!fromLake || Date.now() - fromLake.at > REVIEWS_TTL_MS) {
      const reading = deps.openLake({ readOnly: true }).then((lake) => latestReviews(lake, set.vod_id).finally(() => lake.close()));
      const entry = { at: Date.now(), reviews: reading };
      fromLake = entry;
      // A failed read is not reused: the next listing tries again.
      reading.catch(() => {
        if (fromLake === entry) fromLake = null;
      });
    }
    const merged = new Map(await fromLake.reviews);
    for (const [pairId, review] of savedHere) {
      const other = merged.get(pairId);
      if (!other || other.reviewed_at <= review.reviewed_at) merged.set(pairId, review);
    }
    return merged;
  };

  const listPairs = async (url: URL) => {
    const query = parseOr400(PairsQuery, Object.fromEntries(url.searchParams));
    const reviews = await currentReviews();
    const items = set.items.filter((item) => matches(item, query)).map((item) => ({ ...item, review: item.pair_id ? (reviews.get(item.pair_id) ?? null) : null }));
    return { vod_id: set.vod_id, align_id: set.align_id, reviewer, totals: set.totals, query, count: items.length, items };
  };

  const sendClip = async (id: string, res: ServerResponse) => {
    const item = byId.get(parseOr400(ClipId, id));
    if (!item) throw new HttpError(404, `${id}: not an item of this review`);
    if (!set.audio) throw new HttpError(404, `${set.vod_id}: no audio in silver.audio`);
    const window = clipWindow({ start_ms: item.context_start_ms, end_ms: item.context_end_ms }, set.audio.duration_ms);
    if (!window) throw new HttpError(404, `${id}: its context lies outside the audio`);
    const path = await clips.clip(item.item_id, set.audio, window);
    const { size } = await stat(path);
    res.writeHead(200, {
      'content-type': CLIP_CONTENT_TYPE,
      'content-length': size,
      'cache-control': 'private, max-age=3600',
      'x-clip-start-ms': String(window.start_ms),
      'x-clip-end-ms': String(window.end_ms),
    });
    createReadStream(path).pipe(res);
  };

  const saveReview = async (req: IncomingMessage) => {
    const body = parseOr400(ReviewRequest, await readPageJson(req, MAX_BODY_BYTES, 'send the review as application/json'));
    if (!set.pairIds.has(body.pair_id)) throw new HttpError(404, `${body.pair_id}: not a pair of alignment ${set.align_id}`);
    const saved = await savePairReview(
      { vod_id: set.vod_id, pair_id: body.pair_id, verdict: body.verdict, note: body.note, reviewer },
      { config: deps.config, openLake: () => deps.openLake(), workDir: deps.workDir },
    );
    const { review_id, verdict, note, reviewed_at } = saved;
    const previous = savedHere.get(saved.pair_id);
    if (!previous || previous.reviewed_at <= reviewed_at) savedHere.set(saved.pair_id, { review_id, verdict, note, reviewer, reviewed_at });
    return saved;
  };

  return (req, res) => {
    const url = new URL(req.url ?? '/', 'http://qa.invalid');
    const route = async () => {
      if (await serveStaticPage(req, res, url.pathname, STATIC, PAGE_DIR)) return;
      if (url.pathname === '/api/pairs') {
        if (req.method !== 'GET') throw new HttpError(405, `${req.method} /api/pairs: use GET`);
        sendJson(res, 200, await listPairs(url));
        return;
      }
      if (url.pathname.startsWith('/api/clip/')) {
        if (req.method !== 'GET') throw new HttpError(405, `${req.method} /api/clip: use GET`);
        let id: string;
        try {
          id = decodeURIComponent(url.pathname.slice('/api/clip/'.length));
        } catch {
          throw new HttpError(400, 'clip id: not a valid URL component');
        }
        await sendClip(id, res);
        return;
      }
      if (url.pathname === '/api/reviews') {
        if (req.method !== 'POST') throw new HttpError(405, `${req.method} /api/reviews: use POST`);
        sendJson(res, 201, await saveReview(req));
        return;
      }
      throw new HttpError(404, `${url.pathname}: no such page`);
    };
    route().catch((error: unknown) => {
      if (res.headersSent) {
        res.destroy(error instanceof Error ? error : undefined);
        return;
      }
      if (error instanceof HttpError) sendJson(res, error.status, error.body);
      else {
        process.stderr.write(`qa: ${req.method} ${url.pathname}: ${error instanceof Error ? error.message : String(error)}\n`);
        sendJson(res, 500, { error: error instanceof Error ? error.message.split('\n')[0] : 'internal error' });
      }
    });
  };
}

/**
 * Loads a VOD's review sample and serves the review page until `close()`.
 *
 * @example
 * const qa = await startQaServer(loadConfig(), { vod_id: 'v123', reviewer: 'ana', port: 0 });
 * console.log(qa.url); // http://127.0.0.1:43121/
 * await qa.close();
 */
export async function startQaServer(config: StackConfig, options: QaServerOptions): Promise<QaServer> {
  const open = (o: { readOnly?: boolean } = {}) => openLake(config, o);
  const reader = await open({ readOnly: true });
  const set = await loadReviewSet({ vod_id: options.vod_id, align_id: options.align_id, sample: options.sample }, { lake: reader }).finally(() =>
    reader.close(),
  );
  const safeVod = options.vod_id.replace(/[^A-Za-z0-9._-]/g, '_');
  const handler = createQaHandler({
    set,
    config,
    openLake: open,
    store: createObjectStore(config),
    reviewer: options.reviewer,
    cacheDir: join(config.paths.home, 'qa-cache', safeVod),
    workDir: join(config.paths.work, 'qa', safeVod),
  });
  const page = await listenPage(handler, { host: options.host, port: options.port });
  return {
    url: page.url,
    vod_id: set.vod_id,
    align_id: set.align_id,
    items: set.items.length,
    close: page.close,
  };
}
