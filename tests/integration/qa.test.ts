import { existsSync, mkdirSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import type { Browser, Page } from 'playwright-core';
import { hasChromium, launchChromium } from './browser.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { identifyVod } from '../../functions/ingest/identify-vod.ts';
import { allocateStrata } from '../../functions/review/sample-pairs.ts';
import { REPO_ROOT } from '../../infra/paths.ts';
import { runIngestBatch } from '../../cli/run-ingest-batch.ts';
import { startQaServer, type QaServer } from '../../web/qa/qa-server.ts';
import { config, dougpt, env, sqlRows } from './stack.ts';
import { sample, scratchDir } from './samples.ts';


interface PairsResponse {
  align_id: string;
  items: { item_id: string; pair_id: string | null; tier: number | null; kind: string; review: { verdict: string } | null }[];
}

describe.skipIf(!hasChromium)('dougpt qa review page', () => {
  let vodId: string;
  let qa: QaServer;
  let browser: Browser;
  let page: Page;
  // Unique per run, so a kept test stack (DOUGPT_TEST_KEEP_STACK) never matches an older review.
  const reviewer = `qa-it-${Date.now().toString(36)}`;
  /** Timings printed at the end, for the record (not asserted: the machine is shared). */
  const timings: Record<string, number> = {};

  beforeAll(async () => {
    const vod = await sample(31);
    const { result } = await runIngestBatch(config, { vods: [{ video: vod.files.video, chat: vod.files.chat }] });
    expect(result.failed).toEqual([]);
    vodId = await identifyVod({ video: vod.files.video });
    const t0 = performance.now();
    qa = await startQaServer(config, { vod_id: vodId, reviewer, port: 0, sample: 50 });
    timings.load_ms = performance.now() - t0;
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
  });

  afterAll(async () => {
    process.stderr.write(`[qa] ${Object.entries(timings).map(([k, v]) => `${k}=${Math.round(v)}`).join(' ')}\n`);
    await browser?.close();
    await qa?.close();
  });

  it('reviews the first pair with the keyboard: `a` saves an accept to gold.pair_reviews', async () => {
    const [counted] = await sqlRows(`select count(*) n from gold.pairs where vod_id = '${vodId}' and pair_id is not null and align_id = '${qa.align_id}'`);
    expect(Number(counted?.n)).toBeGreaterThan(0);
    await page.goto(qa.url);
    await page.locator('#list li').first().waitFor();
    const firstId = await page.locator('#list li').first().getAttribute('data-id');
    expect(firstId).toBeTruthy();
    await expect.poll(() => page.locator('#message').textContent()).toBeTruthy();

    const t0 = performance.now();
    await page.keyboard.press('a');
    await page.locator('#list li').first().locator('.verdict-accept').waitFor();
    timings.accept_to_saved_ms = performance.now() - t0;
    // Accepting moves on to the next pair.
    expect(await page.locator('#list li.current').getAttribute('data-id')).not.toBe(firstId);

    const rows = await sqlRows(
      `select review_id, pair_id, verdict, reviewer, vod_id from gold.pair_reviews where reviewer = '${reviewer}' order by reviewed_at`,
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ pair_id: firstId, verdict: 'accept', reviewer, vod_id: vodId });
    expect(String(rows[0]?.review_id)).toMatch(/^review-[0-9a-f]{24}$/);

    // The page shows the latest verdict after a reload: it comes from the lake.
    const api = (await (await fetch(`${qa.url}api/pairs`)).json()) as PairsResponse;
    expect(api.items.find((i) => i.item_id === firstId)?.review).toMatchObject({ verdict: 'accept', reviewer, reviewed_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/) });

    // A change of mind adds a row; the latest wins.
    await page.keyboard.press('k');
    await page.keyboard.press('n');
    await page.keyboard.type('context is the wrong line');
    await page.keyboard.press('Escape');
    await page.keyboard.press('r');
    await page.locator('#list li').first().locator('.verdict-reject').waitFor();
    const history = await sqlRows(`select verdict, note from gold.pair_reviews where reviewer = '${reviewer}' and pair_id = '${firstId}' order by reviewed_at`);
    expect(history).toEqual([{ verdict: 'accept', note: null }, { verdict: 'reject', note: 'context is the wrong line' }]);
    await page.reload();
    await page.locator('#list li').first().locator('.verdict-reject').waitFor();
    expect(await page.locator('#list li .verdict-accept, #list li .verdict-reject').count()).toBe(1);
  });

  it('navigates with j/k and filters by tier with 0/1/2', async () => {
    await page.goto(qa.url);
    await page.locator('#list li').first().waitFor();
    const ids = await page.locator('#list li').evaluateAll((lis) => lis.map((li) => li.getAttribute('data-id')));
    await page.keyboard.press('j');
    await page.keyboard.press('j');
    await page.keyboard.press('k');
    if (ids.length > 1) expect(await page.locator('#list li.current').getAttribute('data-id')).toBe(ids[1]);

    const api = (await (await fetch(`${qa.url}api/pairs`)).json()) as PairsResponse;
    const tier = [2, 1, 0].find((t) => api.items.some((i) => i.tier === t)) as number;
    await page.keyboard.press(String(tier));
    await expect.poll(() => page.url()).toContain(`tier=${tier}`);
    await expect
      .poll(() => page.locator('#list li .tier').evaluateAll((els) => [...new Set(els.map((e) => e.textContent))]))
      .toEqual([String(tier)]);
    expect(await page.locator('#list li').count()).toBe(api.items.filter((i) => i.tier === tier).length);
    expect(await page.locator('#help').textContent()).toMatch(/j.*k.*accept.*reject.*space/s);
  });

  it('serves a clip of the context: Ogg/Opus audio of plausible length', async () => {
    const api = (await (await fetch(`${qa.url}api/pairs`)).json()) as PairsResponse;
    // The last pair: the page has not asked for its clip yet, so this one is cut now.
    const pair = api.items.filter((i) => i.kind === 'pair').at(-1);
    expect(pair).toBeDefined();
    const t0 = performance.now();
    const res = await fetch(`${qa.url}api/clip/${pair?.item_id}`);
    expect(res.status).toBe(200);
    const body = Buffer.from(await res.arrayBuffer());
    timings.clip_ms = performance.now() - t0;
    expect(res.headers.get('content-type')).toBe('audio/ogg');
    const expected = (Number(res.headers.get('x-clip-end-ms')) - Number(res.headers.get('x-clip-start-ms'))) / 1000;
    const file = join(scratchDir, 'clip.ogg');
    await writeFile(file, body);
    const t1 = performance.now();
    expect((await fetch(`${qa.url}api/clip/${pair?.item_id}`)).status).toBe(200);
    timings.cached_clip_ms = performance.now() - t1;
    const { stdout } = await execa('ffprobe', ['-v', 'error', '-show_entries', 'format=duration:stream=codec_name', '-of', 'json', file]);
    const probe = JSON.parse(stdout) as { format: { duration: string }; streams: { codec_name: string }[] };
    const seconds = Number(probe.format.duration);
    expect(probe.streams[0]?.codec_name).toBe('opus');
    expect(expected).toBeGreaterThan(0.5);
    expect(expected).toBeLessThanOrEqual(30);
    expect(Math.abs(seconds - expected)).toBeLessThan(0.15);
    // The VOD's audio is downloaded once, into the state directory's cache.
    expect(existsSync(join(config.paths.home, 'qa-cache', vodId))).toBe(true);
  });

  it('samples the newest alignment stratified by tier', async () => {
    const tiers = await sqlRows(
      `select tier::varchar tier, count(*) n from gold.pairs where vod_id = '${vodId}' and align_id = '${qa.align_id}' and reject_reason is null group by tier`,
    );
    const quota = allocateStrata(new Map(tiers.map((r) => [String(r.tier), Number(r.n)])), 50);
    const api = (await (await fetch(`${qa.url}api/pairs`)).json()) as PairsResponse;
    const got = new Map<string, number>();
    for (const item of api.items) got.set(String(item.tier), (got.get(String(item.tier)) ?? 0) + 1);
    expect(Object.fromEntries(got)).toEqual(Object.fromEntries([...quota].filter(([, n]) => n > 0)));
    const [newest] = await sqlRows(
      `select p.align_id from gold.pairs p join silver.asr_runs r on r.run_id = p.asr_run_id where p.vod_id = '${vodId}' order by r.created_at desc limit 1`,
    );
    expect(qa.align_id).toBe(newest?.align_id);
  });

  it('browses rejected messages with their reason, and refuses bad requests with JSON 400', async () => {
    const rejects = (await (await fetch(`${qa.url}api/pairs?reason=any`)).json()) as PairsResponse & { items: { reject_reason: string }[] };
    const [counted] = await sqlRows(`select count(*) n from gold.pairs where vod_id = '${vodId}' and align_id = '${qa.align_id}' and reject_reason is not null`);
    expect(rejects.items.length).toBe(Math.min(50, Number(counted?.n)));
    for (const item of rejects.items) expect(item.reject_reason).toBeTruthy();
    const bad = await fetch(`${qa.url}api/pairs?tier=5`);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/tier/);
    const post = await fetch(`${qa.url}api/reviews`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"pair_id":"x","verdict":"ok"}' });
    expect(post.status).toBe(400);
  });

  it('takes a screenshot of the page (into docs/ with DOUGPT_UPDATE_DOCS=1)', async () => {
    await page.goto(`${qa.url}?tier=&label=&reason=`);
    await page.locator('#list li').first().waitFor();
    await page.keyboard.press('j');
    const dir = process.env.DOUGPT_UPDATE_DOCS === '1' ? join(REPO_ROOT, 'docs') : mkdtempSync(join(tmpdir(), 'dougpt-qa-shot-'));
    mkdirSync(dir, { recursive: true });
    const path = join(dir, 'qa-screenshot.png');
    await page.screenshot({ path });
    expect(statSync(path).size).toBeGreaterThan(10_000);
  });

  it('`dougpt qa` names an unknown VOD or alignment in one line, exit 2', async () => {
    const noVod = await dougpt(['qa', 'no-such-vod', '--no-open', '--json'], { reject: false });
    expect(noVod.exitCode).toBe(2);
    expect(noVod.stderr.trim().split('\n')).toHaveLength(1);
    expect(noVod.stderr).toContain('no-such-vod');
    const noAlign = await dougpt(['qa', vodId, '--align-id', 'align-nope', '--no-open', '--json'], { reject: false });
    expect(noAlign.exitCode).toBe(2);
    expect(noAlign.stderr).toContain('align-nope');
  });

  it('`dougpt qa --json` prints the URL and serves until interrupted', async () => {
    const child = execa(process.execPath, [join(REPO_ROOT, 'bin', 'dougpt.js'), 'qa', vodId, '--json', '--no-open', '--sample', '5'], { env, cwd: REPO_ROOT, reject: false });
    let out = '';
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout?.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        try {
          resolve((JSON.parse(out) as { url: string }).url);
        } catch {
          // Not the whole document yet.
        }
      });
      child.once('exit', () => reject(new Error(`dougpt qa exited early: ${out}`)));
    });
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const api = (await (await fetch(`${url}api/pairs`)).json()) as PairsResponse;
    expect(api.align_id).toBe(qa.align_id);
    expect(api.items.length).toBeGreaterThan(0);
    expect(api.items.length).toBeLessThanOrEqual(5);
    child.kill('SIGINT');
    const done = await child;
    expect(done.exitCode).toBe(0);
  });
});
