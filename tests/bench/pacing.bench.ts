/**
 * Pacing benchmark: `npx tsx tests/bench/pacing.bench.ts [--json]`.
 *
 * Fits on the first 70 % of each stream and scores the last 30 % (the messages before it are history):
 *   real chat   every chat log in ../shared/formats the normaliser reads: `dougpt-pacing/2` (chat only)
 *               against `constant` (the fit span's rate) and `constant_oracle` (the scored span's own rate)
 *   synthetic   the sample's simulator (the demo's shape: 300 s, 5 s lag; seeds 1–4), aligned by the real
 *               aligner: also today's speech-only model (`dougpt-pacing/1`, fit on the same 70 %) and the
 *               Hawkes model over the speech background; then one multi-VOD fit of all four, scored per VOD,
 *               and the per-10 s correlation of chat drawn from each model (seeded) with the real chat.
 * Figures: log-likelihood per second of the arrival times (higher is better), MAE of the count per
 * 10 s window given everything before it, correlation of those counts; for real logs, 95 % bootstrap
 * intervals (over 10 s windows) of the model's gain on the constant rate. No pass/fail budget: it prints.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { alignChat } from '../../functions/align/align-chat.ts';
import { createRng } from '../../functions/sample/prng.ts';
import { simulateStream } from '../../functions/sample/simulate-stream.ts';
import { readJsonFile } from '../../functions/simulate/fit-pacing-files.ts';
import { fitPacingModel, pearson } from '../../functions/simulate/fit-pacing.ts';
import { hawkesParamsOf, scoreHawkesPacing, speechBaseline, WINDOW_S, type PacingFigures } from '../../functions/simulate/hawkes-pacing.ts';
import { expectedWindowCounts, hawkesLoglik, hawkesStats, simulateHawkes, type Baseline, type EventSequence, type HawkesParams } from '../../functions/simulate/hawkes-process.ts';
import { cutAt, fitPacingFromChat, readHawkesPacing, readPacingChat, scorePacingOnChat, transcriptPhrases, type PacingChat } from '../../functions/simulate/pacing-chat-files.ts';
import { AlignFileForPacing, pacingVodFromAlign } from '../../functions/simulate/pacing-data.ts';
import { expectedRates } from '../../functions/simulate/pacing-model.ts';

const FIT = 0.7;
const FORMATS = fileURLToPath(new URL('../../../shared/formats/', import.meta.url));
const SEEDS = [1, 2, 3, 4];
const json = process.argv.includes('--json');
const dir = mkdtempSync(join(tmpdir(), 'dougpt-pacing-bench-'));
const report: Record<string, unknown> = {};

const fmt = (f: PacingFigures) => `${f.loglik_per_s.toFixed(4).padStart(8)} ${f.mae_10s.toFixed(2).padStart(6)} ${(f.corr_10s === null ? 'n/a' : f.corr_10s.toFixed(3)).padStart(6)}`;
const say = (line: string) => !json && process.stdout.write(`${line}\n`);
const header = (first: string) => say(`${first.padEnd(44)} ${'msgs'.padStart(5)} ${'s'.padStart(5)} | ${'model: ll/s    MAE   corr'} | ${'constant'.padEnd(22)} | ${'constant_oracle'.padEnd(22)}`);

/** Figures of a Poisson process with the given per-second rates (today's model) on a window. */
function poissonFigures(rates: Baseline, sequence: EventSequence): PacingFigures {
  const params: HawkesParams = { mu: 1, decays: [1], alpha: [[0], [0], [0], [0]] };
  const windows = expectedWindowCounts(params, [1, 0, 0, 0], { ...sequence, baseline: rates }, WINDOW_S);
  const to = sequence.from + windows.starts.length * WINDOW_S;
  const loglik = hawkesLoglik(params, hawkesStats([{ ...sequence, to, baseline: rates }], 4, [1]));
  const mae = windows.expected.reduce((s, e, i) => s + Math.abs(e - windows.observed[i]!), 0) / windows.expected.length;
  const corr = pearson(windows.expected, windows.observed);
  return { loglik_per_s: Math.round((loglik / (to - sequence.from)) * 1e4) / 1e4, mae_10s: Math.round(mae * 1e3) / 1e3, corr_10s: corr === null ? null : Math.round(corr * 1e4) / 1e4 };
}

/**
 * 95 % bootstrap intervals (over 10 s windows, seeded) of the model's gain on the constant rate:
 * log-likelihood per second (model − constant) and MAE per 10 s (constant − model). Each window's
 * log-likelihood conditions on every message before it, so the windows' sum is the window's total.
 */
