import { mkdirSync, mkdtempSync, openSync, readSync, closeSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLake } from '../../catalog/lake.ts';
import { createObjectStore } from '../../catalog/object-store.ts';
import { runIngestBatch } from '../../cli/run-ingest-batch.ts';
import { identifyVod } from '../../functions/ingest/identify-vod.ts';
import { REPO_ROOT } from '../../infra/paths.ts';
import { loadReplayLake, simulationChatKey } from '../../web/replay/load-replay-lake.ts';
import { readChatFile } from '../../web/replay/read-chat-file.ts';
import type { ReplayLag, ReplayMessage } from '../../web/replay/replay-data.ts';
import { startReplayServer, type ReplayServer } from '../../web/replay/replay-server.ts';
import { hasChromium, launchChromium } from './browser.ts';
import { sample } from './samples.ts';
import { config, dougpt, env, sqlRows } from './stack.ts';

interface ReplayApi {
  vod_id: string;
  media: { url: string; kind: string; content_type: string };
  lag: ReplayLag[];
  align: string | null;
  transcript: { start_ms: number; text: string }[];
  columns: { id: string; messages: ReplayMessage[] }[];
}

/** Starts `dougpt replay … --json` and returns its URL and the child (stopped with SIGINT). */
async function startCli(args: string[]) {
  const child = execa(process.execPath, [join(REPO_ROOT, 'bin', 'dougpt.js'), 'replay', ...args, '--json'], { env, cwd: REPO_ROOT, reject: false });
  let out = '';
  const started = await new Promise<{ url: string; real: number; generated: number; lag_ms: number[] }>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      try {
        resolve(JSON.parse(out) as { url: string; real: number; generated: number; lag_ms: number[] });
      } catch {
        // Not the whole document yet.
      }
    });
    child.once('exit', () => reject(new Error(`dougpt replay exited early: ${out}`)));
  });
  return { ...started, child };
}

/** The media element's fields the test reads (no DOM types in this project). */
type Media = { readyState: number; currentTime: number; duration: number };

const api = async (url: string) => (await (await fetch(`${url}api/replay`)).json()) as ReplayApi;
const countUpTo = (messages: ReplayMessage[], ms: number) => messages.filter((m) => m[0] <= ms).length;

