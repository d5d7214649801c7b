import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fitPacingModel } from '../../../functions/simulate/fit-pacing.ts';
import { describePacingEvaluation, fitRunPacing, type RunPacingVod } from '../../../functions/simulate/fit-run-pacing.ts';
import { fitRunPacingInThread } from '../../../functions/simulate/fit-run-pacing-in-thread.ts';
import { HawkesPacingModel, scoreHawkesPacing, scoreHawkesPacingStreams } from '../../../functions/simulate/hawkes-pacing.ts';
import { fitPacingFromChat, readAnyPacing, readPacingChat, scorePacingOnChat, transcriptPhrases } from '../../../functions/simulate/pacing-chat-files.ts';
import { AlignFileForPacing, pacingVodFromAlign } from '../../../functions/simulate/pacing-data.ts';
import { alignedStreams } from './streams.ts';

/** A training run's VOD as the lake gives it, read from the files of an aligned synthetic stream. */
async function runVod(s: { seed: number; chat: string; align: string; transcript: string }): Promise<RunPacingVod> {
  const chat = await readPacingChat(s.chat);
  return {
    vod_id: `v${s.seed}`,
    align_id: `align-${s.seed}`,
    chat_sha256: chat.sha256,
    events: chat.events,
    spread: chat.spread,
    align: AlignFileForPacing.parse(JSON.parse(await readFile(s.align, 'utf8'))),
    phrases: await transcriptPhrases(s.transcript),
  };
}

