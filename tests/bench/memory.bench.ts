/**
 * Voice memory benchmark: does recalling how chat reacted to similar past moments help the model pick the real
 * reply? Builds the memory index of a dataset folder, times retrieval on the serving side (TypeScript), then runs
 * the evaluator's candidate ranking (the listening evaluation) with and without recalled moments in the prompt for
 * the base model and an adapter, on the same contexts and candidates, and prints R@10 and MRR with and without
 * memory, the gains with paired 95% bootstrap intervals, retrieval p50, and whether memory meets the bar for
 * default-on (R@10 +0.03 with the interval above 0, retrieval p50 < 20 ms).
 *
 *   npx tsx tests/bench/memory.bench.ts --dataset DIR --adapter RUN_DIR [--memory-adapter RUN_DIR] [--candidates 100] [--limit N] [--exclude-s 300] [--k 3] [--out DIR]
 *
 * DIR is a `dougpt dataset build` folder built with prompt spec dougpt-chat/2 or later; RUN_DIR a `dougpt train`
 * output; `--memory-adapter` an adapter trained on DIR with `--memory` (the dataset's memory.json), evaluated with
 * the same memory on the same contexts and candidates. Prints a table, then one JSON line.
 */
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { execa } from 'execa';
import { EvalSummary } from '../../functions/eval/eval-events.ts';
import { DEFAULT_MEMORY_OPTIONS, loadMemoryIndex, recall } from '../../functions/memory/memory-index.ts';
import { writeMemoryIndex } from '../../functions/memory/write-memory-index.ts';
import { REPO_ROOT } from '../../infra/paths.ts';

const { values } = parseArgs({
  options: {
    dataset: { type: 'string' },
    adapter: { type: 'string' },
    'memory-adapter': { type: 'string' },
    candidates: { type: 'string', default: '100' },
    limit: { type: 'string' },
    'exclude-s': { type: 'string', default: String(DEFAULT_MEMORY_OPTIONS.excludeMs / 1000) },
    k: { type: 'string', default: String(DEFAULT_MEMORY_OPTIONS.k) },
    out: { type: 'string' },
  },
});
if (!values.dataset || !values.adapter) throw new Error('--dataset DIR and --adapter RUN_DIR are required');
const out = values.out ?? mkdtempSync(join(tmpdir(), 'memory-bench-'));
mkdirSync(out, { recursive: true });
const dougpt = join(REPO_ROOT, 'bin', 'dougpt.js');
const datasetId = (JSON.parse(readFileSync(join(values.dataset, 'dataset.json'), 'utf8')) as { dataset_id: string }).dataset_id;

const indexPath = join(out, 'memory.json');
const built = await writeMemoryIndex(values.dataset, datasetId, { ...DEFAULT_MEMORY_OPTIONS, k: Number(values.k), excludeMs: Number(values['exclude-s']) * 1000 }, indexPath);

// Serving-side retrieval time: every held-out context as a query, five rounds after one warm-up round.
const index = loadMemoryIndex(indexPath);
const queries = ['validation', 'test'].flatMap((split) =>
  readFileSync(join(values.dataset!, 'sft', `${split}.jsonl`), 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as { context: string; vod_id: string; offset_ms: number; pair_id: string }),
);
const times: number[] = [];
let recalled = 0;
for (let round = 0; round < 6; round++) {
  for (const q of queries) {
    const t0 = performance.now();
    const got = recall(index, q);
    if (round > 0) times.push(performance.now() - t0);
    if (round === 0 && got.length > 0) recalled++;
  }
}
times.sort((a, b) => a - b);
const pct = (p: number) => times[Math.min(times.length - 1, Math.floor(p * times.length))]!;

const load = loadavg()[0]!;
const args = ['eval', '--adapter', values.adapter, '--dataset', values.dataset, '--memory', indexPath, '--ranking-candidates', values.candidates, '--json', '--out', join(out, 'eval')];
if (values.limit) args.push('--limit', values.limit);
const started = performance.now();
const result = await execa(process.execPath, [dougpt, ...args]);
const wall = (performance.now() - started) / 1000;
const summary = EvalSummary.parse(JSON.parse(result.stdout));
const memory = summary.memory!;

