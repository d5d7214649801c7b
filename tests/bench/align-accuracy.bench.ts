/**
 * Alignment accuracy on synthetic streams with ground truth, against a fixed-window baseline.
 *   npx tsx tests/bench/align-accuracy.bench.ts [--minutes 60]
 * Prints a table and one line of JSON.
 */
import type { ChatMessage } from '../../functions/chat/chat-message.ts';
import type { TranscriptWord } from '../../functions/transcribe/transcript.ts';
import { align } from '../../functions/align/align.ts';
import { lagAt, type LagStep, type Utterance } from '../../functions/sample/ground-truth.ts';
import { benchStream } from './align-streams.ts';

const minutesArg = process.argv.indexOf('--minutes');
const MINUTES = minutesArg > 0 ? Number(process.argv[minutesArg + 1]) : 60;
const DURATION = MINUTES * 60_000;

interface Case {
  seed: number;
  schedule: LagStep[];
  wholeSeconds: boolean;
}
const CASES: Case[] = [
  { seed: 11, schedule: [{ from_ms: 0, lag_ms: 2_000 }], wholeSeconds: true },
  { seed: 12, schedule: [{ from_ms: 0, lag_ms: 4_000 }], wholeSeconds: false },
  { seed: 13, schedule: [{ from_ms: 0, lag_ms: 6_000 }], wholeSeconds: true },
  { seed: 14, schedule: [{ from_ms: 0, lag_ms: 8_000 }], wholeSeconds: false },
  { seed: 15, schedule: [{ from_ms: 0, lag_ms: 10_000 }], wholeSeconds: true },
  { seed: 16, schedule: [{ from_ms: 0, lag_ms: 12_000 }], wholeSeconds: true },
  { seed: 17, schedule: [{ from_ms: 0, lag_ms: 3_000 }, { from_ms: DURATION / 2, lag_ms: 9_000 }], wholeSeconds: true },
];

/** What a method claims for one message: the moment reacted to (or none) and the lag. */
interface Claim {
  targetEnd: number | null;
  /** Start of the context the method hands on; the reacted-to line should lie inside it. */
  contextStart: number | null;
  lag: number;
  rejected: boolean;
}

/** The baseline: the speech in [offset − 10 s, offset − 2 s] is the context; it ends at the last word there. */
function fixedWindow(messages: readonly ChatMessage[], words: readonly TranscriptWord[]): Map<string, Claim> {
  const ends = words.map((w) => w.end_ms).sort((a, b) => a - b);
  const out = new Map<string, Claim>();
  for (const m of messages) {
    const hi = m.offset_ms - 2_000;
    let lo = 0;
    let high = ends.length;
    while (lo < high) {
      const mid = (lo + high) >>> 1;
      if ((ends[mid] as number) <= hi) lo = mid + 1;
      else high = mid;
    }
    const last = lo > 0 ? (ends[lo - 1] as number) : null;
    const targetEnd = last !== null && last >= m.offset_ms - 10_000 ? last : null;
    out.set(m.message_id, { targetEnd, contextStart: targetEnd === null ? null : m.offset_ms - 10_000, lag: targetEnd === null ? 6_000 : m.offset_ms - targetEnd, rejected: m.is_bot || m.is_command });
  }
  return out;
}

interface Figures {
  medianLagErrorMs: number;
  reactionsRight: number;
  /** Looser: the reacted-to line lies anywhere inside the context handed on. */
  reactionsInContext: number;
  botsCommandsRejected: number;
  backgroundLabelled: number | null;
}

function score(truth: ReturnType<typeof Object>, claims: Map<string, Claim>, utterances: Map<number, Utterance>, backgroundLabel: Map<string, boolean> | null): Figures {
  const t = truth as { messages: { message_id: string; category: string; reacts_to: number | null; lag_ms: number | null }[] };
  const errors: number[] = [];
  let reactions = 0;
  let right = 0;
  let inContext = 0;
  let noise = 0;
  let noiseRejected = 0;
  let background = 0;
  let backgroundHit = 0;
  for (const m of t.messages) {
    const claim = claims.get(m.message_id);
    if (m.category === 'reaction') {
      reactions++;
      const u = utterances.get(m.reacts_to as number) as Utterance;
      if (claim && !claim.rejected && claim.targetEnd !== null && claim.targetEnd >= u.start_ms && claim.targetEnd <= u.end_ms + 250) right++;
      if (claim && !claim.rejected && claim.targetEnd !== null && claim.contextStart !== null && u.end_ms <= claim.targetEnd + 250 && u.end_ms >= claim.contextStart) inContext++;
      errors.push(claim ? Math.abs(claim.lag - (m.lag_ms as number)) : Infinity);
    } else if (m.category === 'bot' || m.category === 'command') {
      noise++;
      if (claim?.rejected) noiseRejected++;
    } else if (m.category === 'background' && backgroundLabel) {
      background++;
      if (backgroundLabel.get(m.message_id)) backgroundHit++;
    }
  }
  errors.sort((a, b) => a - b);
  return {
    medianLagErrorMs: errors[Math.floor(errors.length / 2)] ?? NaN,
    reactionsRight: right / Math.max(1, reactions),
    reactionsInContext: inContext / Math.max(1, reactions),
    botsCommandsRejected: noiseRejected / Math.max(1, noise),
    backgroundLabelled: backgroundLabel ? backgroundHit / Math.max(1, background) : null,
  };
}

