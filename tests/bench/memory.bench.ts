/**
 * Voice memory benchmark: does recalling how chat reacted to similar past moments help the model pick the real
 * reply? Builds the memory index of a dataset folder, times retrieval on the serving side (TypeScript), then runs
 * the listening evaluation (candidate ranking, lift over the base, style) on the same contexts and candidates for
 * each variant the decision needs:
 * - base and adapter, without memory;
 * - base + memory and adapter + memory: every prompt with its recalled moments (`--serve-memory`), the ranking
 *   without them beside it for the paired gains;
 * - with `--memory-adapter`, an adapter trained with memory, evaluated as it is served (with its own index).
 * Prints R@10 and MRR with 95% intervals, the R@10 gains (paired bootstrap over contexts), the lift over the base
 * served the same way, style figures (length distance to real chat, distinct-2, emote rate, real-vs-generated
 * classifier accuracy), retrieval p50, and whether memory meets the bar for default-on (base R@10 +0.03 with the
 * interval above 0, retrieval p50 < 20 ms).
 *
 *   npx tsx tests/bench/memory.bench.ts --dataset DIR --adapter RUN_DIR [--memory-adapter RUN_DIR] [--candidates 100] [--limit N] [--exclude-s 300] [--k 3] [--out DIR]
 *
 * DIR is a `dougpt dataset build` folder built with prompt spec dougpt-chat/2 or later; RUN_DIR a `dougpt train`
 * output; `--memory-adapter` an adapter trained on DIR with `--memory` (the dataset's memory.json). Prints a table,
 * then one JSON line.
 */
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { execa } from 'execa';
import { EvalSummary } from '../../functions/eval/eval-events.ts';
import { DEFAULT_MEMORY_OPTIONS, loadMemoryIndex, recall } from '../../functions/memory/memory-index.ts';
import { writeMemoryIndex } from '../../functions/memory/write-memory-index.ts';
import { createRng } from '../../functions/sample/prng.ts';
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
const started = performance.now();

/** One `dougpt eval` of an adapter on the bench's contexts and candidates (a pure function of the dataset). */
async function evaluate(adapter: string, name: string, memoryArgs: string[]): Promise<{ summary: EvalSummary; samples: Sample[] }> {
  const args = ['eval', '--adapter', adapter, '--dataset', values.dataset!, ...memoryArgs, '--ranking-candidates', values.candidates!, '--json', '--out', join(out, name)];
  if (values.limit) args.push('--limit', values.limit);
  const summary = EvalSummary.parse(JSON.parse((await execa(process.execPath, [dougpt, ...args])).stdout));
  const file = join(out, name, summary.eval_id, 'samples.jsonl');
  const samples = readFileSync(file, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as Sample);
  return { summary, samples };
}
interface Sample { pair_id: string; rank: Record<string, { context: number }> }

const plain = await evaluate(values.adapter, 'eval-plain', ['--no-serve-memory']);
const served = await evaluate(values.adapter, 'eval-served', ['--memory', indexPath, '--serve-memory']);
const trained = values['memory-adapter'] ? await evaluate(values['memory-adapter'], 'eval-memory-adapter', []) : null;
const wall = (performance.now() - started) / 1000;
const memory = served.summary.memory!;
if (!memory.served) throw new Error('the served evaluation did not serve with memory');
for (const other of [served, trained]) {
  if (other && other.samples.map((x) => x.pair_id).join() !== plain.samples.map((x) => x.pair_id).join()) throw new Error('the evaluations ranked different contexts');
}

/** R@10 hits per context of one model in one evaluation. */
const hits = (e: { samples: Sample[] }, side: string) => e.samples.map((x) => (x.rank[side]!.context <= 10 ? 1 : 0));
/** Mean of a − b per context, with a seeded 95% paired bootstrap interval. */
function pairedGain(a: number[], b: number[]): { gain: number; ci95: [number, number] } {
  const d = a.map((x, i) => x - b[i]!);
  const rng = createRng(1, 'memory-bench-bootstrap');
  const means: number[] = [];
  for (let r = 0; r < 2000; r++) {
    let sum = 0;
    for (let i = 0; i < d.length; i++) sum += d[rng.int(0, d.length - 1)]!;
    means.push(sum / d.length);
  }
  means.sort((x, y) => x - y);
  return { gain: d.reduce((x, y) => x + y, 0) / d.length, ci95: [means[Math.floor(0.025 * means.length)]!, means[Math.ceil(0.975 * means.length) - 1]!] };
}