describe('the dougpt-pacing/2 model a training run stores beside its adapter', () => {
  let dir = '';
  let streams: Awaited<ReturnType<typeof alignedStreams>>['streams'] = [];
  let vods: RunPacingVod[] = [];
  const now = () => new Date('2026-01-02T03:04:05Z');
  beforeAll(async () => {
    ({ dir, streams } = await alignedStreams([51, 52], 180_000));
    vods = await Promise.all(streams.map(runVod));
  }, 60_000);
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('holds the held-out figures `pacing fit --until 0.7` and `pacing score --from 0.7 --transcript` give, and is fitted on all of the chat', async () => {
    const s = streams[0]!;
    const model = fitRunPacing([vods[0]!], { now });
    expect(HawkesPacingModel.parse(JSON.parse(JSON.stringify(model)))).toEqual(model);
    expect(model.baseline.kind).toBe('speech');
    expect(model.sources).toEqual([{ path: 'silver.chat_messages', sha256: vods[0]!.chat_sha256, vod_id: 'v51', align_id: 'align-51' }]);
    expect(model.created_at).toBe('2026-01-02T03:04:05.000Z');

    const pacing = join(dir, 'cli.pacing.json');
    await fitPacingFromChat({ chat: [s.chat], pairs: [s.align], until: 0.7, out: pacing });
    const { window, ...cli } = await scorePacingOnChat({ pacing, chat: s.chat, transcript: s.transcript, from: 0.7 });
    expect(window.to_s - window.from_s).toBeCloseTo(cli.seconds, 6);
    expect(model.evaluation).toMatchObject({ streams: 1, ...cli });
    expect(model.evaluation?.holdout).toMatch(/first 70 % .* last 30 %/);

    // The stored coefficients come from the whole span, not the 70 % the evaluation was fitted on.
    const chat = await readPacingChat(s.chat);
    expect(model.training.streams[0]).toMatchObject({ from_s: chat.start, to_s: Math.round(chat.end * 1000) / 1000 });
    expect(model.training.messages).toBe(chat.events.length);
    expect(model.training.messages).toBeGreaterThan(cli.messages * 2);
    // Same inputs, same file.
    expect(fitRunPacing([vods[0]!], { now })).toEqual(model);
  }, 60_000);

  it('pools several VODs: their held-out windows and messages add up, each VOD scored against its own oracle rate', () => {
    const model = fitRunPacing(vods, { now });
    const e = model.evaluation!;
    expect(e.streams).toBe(2);
    expect(model.training.streams.map((t) => t.source)).toEqual(['v51/align-51', 'v52/align-52']);
    // Scored alone, each held-out window gives its part of the pooled figures.
    const parts = vods.map((v) => {
      const start = Math.floor(v.events[0]!.t);
      const end = v.events[v.events.length - 1]!.t + 1;
      return scoreHawkesPacing(model, { events: v.events, from: start + 0.7 * (end - start), to: end });
    });
    expect(parts.reduce((n, p) => n + p.messages, 0)).toBeGreaterThan(0);
    const pooled = scoreHawkesPacingStreams(
      model,
      vods.map((v) => {
        const start = Math.floor(v.events[0]!.t);
        const end = v.events[v.events.length - 1]!.t + 1;
        return { events: v.events, from: start + 0.7 * (end - start), to: end };
      }),
    );
    expect(pooled.messages).toBe(parts[0]!.messages + parts[1]!.messages);
    expect(pooled.seconds).toBeCloseTo(parts[0]!.seconds + parts[1]!.seconds, 3);
    const weighted = (parts[0]!.model.loglik_per_s * parts[0]!.seconds + parts[1]!.model.loglik_per_s * parts[1]!.seconds) / pooled.seconds;
    expect(pooled.model.loglik_per_s).toBeCloseTo(weighted, 3);
    expect(pooled.constant_oracle.loglik_per_s).toBeCloseTo(
      (parts[0]!.constant_oracle.loglik_per_s * parts[0]!.seconds + parts[1]!.constant_oracle.loglik_per_s * parts[1]!.seconds) / pooled.seconds,
      3,
    );
    // The stored evaluation scores the same windows (with the model fitted on the first 70 %).
    expect(e.messages).toBe(pooled.messages);
    expect(e.seconds).toBe(pooled.seconds);
    expect(e.constant_oracle).toEqual(pooled.constant_oracle);
    expect(e.messages).toBeGreaterThan(100);
    expect(describePacingEvaluation(e)).toContain(`MAE/10 s ${e.model.mae_10s.toFixed(2)} vs ${e.constant.mae_10s.toFixed(2)}`);
  });

  it('without aligned lines the background is constant; too short a span has no evaluation; no chat is refused', () => {
    const v = vods[0]!;
    const bare = fitRunPacing([{ ...v, align: { ...v.align, pairs: [], rejects: [] } }], { now });
    expect(bare.baseline).toEqual({ kind: 'constant' });
    expect(bare.evaluation?.model.loglik_per_s).toEqual(expect.any(Number));
    const short = v.events.filter((e) => e.t < v.events[0]!.t + 20);
    expect(fitRunPacing([{ ...v, events: short }], { now }).evaluation).toBeNull();
    expect(() => fitRunPacing([{ ...v, events: v.events.slice(0, 1) }], { now })).toThrow(/no VOD has two audience messages/);
  });

  it('fits in a worker thread to the same model; an aborted fit rejects', async () => {
    const at = now();
    expect(await fitRunPacingInThread([vods[0]!], { now: at })).toEqual(fitRunPacing([vods[0]!], { now: () => at }));
    const abort = new AbortController();
    abort.abort(new Error('cancelled'));
    await expect(fitRunPacingInThread(vods, { signal: abort.signal })).rejects.toThrow('cancelled');
  }, 60_000);

  it('a stored file of either version reads back: v2 with its evaluation, v1 (older runs) as before', async () => {
    const v2 = join(dir, 'v2.pacing.json');
    const model = fitRunPacing([vods[0]!], { now });
    await writeFile(v2, JSON.stringify(model));
    expect(await readAnyPacing(v2)).toEqual(model);
    const v1 = join(dir, 'v1.pacing.json');
    const old = fitPacingModel([pacingVodFromAlign(vods[0]!.align)], { now });
    await writeFile(v1, JSON.stringify(old));
    const read = await readAnyPacing(v1);
    expect(read.version).toBe('dougpt-pacing/1');
    expect(read).toEqual(old);
  });
});