const rows: Array<{ name: string; messages: number; ours: Figures; base: Figures; segments: string; alignMs: number }> = [];
const allOurs: Figures[] = [];
const allBase: Figures[] = [];
for (const c of CASES) {
  const { stream, messages } = await benchStream({ seed: c.seed, durationMs: DURATION, lagSchedule: c.schedule, wholeSecondOffsets: c.wholeSeconds });
  const started = performance.now();
  const result = align(messages, stream.transcript.words, { vodId: stream.vodId });
  const alignMs = performance.now() - started;
  const utterances = new Map(stream.utterances.map((u) => [u.id, u]));
  const claims = new Map<string, Claim>();
  const backgroundLabel = new Map<string, boolean>();
  const segmentLag = (offset: number) => (result.offsets.find((o) => offset >= o.from_ms && offset < o.to_ms) ?? result.offsets[0])?.lag_ms ?? 0;
  for (const p of result.pairs) {
    claims.set(p.message_id, { targetEnd: p.label === 'reaction' ? p.target_end_ms : null, contextStart: p.context_start_ms, lag: p.lag_ms, rejected: false });
    backgroundLabel.set(p.message_id, p.label === 'background');
  }
  for (const r of result.rejects) {
    claims.set(r.message_id, { targetEnd: null, contextStart: null, lag: segmentLag(r.offset_ms), rejected: r.reason === 'bot' || r.reason === 'command' || r.reason === 'system' || r.reason === 'deleted' });
  }
  const ours = score(stream.truth, claims, utterances, backgroundLabel);
  const base = score(stream.truth, fixedWindow(messages, stream.transcript.words), utterances, null);
  allOurs.push(ours);
  allBase.push(base);
  const name = `seed ${c.seed} lag ${c.schedule.map((s) => s.lag_ms / 1000).join('→')} s${c.wholeSeconds ? ' (whole s)' : ''}`;
  const segments = result.offsets.map((o) => `${(o.lag_ms / 1000).toFixed(2)}@${Math.round(o.from_ms / 1000)}s`).join(' ');
  rows.push({ name, messages: messages.length, ours, base, segments, alignMs });
  // The schedule is kept by line end; show where chat starts showing the new lag, to compare with the boundary.
  if (c.schedule.length > 1) {
    const firstNew = stream.truth.messages.find((m) => m.category === 'reaction' && (m.lag_ms as number) - lagAt(c.schedule, DURATION) >= 0 && m.offset_ms > (c.schedule[1] as LagStep).from_ms);
    rows[rows.length - 1]!.segments += ` (first reaction at the new lag: ${Math.round((firstNew?.offset_ms ?? 0) / 1000)}s)`;
  }
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const pad = (s: string, n: number) => s.padEnd(n);
process.stdout.write(`alignment accuracy, ${CASES.length} synthetic streams of ${MINUTES} min\n`);
process.stdout.write(`${pad('stream', 34)}${pad('msgs', 8)}${pad('lag err ours/base', 20)}${pad('right ours/base', 18)}${pad('in ctx ours/base', 18)}${pad('bot+cmd rej ours/base', 24)}${pad('bg label', 10)}${pad('align', 8)}segments (lag@from)\n`);
for (const r of rows) {
  process.stdout.write(
    `${pad(r.name, 34)}${pad(String(r.messages), 8)}${pad(`${r.ours.medianLagErrorMs} / ${r.base.medianLagErrorMs} ms`, 20)}` +
      `${pad(`${pct(r.ours.reactionsRight)} / ${pct(r.base.reactionsRight)}`, 18)}${pad(`${pct(r.ours.reactionsInContext)} / ${pct(r.base.reactionsInContext)}`, 18)}${pad(`${pct(r.ours.botsCommandsRejected)} / ${pct(r.base.botsCommandsRejected)}`, 24)}` +
      `${pad(pct(r.ours.backgroundLabelled ?? 0), 10)}${pad(`${(r.alignMs / 1000).toFixed(1)} s`, 8)}${r.segments}\n`,
  );
}
const med = (xs: number[]) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const summary = (fs: Figures[]) => ({
  median_lag_error_ms: med(fs.map((f) => f.medianLagErrorMs)),
  reactions_right_min: Math.min(...fs.map((f) => f.reactionsRight)),
  reactions_right_mean: fs.reduce((s, f) => s + f.reactionsRight, 0) / fs.length,
  reactions_in_context_mean: fs.reduce((s, f) => s + f.reactionsInContext, 0) / fs.length,
  bots_commands_rejected_min: Math.min(...fs.map((f) => f.botsCommandsRejected)),
});
const ours = summary(allOurs);
const base = summary(allBase);
const goals = { lag: ours.median_lag_error_ms <= 500, right: ours.reactions_right_min >= 0.95, rejected: ours.bots_commands_rejected_min >= 0.99 };
process.stdout.write(`${JSON.stringify({ bench: 'align-accuracy', streams: CASES.length, minutes: MINUTES, ours, baseline: base, goals_met: goals })}\n`);
