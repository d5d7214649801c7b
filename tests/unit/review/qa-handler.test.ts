import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lake, Row } from '../../../catalog/lake.ts';
import type { ObjectStore } from '../../../catalog/object-store.ts';
import type { ReviewSet } from '../../../functions/review/load-review-set.ts';
import type { ReviewItem } from '../../../functions/review/review-item.ts';
import { loadConfig } from '../../../infra/config.ts';
import { createQaHandler } from '../../../web/qa/qa-server.ts';

const item = (over: Partial<ReviewItem>): ReviewItem => ({
  item_id: 'p1', kind: 'pair', pair_id: 'p1', message_id: 'm1', text: 'LOL', author_login: 'viewer', offset_ms: 14_000,
  context_start_ms: 0, context_end_ms: 10_000, target_start_ms: 8_000, target_end_ms: 10_000, lag_ms: 4_000, score: 0.8,
  tier: 2, label: 'reaction', reject_reason: null, lexical: 0.5, association: 0.2, time_prior: 0.9, transcript: [], review: null, ...over,
});

const set: ReviewSet = {
  vod_id: 'v1',
  align_id: 'align-1',
  audio: { key: 'silver/audio/v1/abc.flac', sha256: 'abc', duration_ms: 40_000 },
  totals: { pairs: 3, rejects: 1, tiers: { 0: 1, 2: 2 }, labels: { reaction: 2, background: 1 }, reasons: { bot: 1 } },
  items: [
    item({}),
    item({ item_id: 'p2', pair_id: 'p2', message_id: 'm2', tier: 0, label: 'background', context_start_ms: -5_000, context_end_ms: 45_000 }),
    item({ item_id: 'msg-1', kind: 'reject', pair_id: null, message_id: 'm9', tier: null, label: null, reject_reason: 'bot' }),
  ],
  pairIds: new Set(['p1', 'p2', 'p3']),
};