async function gainIntervals(pacing: string, chat: PacingChat, from: number): Promise<{ loglik: [number, number]; mae: [number, number] }> {
  const model = await readHawkesPacing(pacing);
  const params = hawkesParamsOf(model);
  const counts = expectedWindowCounts(params, model.mark_shares, { events: chat.events, from, to: chat.end }, WINDOW_S);
  const r = model.constant_rate_per_s;
  const gains = counts.starts.map((a, w) => {
    const stats = hawkesStats([{ events: chat.events, from: a, to: a + WINDOW_S }], 4, params.decays);
    const constant = counts.observed[w]! * Math.log(r) - r * WINDOW_S;
    return { ll: (hawkesLoglik(params, stats) - constant) / WINDOW_S, mae: Math.abs(r * WINDOW_S - counts.observed[w]!) - Math.abs(counts.expected[w]! - counts.observed[w]!) };
  });
  const rng = createRng(1, 'pacing-bench-bootstrap');
  const means: { ll: number[]; mae: number[] } = { ll: [], mae: [] };
  for (let b = 0; b < 2000; b++) {
    let ll = 0;
    let mae = 0;
    for (let i = 0; i < gains.length; i++) {
      const g = gains[rng.int(0, gains.length - 1)]!;
      ll += g.ll;
      mae += g.mae;
    }
    means.ll.push(ll / gains.length);
    means.mae.push(mae / gains.length);
  }
  const ci = (xs: number[]): [number, number] => {
    const sorted = [...xs].sort((x, y) => x - y);
    return [Math.round(sorted[Math.floor(0.025 * sorted.length)]! * 1e4) / 1e4, Math.round(sorted[Math.floor(0.975 * sorted.length)]! * 1e4) / 1e4];
  };
  return { loglik: ci(means.ll), mae: ci(means.mae) };
}

// ── Real chat logs ──────────────────────────────────────────────────────────────────────────────
say(`real chat logs (${FORMATS}): fit on the first ${FIT * 100} %, scored on the last ${Math.round((1 - FIT) * 100)} %`);
header('log');
const real: Record<string, unknown>[] = [];
for (const name of readdirSync(FORMATS).sort()) {
  if (/\.(md|tsv|srt|vtt|json3)$/i.test(name) || /whisper/i.test(name)) continue;
  const path = join(FORMATS, name);
  const pacing = join(dir, `${name}.pacing.json`);
  try {
    const model = await fitPacingFromChat({ chat: [path], until: FIT, out: pacing });
    const score = await scorePacingOnChat({ pacing, chat: path, from: FIT });
    const chat = await readPacingChat(path);
    const gain = await gainIntervals(pacing, chat, cutAt(chat, FIT));
    real.push({ log: name, branching_ratio: model.branching_ratio, ...score, gain_over_constant_95ci: gain });
    say(
      `${name.slice(0, 44).padEnd(44)} ${String(score.messages).padStart(5)} ${score.seconds.toFixed(0).padStart(5)} | ${fmt(score.model)} | ${fmt(score.constant)} | ${fmt(score.constant_oracle)}  n=${model.branching_ratio.toFixed(2)}` +
        `  gain on constant, 95 % CI: ll/s [${gain.loglik.join(', ')}], MAE [${gain.mae.join(', ')}]`,
    );
  } catch (error) {
    real.push({ log: name, skipped: (error as Error).message });
    say(`${name.slice(0, 44).padEnd(44)} skipped: ${(error as Error).message.replace(`${path}: `, '').slice(0, 110)}`);
  }
}
report.real = real;

// ── Synthetic streams ───────────────────────────────────────────────────────────────────────────
interface Synthetic {
  seed: number;
  chat: string;
  transcript: string;
  align: string;
  read: PacingChat;
}
const synthetic: Synthetic[] = [];
for (const seed of SEEDS) {
  const stream = simulateStream({ seed, durationMs: 300_000, lagSchedule: [{ from_ms: 0, lag_ms: 5000 }], wholeSecondOffsets: false });
  const chat = join(dir, `s${seed}.chat.json`);
  const transcript = join(dir, `s${seed}.transcript.json`);
  const align = join(dir, `s${seed}.align.json`);
  writeFileSync(chat, JSON.stringify(stream.chat));
  writeFileSync(transcript, JSON.stringify(stream.transcript));
  await alignChat({ transcript, chat, out: align });
  synthetic.push({ seed, chat, transcript, align, read: await readPacingChat(chat) });
}

/** Today's model fitted on the align file's first 70 % (its chat time), as a per-second rate over the transcript. */
async function todaysRates(s: Synthetic): Promise<Baseline> {
  const file = (await readJsonFile(s.align, AlignFileForPacing, 'align output')).value;
  const cutMs = cutAt(s.read, FIT) * 1000;
  const vod = pacingVodFromAlign({ ...file, pairs: file.pairs.filter((p) => p.offset_ms < cutMs), rejects: file.rejects.filter((r) => r.offset_ms < cutMs) });
  const model = fitPacingModel([vod], { evaluate: false });
  return { origin: 0, step: 1, values: expectedRates(model, await transcriptPhrases(s.transcript), Math.ceil(s.read.end * 1000)) };
}

