import { describe, expect, it } from 'vitest';
import type { LagStep } from '../../../functions/sample/ground-truth.ts';
import { runCase } from '../../bench/align-score.ts';
import { benchStream } from '../../bench/align-streams.ts';
import { transcriptOfKind, type TranscriptKind } from '../../bench/align-transcripts.ts';

/** The accuracy benchmark's cases (tests/bench/align-accuracy.bench.ts), 8 minutes each, as regression tests. */
const MINUTES = 8;
const DURATION = MINUTES * 60_000;
const CASES: Array<{ seed: number; schedule: LagStep[]; wholeSeconds: boolean }> = [
  { seed: 31, schedule: [{ from_ms: 0, lag_ms: 2_000 }], wholeSeconds: true },
  { seed: 32, schedule: [{ from_ms: 0, lag_ms: 7_300 }, { from_ms: DURATION / 2, lag_ms: 4_100 }], wholeSeconds: true },
  { seed: 33, schedule: [{ from_ms: 0, lag_ms: 12_000 }], wholeSeconds: false },
];
const KINDS: TranscriptKind[] = ['exact', 'neural', 'neural-hard'];

describe.each(CASES)('bench case seed $seed', async ({ seed, schedule, wholeSeconds }) => {
  const { stream, messages } = await benchStream({ seed, durationMs: DURATION, lagSchedule: schedule, wholeSecondOffsets: wholeSeconds });

  it.each(KINDS)('%s transcript: lag, pairing, lag changes, no future in the context', (kind) => {
    const transcript = transcriptOfKind(stream.transcript, kind, seed);
    const r = runCase(stream.truth, messages, transcript, stream.vodId);
    expect(r.ours.medianLagErrorMs).toBeLessThanOrEqual(500);
    expect(r.ours.reactionsRight).toBeGreaterThanOrEqual(0.9);
    // Never worse than either baseline (which are perfect only where their guess happens to fit).
    expect(r.ours.reactionsRight).toBeGreaterThanOrEqual(Math.min(r.xcorr.reactionsRight, r.fixed.reactionsRight, 0.99) - 0.01);
    expect(r.ours.reactionsRight).toBeGreaterThanOrEqual(Math.max(r.xcorr.reactionsRight, r.fixed.reactionsRight) - 0.01);
    expect(r.ours.botsCommandsRejected).toBe(1);
    for (const e of r.changeErrorsMs) expect(e).not.toBeNull();
    for (const e of r.changeErrorsMs) expect(e as number).toBeLessThanOrEqual(30_000);
    if (schedule.length === 1) expect(r.result.offsets).toHaveLength(1);
    for (const o of r.result.offsets) {
      expect(Math.abs(o.lag_ms - schedule.reduce((lag, s) => (s.from_ms <= o.from_ms ? s.lag_ms : lag), 0))).toBeLessThan(2_000);
      expect(o.reason).toBeNull();
    }

    // No future: for every reaction paired, no context word starts after the moment reacted to
    // (offset − true lag) plus a tolerance for recogniser timing and bounded phrases.
    const truth = new Map(stream.truth.messages.map((m) => [m.message_id, m]));
    const words = transcript.words;
    let future = 0;
    let reactions = 0;
    for (const p of r.result.pairs) {
      const m = truth.get(p.message_id);
      if (m?.category !== 'reaction') continue;
      reactions++;
      const moment = m.offset_ms - (m.lag_ms as number);
      const last = words.filter((w) => w.start_ms >= p.context_start_ms && w.start_ms < p.context_end_ms).reduce((a, w) => Math.max(a, w.start_ms), -Infinity);
      if (last > moment + 2_500) future++;
      expect(p.context_end_ms).toBeLessThanOrEqual(p.offset_ms);
      expect(p.context_end_ms - p.context_start_ms).toBeLessThanOrEqual(30_000);
    }
    expect(future / reactions).toBeLessThan(0.01);
  });
});
