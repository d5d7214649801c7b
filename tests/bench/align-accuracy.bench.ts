/**
 * Alignment accuracy on synthetic streams with ground truth, on two transcript kinds (the
 * simulator's exact words; neural-recogniser-shaped words: touching times, no segments, ~25% of
 * words substituted or dropped), against two baselines measured in the same run: a fixed window
 * [offset − 10 s, offset − 2 s], and one global lag by cross-correlation with the context cut at
 * offset − lag.
 *   npx tsx tests/bench/align-accuracy.bench.ts [--minutes 30] [--kinds exact,neural,neural-hard] [--recognised DIR]
 * With --recognised, also the samples in DIR made by align-recognised.sh (espeak-ng speech
 * transcribed by Whisper tiny.en and by pocketsphinx), as transcript kinds "whisper" and
 * "pocketsphinx", beside their exact transcripts.
 * Prints a table and one line of JSON. "right": the context spans ≤ 30 s, starts before the end of
 * the line reacted to and ends within 2.5 s of it (see align-score.ts).
 */
import { readdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { LagStep } from '../../functions/sample/ground-truth.ts';
import { runCase, type CaseResult, type Figures } from './align-score.ts';
import { benchStream, recognisedStream } from './align-streams.ts';
import { transcriptOfKind, type TranscriptKind } from './align-transcripts.ts';

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const MINUTES = Number(arg('--minutes') ?? 30);
const DURATION = MINUTES * 60_000;
const KINDS = (arg('--kinds') ?? 'exact,neural,neural-hard').split(',') as TranscriptKind[];
const RECOGNISED = arg('--recognised');

interface Case {
  seed: number;
  schedule: LagStep[];
  wholeSeconds: boolean;
}
/** Three seeds, lags 2–12 s, two mid-stream changes (one down, as measured on a real VOD: 7.3 → 4.1 s). */
const CASES: Case[] = [
  { seed: 31, schedule: [{ from_ms: 0, lag_ms: 2_000 }], wholeSeconds: true },
  { seed: 32, schedule: [{ from_ms: 0, lag_ms: 7_300 }, { from_ms: Math.round(DURATION / 2), lag_ms: 4_100 }], wholeSeconds: true },
  { seed: 33, schedule: [{ from_ms: 0, lag_ms: 12_000 }], wholeSeconds: false },
  { seed: 34, schedule: [{ from_ms: 0, lag_ms: 4_000 }, { from_ms: Math.round((2 * DURATION) / 3), lag_ms: 10_000 }], wholeSeconds: true },
];

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const pad = (s: string, n: number) => s.padEnd(n);
const RECOGNISERS = ['whisper', 'pocketsphinx'] as const;
type Kind = TranscriptKind | (typeof RECOGNISERS)[number] | 'exact (recognised set)';
const rows: Array<{ kind: Kind; name: string; r: CaseResult }> = [];
for (const c of CASES) {
  const { stream, messages } = await benchStream({ seed: c.seed, durationMs: DURATION, lagSchedule: c.schedule, wholeSecondOffsets: c.wholeSeconds });
  const name = `seed ${c.seed} lag ${c.schedule.map((s) => s.lag_ms / 1000).join('→')} s${c.wholeSeconds ? ' (whole s)' : ''}`;
  for (const kind of KINDS) {
    const transcript = transcriptOfKind(stream.transcript, kind, c.seed);
    rows.push({ kind, name, r: runCase(stream.truth, messages, transcript, stream.vodId) });
  }
}

if (RECOGNISED) {
  const files = await readdir(RECOGNISED);
  const stems = [...new Set(files.filter((f) => f.endsWith('.truth.json')).map((f) => join(RECOGNISED, f.replace(/\.truth\.json$/, ''))))].sort();
  for (const stem of stems) {
    let exactDone = false;
    for (const recogniser of RECOGNISERS) {
      if (!files.includes(`${basename(stem)}.${recogniser}.json`)) continue;
      const { truth, messages, exact, recognised } = await recognisedStream(stem, recogniser);
      const name = `seed ${truth.seed} lag ${truth.lag_schedule.map((s) => s.lag_ms / 1000).join('→')} s${truth.whole_second_offsets ? ' (whole s)' : ''} ${Math.round(truth.duration_ms / 60_000)} min`;
      if (!exactDone) rows.push({ kind: 'exact (recognised set)', name, r: runCase(truth, messages, exact, truth.vod_id) });
      exactDone = true;
      rows.push({ kind: recogniser, name, r: runCase(truth, messages, recognised, truth.vod_id) });
    }
  }
}

process.stdout.write(`alignment accuracy, ${CASES.length} synthetic streams of ${MINUTES} min; ours / fixed window / global xcorr\n`);
process.stdout.write(`${pad('transcript', 13)}${pad('stream', 30)}${pad('lag err ms', 20)}${pad('right', 22)}${pad('future ctx', 12)}${pad('change err', 12)}${pad('align', 8)}segments (lag@from s, confidence, reason)\n`);
for (const { kind, name, r } of rows) {
  const segs = r.result.offsets.map((o) => `${(o.lag_ms / 1000).toFixed(2)}@${Math.round(o.from_ms / 1000)} ${o.confidence}${o.reason ? ` ${o.reason}` : ''}`).join(' | ');
  process.stdout.write(
    `${pad(kind.replace(' (recognised set)', '*'), 13)}${pad(name, 30)}${pad(`${r.ours.medianLagErrorMs} / ${r.fixed.medianLagErrorMs} / ${r.xcorr.medianLagErrorMs}`, 20)}` +
      `${pad(`${pct(r.ours.reactionsRight)} / ${pct(r.fixed.reactionsRight)} / ${pct(r.xcorr.reactionsRight)}`, 22)}${pad(pct(r.ours.futureContext), 12)}` +
      `${pad(r.changeErrorsMs.map((e) => (e === null ? 'none' : `${(e / 1000).toFixed(0)} s`)).join(',') || '-', 12)}${pad(`${(r.alignMs / 1000).toFixed(1)} s`, 8)}${segs}\n`,
  );
}
if (RECOGNISED) process.stdout.write('exact*: the exact transcript of the recognised streams, for comparison\n');
const med = (xs: number[]) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const summary = (fs: Figures[]) => ({
  median_lag_error_ms: med(fs.map((f) => f.medianLagErrorMs)),
  reactions_right_min: Math.round(Math.min(...fs.map((f) => f.reactionsRight)) * 1000) / 1000,
  reactions_right_mean: Math.round((fs.reduce((s, f) => s + f.reactionsRight, 0) / fs.length) * 1000) / 1000,
  future_context_max: Math.round(Math.max(...fs.map((f) => f.futureContext)) * 1000) / 1000,
  bots_commands_rejected_min: Math.min(...fs.map((f) => f.botsCommandsRejected)),
});
const kinds = [...new Set(rows.map((r) => r.kind))];
const byKind = Object.fromEntries(
  kinds.map((kind) => {
    const rs = rows.filter((r) => r.kind === kind).map((r) => r.r);
    const ours = summary(rs.map((r) => r.ours));
    const changes = rs.flatMap((r) => r.changeErrorsMs);
    const goals = { lag: ours.median_lag_error_ms <= 500, right: ours.reactions_right_min >= 0.9, change_within_30s: changes.every((e) => e !== null && e <= 30_000) };
    return [kind, { ours, fixed_window: summary(rs.map((r) => r.fixed)), global_xcorr: summary(rs.map((r) => r.xcorr)), change_errors_ms: changes, goals_met: goals }];
  }),
);
process.stdout.write(`${JSON.stringify({ bench: 'align-accuracy', streams: CASES.length, minutes: MINUTES, kinds: byKind })}\n`);