const baseHits = hits(plain, 'base');
const variant = (name: string, e: { summary: EvalSummary; samples: Sample[] }, side: 'base' | 'adapter', withMemory: boolean) => {
  const m = e.summary[side];
  return {
    variant: name,
    memory: withMemory,
    r_at_10: m.ranking?.r_at_10 ?? null,
    r_at_10_ci95: m.ranking?.r_at_10_ci95 ?? null,
    mrr: m.ranking?.mrr ?? null,
    r_at_10_no_context: m.ranking_no_context?.r_at_10 ?? null,
    r_at_10_gain_vs_base: pairedGain(hits(e, side), baseHits),
    lift_vs_base: side === 'adapter' ? e.summary.lift_vs_base : null,
    contextual_lift: m.contextual_lift ?? null,
    style: { length_wasserstein: m.length_wasserstein ?? null, distinct_2: m.distinct_2 ?? null, emote_rate: m.emote_rate ?? null, classifier_accuracy: m.classifier_accuracy ?? null },
  };
};
const rows = [
  variant('base', plain, 'base', false),
  variant('adapter', plain, 'adapter', false),
  variant('base + memory', served, 'base', true),
  variant('adapter + memory', served, 'adapter', true),
  ...(trained ? [variant('adapter trained with memory + memory', trained, 'adapter', true)] : []),
];
const summary = plain.summary;
const n = (x: number | null | undefined, d = 3) => (x === null || x === undefined ? 'n/a' : x.toFixed(d));
const ci = (c: readonly [number, number] | null | undefined) => (c ? `[${n(c[0])}, ${n(c[1])}]` : '[n/a]');
const lines = [
  `memory: ${summary.n_examples} held-out contexts of ${summary.dataset_id} (${summary.split}), ${summary.ranking_candidates} candidates each; index ${built.entries} train moments, k ${memory.k}, same-VOD exclusion ±${Number(values['exclude-s'])} s; ${cpus().length} CPUs, load ${load.toFixed(1)}`,
  `recalled something for ${memory.examples_with_memory} of ${summary.n_examples} evaluated contexts (mean ${n(memory.mean_recalled, 2)} moments); ${recalled} of ${queries.length} validation+test queries`,
  `retrieval p50: TypeScript ${n(pct(0.5), 3)} ms (p95 ${n(pct(0.95), 3)}), Python ${n(memory.retrieval_ms.p50, 3)} ms`,
  ...rows.map((r) => `${r.variant.padEnd(38)} R@10 ${n(r.r_at_10)} ${ci(r.r_at_10_ci95)} (no context ${n(r.r_at_10_no_context)}), vs base ${n(r.r_at_10_gain_vs_base.gain)} ${ci(r.r_at_10_gain_vs_base.ci95)}; MRR ${n(r.mrr)}; ${r.lift_vs_base ? `lift over the base served alike ${n(r.lift_vs_base.value)} ${ci(r.lift_vs_base.ci95)}; ` : ''}contextual lift ${n(r.contextual_lift)}; length W1 ${n(r.style.length_wasserstein, 1)}, distinct-2 ${n(r.style.distinct_2)}, emotes ${n(r.style.emote_rate)}, classifier ${n(r.style.classifier_accuracy)}`),
  ...Object.entries(memory.sides).map(([side, m]) => `memory's R@10 gain, ${side} (paired, same eval): ${n(m.r_at_10_gain)} ${ci(m.r_at_10_gain_ci95)}; MRR gain ${n(m.mrr_gain)} ${ci(m.mrr_gain_ci95)}`),
  `references: popularity R@10 ${n(summary.popularity.ranking.r_at_10)}, random ${n(summary.random.ranking.r_at_10)}`,
  `default-on bar (${memory.default_on.rule}): ${memory.default_on.meets_bar ? 'MET' : 'not met'}; evals ${wall.toFixed(0)} s wall`,
];
process.stdout.write(`${lines.join('\n')}\n${JSON.stringify({ bench: 'memory', dataset_id: summary.dataset_id, n_examples: summary.n_examples, n_candidates: summary.ranking_candidates, index: { ...built, exclude_s: Number(values['exclude-s']) }, examples_with_memory: memory.examples_with_memory, retrieval_ms: { ts_p50: pct(0.5), ts_p95: pct(0.95), py_p50: memory.retrieval_ms.p50 }, variants: rows, memory_gains: memory.sides, popularity_r_at_10: summary.popularity.ranking.r_at_10, random_r_at_10: summary.random.ranking.r_at_10, meets_bar: memory.default_on.meets_bar, eval_wall_s: wall, load, out })}\n`);