describe('QA request handler', () => {
  let dir: string;
  let server: Server;
  let base: string;
  const statements: string[] = [];
  const inserted: Row[] = [];
  const downloads: string[] = [];
  const sessions = { opened: [] as string[], closed: 0 };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'qa-handler-'));
    const flac = join(dir, 'source.flac');
    await execa('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=16000:duration=40', '-ac', '1', flac]);
    const lake = {
      connection: undefined as never,
      close: () => void sessions.closed++,
      run: async (sql: string) => void statements.push(sql),
      transaction: async <T>(work: () => Promise<T>) => work(),
      all: async (sql: string): Promise<Row[]> => {
        statements.push(sql);
        if (sql.startsWith('INSERT INTO lake.gold.pair_reviews')) {
          const file = /read_json\('([^']+)'/.exec(sql)?.[1];
          inserted.push(...(await readFile(file ?? '', 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Row));
          return [{ Count: 1 }];
        }
        if (sql.includes('lake.gold.pair_reviews')) {
          return [{ pair_id: 'p2', review_id: 'review-x', verdict: 'reject', note: 'off by a line', reviewer: 'bo', reviewed_at: '2025-01-01T00:00:00.000Z' }];
        }
        return [];
      },
    } satisfies Lake;
    const store: Pick<ObjectStore, 'getToFile'> = {
      getToFile: async (key, path) => {
        downloads.push(key);
        await copyFile(flac, path);
      },
    };
    const handler = createQaHandler({
      set,
      config: loadConfig({ DOUGPT_HOME: join(dir, 'home') }),
      openLake: async (options) => {
        sessions.opened.push(options?.readOnly ? 'read' : 'write');
        return lake;
      },
      store: store as ObjectStore,
      reviewer: 'ana',
      cacheDir: join(dir, 'cache'),
      workDir: join(dir, 'work'),
    });
    server = createServer(handler);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await rm(dir, { recursive: true, force: true });
  });

  it('serves the page and its script', async () => {
    const page = await fetch(`${base}/`);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(await page.text()).toContain('/qa.js');
    expect((await fetch(`${base}/qa.js`)).status).toBe(200);
  });

  it('lists pairs by filter, with the latest review from the lake', async () => {
    const all = (await (await fetch(`${base}/api/pairs?tier=&label=&reason=`)).json()) as { count: number; items: ReviewItem[] };
    expect(all.items.map((i) => i.item_id)).toEqual(['p1', 'p2']);
    expect(all.items[1]?.review).toMatchObject({ verdict: 'reject', reviewer: 'bo' });
    expect(all.items[0]?.review).toBeNull();
    const tier0 = (await (await fetch(`${base}/api/pairs?tier=0`)).json()) as { items: ReviewItem[] };
    expect(tier0.items.map((i) => i.item_id)).toEqual(['p2']);
    const rejects = (await (await fetch(`${base}/api/pairs?reason=bot`)).json()) as { items: ReviewItem[] };
    expect(rejects.items.map((i) => i.item_id)).toEqual(['msg-1']);
    expect(statements.some((s) => s.includes("vod_id = 'v1'") && s.includes('lake.gold.pair_reviews'))).toBe(true);
    // Reviews are read through a read-only session, closed after, and reused for a while.
    expect(sessions.opened).toEqual(['read']);
    expect(sessions.closed).toBe(1);
  });

  it('answers bad input with JSON 4xx', async () => {
    const bad = await fetch(`${base}/api/pairs?tier=7`);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/^tier: /);
    const post = (body: string, type = 'application/json') => fetch(`${base}/api/reviews`, { method: 'POST', headers: { 'content-type': type }, body });
    expect((await post('{"pair_id":"p1","verdict":"maybe"}')).status).toBe(400);
    expect((await post('not json')).status).toBe(400);
    expect((await post('{"pair_id":"p1","verdict":"accept"}', 'text/plain')).status).toBe(415);
    const unknown = await post('{"pair_id":"nope","verdict":"accept"}');
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: string }).error).toContain('nope');
    expect((await post(JSON.stringify({ pair_id: 'p1', verdict: 'accept', note: 'x'.repeat(20_000) }))).status).toBe(413);
    expect((await fetch(`${base}/api/reviews`)).status).toBe(405);
    expect((await fetch(`${base}/api/clip/unknown`)).status).toBe(404);
    expect((await fetch(`${base}/api/clip/a%2F..%2Fb`)).status).toBe(400);
    expect((await fetch(`${base}/api/clip/%E0%A4%A`)).status).toBe(400);
    expect((await fetch(`${base}/nothing`)).status).toBe(404);
    expect(inserted).toEqual([]);
  });

  it('saves a review to gold.pair_reviews with the server\'s reviewer', async () => {
    const res = await fetch(`${base}/api/reviews`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"pair_id":"p3","verdict":"accept","note":" good "}' });
    expect(res.status).toBe(201);
    const saved = (await res.json()) as Record<string, unknown>;
    expect(saved).toMatchObject({ pair_id: 'p3', vod_id: 'v1', verdict: 'accept', note: 'good', reviewer: 'ana', rows_written: 1 });
    expect(inserted).toHaveLength(1);
    expect(inserted[0]).toMatchObject({ review_id: saved.review_id, pair_id: 'p3', vod_id: 'v1', verdict: 'accept', reviewer: 'ana' });
    expect(new Date(String(inserted[0]?.reviewed_at)).getTime()).toBeGreaterThan(Date.now() - 60_000);
    // Written through a read-write session opened for it (under the lake's write lock).
    expect(sessions.opened.at(-1)).toBe('write');
    expect(sessions.closed).toBe(sessions.opened.length);
  });

  it('shows a review saved here at once, over the one read from the lake', async () => {
    const post = await fetch(`${base}/api/reviews`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"pair_id":"p2","verdict":"accept"}' });
    expect(post.status).toBe(201);
    const reads = sessions.opened.filter((s) => s === 'read').length;
    const list = (await (await fetch(`${base}/api/pairs`)).json()) as { items: ReviewItem[] };
    expect(list.items.find((i) => i.item_id === 'p2')?.review).toMatchObject({ verdict: 'accept', reviewer: 'ana', note: null });
    expect(sessions.opened.filter((s) => s === 'read').length).toBe(reads);
  });

  it('cuts clips clamped to the audio and at most 30 s, downloading the audio once', async () => {
    const probe = async (id: string) => {
      const res = await fetch(`${base}/api/clip/${id}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('audio/ogg');
      const file = join(dir, `${id}.ogg`);
      await writeFile(file, Buffer.from(await res.arrayBuffer()));
      const { stdout } = await execa('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', file]);
      return { seconds: Number(stdout), start: Number(res.headers.get('x-clip-start-ms')), end: Number(res.headers.get('x-clip-end-ms')) };
    };
    const [a, b] = await Promise.all([probe('p1'), probe('p2')]);
    expect(a.seconds).toBeCloseTo(10, 0);
    expect([a.start, a.end]).toEqual([0, 10_000]);
    // p2's context runs from -5 s to 45 s of a 40 s recording: clamped to the end, then the last 30 s.
    expect([b.start, b.end]).toEqual([10_000, 40_000]);
    expect(b.seconds).toBeCloseTo(30, 0);
    expect((await probe('p1')).seconds).toBeCloseTo(10, 0);
    expect(downloads).toEqual(['silver/audio/v1/abc.flac']);
  });
});
