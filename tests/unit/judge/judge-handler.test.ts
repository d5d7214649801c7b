import { cp, mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadEvalFolder } from '../../../functions/judge/eval-folder.ts';
import { realIndex, sampleJudgeSamples, toJudgeItem } from '../../../functions/judge/judge-items.ts';
import { readJudgments } from '../../../functions/judge/judgments.ts';
import { REPO_ROOT } from '../../../infra/paths.ts';
import { createJudgeHandler } from '../../../web/judge/judge-server.ts';

const FIXTURE = join(REPO_ROOT, 'tests', 'fixtures', 'judge', 'eval-0a1b2c3d4e5f');

interface Listed {
  pair_id: string;
  replies: [string, string];
  pick: { picked: number; real_index: number } | null;
  judgment: { picked_real: boolean; rating: number } | null;
}

describe('judge request handler', () => {
  let dir: string;
  let server: Server;
  let base: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dougpt-judge-h-'));
    await cp(FIXTURE, dir, { recursive: true });
    const folder = await loadEvalFolder(dir);
    const items = sampleJudgeSamples(folder.samples, 5, folder.info.eval_id).map((s) => toJudgeItem(s, folder.info.eval_id));
    server = createServer(createJudgeHandler({ folder, items, reviewer: 'ana' }));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterEach(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await rm(dir, { recursive: true, force: true });
  });

  const list = async () => (await (await fetch(`${base}/api/items`)).json()) as { eval_id: string; run_id: string; total: number; items: Listed[]; summary: unknown };
  const post = (path: string, body: unknown) => fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  it('lists the sampled items without saying which reply is real', async () => {
    const data = await list();
    expect(data).toMatchObject({ eval_id: 'eval-0a1b2c3d4e5f', run_id: 'train-fixture-01', total: 10, summary: { judged: 0 } });
    expect(data.items).toHaveLength(5);
    for (const item of data.items) {
      expect(item.pick).toBeNull();
      expect(Object.keys(item).sort()).toEqual(['context', 'judgment', 'offset_ms', 'pair_id', 'pick', 'replies', 'vod_id']);
    }
  });

  it('reveals the answer only for a recorded pick, which cannot change; then saves one judgment', async () => {
    const [item] = (await list()).items;
    const id = item!.pair_id;
    const answer = realIndex('eval-0a1b2c3d4e5f', id);
    expect((await post('/api/judgments', { pair_id: id, rating: 3 })).status).toBe(409);

    const wrong = (1 - answer) as 0 | 1;
    const picked = await post('/api/picks', { pair_id: id, picked: wrong });
    expect(await picked.json()).toEqual({ pair_id: id, picked: wrong, real_index: answer, picked_real: false });
    // Knowing the answer now, a second pick is answered with the first.
    expect(await (await post('/api/picks', { pair_id: id, picked: answer })).json()).toMatchObject({ picked: wrong, picked_real: false });
    expect((await list()).items[0]?.pick).toEqual({ picked: wrong, real_index: answer });

    const saved = await post('/api/judgments', { pair_id: id, rating: 4 });
    expect(saved.status).toBe(201);
    expect(await saved.json()).toMatchObject({ judgment: { pair_id: id, picked_real: false, rating: 4, reviewer: 'ana', run_id: 'train-fixture-01' }, real_index: answer, summary: { judged: 1, correct_share: 0, mean_rating: 4 } });
    expect((await post('/api/judgments', { pair_id: id, rating: 2 })).status).toBe(409);
    expect(await readJudgments(join(dir, 'judgments.jsonl'))).toHaveLength(1);
    expect((await list()).items[0]).toMatchObject({ pick: { picked: wrong, real_index: answer }, judgment: { picked_real: false, rating: 4 } });
  });

  it('refuses bad requests with JSON errors', async () => {
    const [item] = (await list()).items;
    expect((await post('/api/picks', { pair_id: 'pair-nope', picked: 0 })).status).toBe(404);
    const bad = await post('/api/picks', { pair_id: item!.pair_id, picked: 2 });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/^picked/);
    await post('/api/picks', { pair_id: item!.pair_id, picked: 0 });
    expect((await post('/api/judgments', { pair_id: item!.pair_id, rating: 0 })).status).toBe(400);
    expect((await fetch(`${base}/api/picks`)).status).toBe(405);
    expect((await fetch(`${base}/nope`)).status).toBe(404);
    expect((await fetch(`${base}/api/picks`, { method: 'POST', body: 'x' })).status).toBe(415);
    expect((await fetch(`${base}/`)).headers.get('content-type')).toMatch(/text\/html/);
  });
});