say('');
say(`synthetic sample (seeds ${SEEDS.join(', ')}, 300 s, lag 5 s): one fit per stream on its first ${FIT * 100} %`);
header('stream / model');
const perStream: Record<string, unknown>[] = [];
for (const s of synthetic) {
  const from = cutAt(s.read, FIT);
  const chatOnly = join(dir, `s${s.seed}.chat-only.json`);
  const withSpeech = join(dir, `s${s.seed}.speech.json`);
  await fitPacingFromChat({ chat: [s.chat], until: FIT, out: chatOnly });
  await fitPacingFromChat({ chat: [s.chat], pairs: [s.align], until: FIT, out: withSpeech });
  const a = await scorePacingOnChat({ pacing: chatOnly, chat: s.chat, from: FIT });
  const b = await scorePacingOnChat({ pacing: withSpeech, chat: s.chat, from: FIT, transcript: s.transcript });
  const today = poissonFigures(await todaysRates(s), { events: s.read.events, from, to: s.read.end });
  perStream.push({ seed: s.seed, seconds: a.seconds, messages: a.messages, hawkes_chat_only: a.model, hawkes_speech: b.model, todays_model: today, constant: a.constant, constant_oracle: a.constant_oracle });
  const row = (label: string, f: PacingFigures) => say(`${`seed ${s.seed} ${label}`.padEnd(44)} ${String(a.messages).padStart(5)} ${a.seconds.toFixed(0).padStart(5)} | ${fmt(f)} | ${fmt(a.constant)} | ${fmt(a.constant_oracle)}`);
  row('hawkes, chat only', a.model);
  row('hawkes + speech background', b.model);
  row("today's model (speech only)", today);
}
report.synthetic = perStream;

// ── Multi-VOD: one fit over every stream's first 70 %, scored and simulated per stream ──────────
const multi = join(dir, 'multi.pacing.json');
const model = await fitPacingFromChat({ chat: synthetic.map((s) => s.chat), pairs: synthetic.map((s) => s.align), until: FIT, out: multi });
const params = hawkesParamsOf(model);
say('');
say(`multi-VOD fit (${synthetic.length} streams, speech background): branching ratio ${model.branching_ratio.toFixed(3)}; per 10 s counts of chat drawn by each model (seed 1) against the real held-out chat`);
const drawn: { hawkes: number[]; today: number[]; real: number[] } = { hawkes: [], today: [], real: [] };
const multiRows: Record<string, unknown>[] = [];
for (const s of synthetic) {
  const from = cutAt(s.read, FIT);
  const baseline = model.baseline.kind === 'speech' ? speechBaseline(model.baseline.pacing, await transcriptPhrases(s.transcript), Math.ceil(s.read.end * 1000)) : null;
  const score = scoreHawkesPacing(model, { events: s.read.events, from, to: s.read.end, baseline });
  const windows = Math.floor((s.read.end - from) / WINDOW_S);
  const to = from + windows * WINDOW_S;
  const history = s.read.events.filter((e) => e.t < from);
  const sim = simulateHawkes(params, { from, to, rng: createRng(1, `pacing-bench:${s.seed}`), shares: model.mark_shares, history, baseline });
  const rates = await todaysRates(s);
  const rng = createRng(1, `pacing-bench-today:${s.seed}`);
  for (let w = 0; w < windows; w++) {
    const a = from + w * WINDOW_S;
    const b = a + WINDOW_S;
    drawn.real.push(s.read.events.filter((e) => e.t >= a && e.t < b).length);
    drawn.hawkes.push(sim.filter((e) => e.t >= a && e.t < b).length);
    let mean = 0;
    for (let t = a; t < b; t += 1) mean += rates.values[Math.min(rates.values.length - 1, Math.floor(t))]!;
    drawn.today.push(rng.poisson(mean));
  }
  multiRows.push({ seed: s.seed, ...score });
  say(`  seed ${s.seed}: ${score.messages} msgs | model ${fmt(score.model)} | constant ${fmt(score.constant)} | oracle ${fmt(score.constant_oracle)}`);
}
const simCorr = { hawkes: pearson(drawn.hawkes, drawn.real), todays_model: pearson(drawn.today, drawn.real), windows: drawn.real.length };
say(`  simulated vs real, per 10 s over ${simCorr.windows} held-out windows: hawkes ${simCorr.hawkes?.toFixed(3)}, today's model ${simCorr.todays_model?.toFixed(3)}`);
report.multi_vod = { branching_ratio: model.branching_ratio, streams: multiRows, simulated_vs_real_corr_10s: simCorr };

if (json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
rmSync(dir, { recursive: true, force: true });