describe.skipIf(!hasChromium)('dougpt replay', () => {
  let vodId: string;
  let video: string;
  let files: { chat: string; transcript: string; generated: string };
  let replay: ReplayServer;
  let browser: Browser;
  let page: Page;
  const timings: Record<string, number> = {};

  beforeAll(async () => {
    const [vod, other] = await Promise.all([sample(51), sample(52)]);
    const { result } = await runIngestBatch(config, { vods: [{ video: vod.files.video, chat: vod.files.chat }] });
    expect(result.failed).toEqual([]);
    vodId = await identifyVod({ video: vod.files.video });
    video = vod.files.video;
    // Generated chat: any valid chat file; here another sample's chat.
    files = { chat: vod.files.chat, transcript: vod.files.transcript, generated: other.files.chat };
    const t0 = performance.now();
    const lake = await openLake(config, { readOnly: true });
    try {
      const data = await loadReplayLake(
        { vod_id: vodId, generated: { file: files.generated } },
        { lake, store: createObjectStore(config), cacheDir: mkdtempSync(join(tmpdir(), 'dougpt-replay-cache-')) },
      );
      replay = await startReplayServer(data, { port: 0 });
    } finally {
      lake.close();
    }
    timings.load_ms = performance.now() - t0;
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1400, height: 820 } });
  });

  afterAll(async () => {
    process.stderr.write(`[replay] ${Object.entries(timings).map(([k, v]) => `${k}=${Math.round(v)}`).join(' ')}\n`);
    await browser?.close();
    await replay?.close();
  });

  it('loads the VOD from the lake: real chat of silver.chat_messages, lag of the newest alignment, its transcript; generated chat from the file', async () => {
    const data = await api(replay.url);
    const [counted] = await sqlRows(`select count(*) n from silver.chat_messages where vod_id = '${vodId}' and not is_deleted`);
    expect(data.columns[0]?.messages.length).toBe(Number(counted?.n));
    expect(data.columns[1]?.messages.length).toBe((await readChatFile(files.generated)).messages.length);
    expect(data.columns[1]?.messages.length).toBeGreaterThan(0);
    const offsets = await sqlRows(`select from_ms, to_ms, lag_ms from silver.chat_offsets where align_id = '${data.align}' order by from_ms`);
    expect(offsets.length).toBeGreaterThan(0);
    expect(data.lag.map((l) => [l.from_ms, l.to_ms, l.lag_ms])).toEqual(offsets.map((o) => [Number(o.from_ms), Number(o.to_ms), Number(o.lag_ms)]));
    expect(data.transcript.length).toBeGreaterThan(0);
    expect(data.media).toMatchObject({ url: '/media', kind: 'video', content_type: 'video/mp4' });
    for (const column of data.columns) for (let i = 1; i < column.messages.length; i++) expect(column.messages[i]![0]).toBeGreaterThanOrEqual(column.messages[i - 1]![0]);
  });

  it('serves the media with Range requests: 206 slices of the ingested bytes, 416 past the end, 200 without a range', async () => {
    const size = statSync(video).size;
    const local = Buffer.alloc(100);
    const fd = openSync(video, 'r');
    readSync(fd, local, 0, 100, 1000);
    closeSync(fd);
    const slice = await fetch(`${replay.url}media`, { headers: { range: 'bytes=1000-1099' } });
    expect(slice.status).toBe(206);
    expect(slice.headers.get('content-range')).toBe(`bytes 1000-1099/${size}`);
    expect(Buffer.from(await slice.arrayBuffer()).equals(local)).toBe(true);
    const tail = await fetch(`${replay.url}media`, { headers: { range: 'bytes=-10' } });
    expect(tail.status).toBe(206);
    expect((await tail.arrayBuffer()).byteLength).toBe(10);
    const past = await fetch(`${replay.url}media`, { headers: { range: `bytes=${size}-` } });
    expect(past.status).toBe(416);
    expect(past.headers.get('content-range')).toBe(`bytes */${size}`);
    const whole = await fetch(`${replay.url}media`);
    expect(whole.status).toBe(200);
    expect(whole.headers.get('accept-ranges')).toBe('bytes');
    expect((await whole.arrayBuffer()).byteLength).toBe(size);
  });

  it('in Chromium: seeking shows both chats up to the playhead; playing advances both columns; the lag marker shows the alignment\'s lag', async () => {
    const data = await api(replay.url);
    const [real, generated] = [data.columns[0]!.messages, data.columns[1]!.messages];
    await page.goto(replay.url);
    await page.locator('body[data-ready="true"]').waitFor();
    await expect.poll(() => page.locator('video').evaluate((v) => (v as unknown as Media).readyState), { timeout: 20_000 }).toBeGreaterThanOrEqual(1);
    const shown = async () => ({
      t: (await page.locator('video').evaluate((v) => (v as unknown as Media).currentTime)) * 1000,
      real: Number(await page.locator('#col-real').getAttribute('data-shown')),
      generated: Number(await page.locator('#col-generated').getAttribute('data-shown')),
      items: await page.locator('#col-real .messages li').count(),
    });

    // Seek by clicking the timeline a third of the way in.
    const box = (await page.locator('#timeline').boundingBox())!;
    await page.mouse.click(box.x + box.width / 3, box.y + box.height / 2);
    await expect.poll(async () => (await shown()).t).toBeGreaterThan(5_000);
    await expect
      .poll(async () => {
        const s = await shown();
        return [s.real, s.generated, s.real === countUpTo(real, s.t) && s.generated === countUpTo(generated, s.t)];
      })
      .toEqual([expect.any(Number), expect.any(Number), true]);
    const before = await shown();
    expect(before.real).toBeGreaterThan(0);
    expect(before.generated).toBeGreaterThan(0);
    expect(before.items).toBe(Math.min(before.real, 80));
    // The newest message shown is the last one at or before the playhead.
    const lastShown = Number(await page.locator('#col-real .messages li').last().getAttribute('data-offset-ms'));
    expect(lastShown).toBe(real[before.real - 1]![0]);

    const lag = await page.locator('#lag').getAttribute('data-lag-ms');
    const segment = data.lag.find((l) => before.t >= l.from_ms && before.t < l.to_ms) ?? data.lag[0]!;
    expect(Number(lag)).toBe(segment.lag_ms);
    expect(await page.locator('#lag').textContent()).toContain(`${(segment.lag_ms / 1000).toFixed(1)} s`);
    await expect.poll(() => page.locator('#transcript li.reacted').count()).toBe(1);

    // Play from the keyboard (a user gesture, so the browser allows sound), for a few seconds.
    const t0 = performance.now();
    await page.keyboard.press(' ');
    await expect.poll(async () => (await shown()).t, { timeout: 20_000 }).toBeGreaterThan(before.t + 4_000);
    timings.play_4s_ms = performance.now() - t0;
    await page.keyboard.press(' ');
    const after = await shown();
    expect(after.real).toBeGreaterThan(before.real);
    expect(after.generated).toBeGreaterThan(before.generated);
    await expect.poll(async () => {
      const s = await shown();
      return s.real === countUpTo(real, s.t) && s.generated === countUpTo(generated, s.t);
    }).toBe(true);

    // Back 5 s with the arrow key: the columns follow.
    const paused = await shown();
    await page.keyboard.press('ArrowLeft');
    await expect.poll(async () => (await shown()).t).toBeLessThan(paused.t - 4_000);
    await expect.poll(async () => (await shown()).real).toBeLessThan(paused.real);
  });

  it('takes a screenshot of the page (into docs/ with DOUGPT_UPDATE_DOCS=1)', async () => {
    await page.goto(replay.url);
    await page.locator('body[data-ready="true"]').waitFor();
    await page.locator('video').evaluate((v) => {
      const media = v as unknown as Media;
      media.currentTime = Math.min(18, media.duration * 0.6 || 18);
    });
    await expect.poll(() => page.locator('#transcript li.reacted').count()).toBe(1);
    await page.waitForTimeout(500);
    const dir = process.env.DOUGPT_UPDATE_DOCS === '1' ? join(REPO_ROOT, 'docs') : mkdtempSync(join(tmpdir(), 'dougpt-replay-shot-'));
    mkdirSync(dir, { recursive: true });
    const path = join(dir, 'replay-screenshot.png');
    await page.screenshot({ path });
    expect(statSync(path).size).toBeGreaterThan(20_000);
  });

  it('`dougpt replay <vod_id> --generated FILE | --simulation ID | --audio` serves the lake\'s replay until interrupted', async () => {
    const cli = await startCli([vodId, '--generated', files.generated]);
    const data = await api(cli.url);
    const direct = await api(replay.url);
    expect(cli.real).toBe(direct.columns[0]!.messages.length);
    expect(cli.generated).toBe(direct.columns[1]!.messages.length);
    expect(data.lag).toEqual(direct.lag);
    cli.child.kill('SIGINT');
    expect((await cli.child).exitCode).toBe(0);
    // --simulation reads a simulation's chat from the lake; here another sample's chat put where `dougpt simulate` writes.
    const simId = `it-sim-${Date.now().toString(36)}`;
    await createObjectStore(config).putFileOnce(simulationChatKey(simId), files.generated);
    const sim = await startCli([vodId, '--simulation', simId]);
    expect(sim.generated).toBe(direct.columns[1]!.messages.length);
    expect((await api(sim.url)).columns[1]!.messages).toEqual(direct.columns[1]!.messages);
    sim.child.kill('SIGINT');
    expect((await sim.child).exitCode).toBe(0);
    // --audio plays the silver FLAC instead of the video.
    const audio = await startCli([vodId, '--audio']);
    expect((await api(audio.url)).media).toMatchObject({ kind: 'audio', content_type: 'audio/flac' });
    const slice = await fetch(`${audio.url}media`, { headers: { range: 'bytes=0-3' } });
    expect(slice.status).toBe(206);
    expect(Buffer.from(await slice.arrayBuffer()).toString('latin1')).toBe('fLaC');
    audio.child.kill('SIGINT');
    expect((await audio.child).exitCode).toBe(0);
  });

  it('files mode (`--media --chat --generated --transcript`) aligns the chat for the lag; no server needed', async () => {
    const cli = await startCli(['--media', video, '--chat', files.chat, '--generated', files.generated, '--transcript', files.transcript]);
    const data = await api(cli.url);
    expect(cli.lag_ms.length).toBeGreaterThan(0);
    expect(data.columns[0]!.messages.length).toBe((await readChatFile(files.chat)).messages.length);
    expect(data.transcript.length).toBeGreaterThan(0);
    const slice = await fetch(`${cli.url}media`, { headers: { range: 'bytes=0-9' } });
    expect(slice.status).toBe(206);
    cli.child.kill('SIGINT');
    expect((await cli.child).exitCode).toBe(0);
  });

  it('names bad input in one line, exit 2', async () => {
    const cases: [string[], RegExp][] = [
      [['replay', 'no-such-vod', '--json'], /no-such-vod: no such VOD/],
      [['replay', vodId, '--simulation', 'sim-nope', '--json'], /gold\/simulations\/sim-nope\/chat\.json/],
      [['replay', vodId, '--generated', join(tmpdir(), 'missing-chat.json'), '--json'], /missing-chat\.json/],
      [['replay', vodId, '--generated', files.generated, '--simulation', 'x'], /give one of them/],
      [['replay', '--media', video, '--chat', files.chat], /--generated/],
      [['replay', '--media', join(tmpdir(), 'no-video.mp4'), '--chat', files.chat, '--generated', files.generated], /no-video\.mp4/],
      [['replay', '--media', video, '--chat', video, '--generated', files.generated], /dougpt-sample-seed51\.mp4/],
    ];
    for (const [args, message] of cases) {
      const run = await dougpt(args, { reject: false });
      expect(run.exitCode, `${args.join(' ')}: ${run.stderr}`).toBe(2);
      expect(run.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(run.stderr).toMatch(message);
    }
  });
});