// The adapter trained with memory, ranked with it: the same contexts and candidates (a pure function of the dataset).
let trainedWith: { r_at_10: number | null; r_at_10_ci95: readonly [number, number] | null; mrr: number | null; lift_vs_base: unknown } | null = null;
if (values['memory-adapter']) {
  const withArgs = ['eval', '--adapter', values['memory-adapter'], '--dataset', values.dataset, '--memory', indexPath, '--ranking-candidates', values.candidates, '--json', '--out', join(out, 'eval-memory-adapter')];
  if (values.limit) withArgs.push('--limit', values.limit);
  const trained = EvalSummary.parse(JSON.parse((await execa(process.execPath, [dougpt, ...withArgs])).stdout));
  const ranked = trained.memory!.sides.adapter!.ranking;
  trainedWith = { r_at_10: ranked.r_at_10, r_at_10_ci95: ranked.r_at_10_ci95 ?? null, mrr: ranked.mrr, lift_vs_base: trained.lift_vs_base ?? null };
}

const n = (x: number | null | undefined, d = 3) => (x === null || x === undefined ? 'n/a' : x.toFixed(d));
const ci = (c: readonly [number, number] | null | undefined) => (c ? `[${n(c[0])}, ${n(c[1])}]` : '[n/a]');
const rows = Object.entries(memory.sides).map(([side, m]) => {
  const plain = side === 'base' ? summary.base : side === 'adapter' ? summary.adapter : summary.promoted!;
  return {
    side,
    r_at_10: plain.ranking?.r_at_10 ?? null,
    r_at_10_ci95: plain.ranking?.r_at_10_ci95 ?? null,
    mrr: plain.ranking?.mrr ?? null,
    r_at_10_memory: m.ranking.r_at_10,
    r_at_10_memory_ci95: m.ranking.r_at_10_ci95,
    mrr_memory: m.ranking.mrr,
    r_at_10_gain: m.r_at_10_gain,
    r_at_10_gain_ci95: m.r_at_10_gain_ci95,
    mrr_gain: m.mrr_gain,
    mrr_gain_ci95: m.mrr_gain_ci95,
  };
});
const lines = [
  `memory: ${summary.n_examples} held-out contexts of ${summary.dataset_id} (${summary.split}), ${summary.ranking_candidates} candidates each; index ${built.entries} train moments, k ${memory.k}, same-VOD exclusion ±${Number(values['exclude-s'])} s; ${cpus().length} CPUs, load ${load.toFixed(1)}`,
  `recalled something for ${memory.examples_with_memory} of ${summary.n_examples} evaluated contexts (mean ${n(memory.mean_recalled, 2)} moments); ${recalled} of ${queries.length} validation+test queries`,
  `retrieval p50: TypeScript ${n(pct(0.5), 3)} ms (p95 ${n(pct(0.95), 3)}), Python ${n(memory.retrieval_ms.p50, 3)} ms`,
  ...rows.map((r) => `${r.side.padEnd(9)} R@10 ${n(r.r_at_10)} ${ci(r.r_at_10_ci95)} → with memory ${n(r.r_at_10_memory)} ${ci(r.r_at_10_memory_ci95)}, gain ${n(r.r_at_10_gain)} ${ci(r.r_at_10_gain_ci95)}; MRR ${n(r.mrr)} → ${n(r.mrr_memory)}, gain ${n(r.mrr_gain)} ${ci(r.mrr_gain_ci95)}`),
  ...(trainedWith ? [`adapter trained with memory, with memory: R@10 ${n(trainedWith.r_at_10)} ${ci(trainedWith.r_at_10_ci95)}, MRR ${n(trainedWith.mrr)} (base without memory: R@10 ${n(summary.base.ranking?.r_at_10)})`] : []),
  `references: popularity R@10 ${n(summary.popularity.ranking.r_at_10)}, random ${n(summary.random.ranking.r_at_10)}`,
  `default-on bar (${memory.default_on.rule}): ${memory.default_on.meets_bar ? 'MET' : 'not met'}; eval ${wall.toFixed(0)} s wall`,
];
process.stdout.write(`${lines.join('\n')}\n${JSON.stringify({ bench: 'memory', dataset_id: summary.dataset_id, n_examples: summary.n_examples, n_candidates: summary.ranking_candidates, index: { ...built, exclude_s: Number(values['exclude-s']) }, examples_with_memory: memory.examples_with_memory, retrieval_ms: { ts_p50: pct(0.5), ts_p95: pct(0.95), py_p50: memory.retrieval_ms.p50 }, sides: rows, trained_with_memory: trainedWith, meets_bar: memory.default_on.meets_bar, eval_wall_s: wall, load, out })}\n`);
