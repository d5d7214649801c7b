/**
 * Listening benchmark: does training teach the model to react to what the streamer said? Trains SFT and
 * SFT + DPO (the preference stage: the real reply over a real reply of the same VOD to another moment) on the
 * same dataset folder, evaluates both on the same held-out split with the same candidate sets, and prints
 * per model: R@1/R@10/MRR with context, without context, PMI-ranked; popularity and random references;
 * lift over the base with its 95% interval; style metrics; training CPU time; the gates.
 *
 *   npx tsx tests/bench/listening.bench.ts --dataset DIR [--preset cpu-smoke] [--candidates 100] [--limit N] [--dpo-max-steps N]
 *
 * DIR is a `dougpt dataset build` folder (the demo's is `<state dir>/demo/dataset`). Prints a table, then one
 * JSON line.
 */
import { mkdtempSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { execa } from 'execa';
import { EvalSummary, metricValue, type EvalMetrics } from '../../functions/eval/eval-events.ts';
import { REPO_ROOT } from '../../infra/paths.ts';

const { values } = parseArgs({
  options: {
    dataset: { type: 'string' },
    preset: { type: 'string', default: 'cpu-smoke' },
    candidates: { type: 'string', default: '100' },
    limit: { type: 'string' },
    'dpo-max-steps': { type: 'string' },
    out: { type: 'string' },
  },
});
if (!values.dataset) throw new Error('--dataset DIR is required (a dougpt dataset build folder)');
const out = values.out ?? mkdtempSync(join(tmpdir(), 'listening-bench-'));
const dougpt = join(REPO_ROOT, 'bin', 'dougpt.js');

interface Trained {
  dir: string;
  cpu_s: number;
  wall_s: number;
  load: number;
}

async function timed(args: string[]): Promise<{ stdout: string; cpu_s: number; wall_s: number; load: number }> {
  const load = loadavg()[0]!;
  const started = performance.now();
  // The job runs in a child process of the CLI: `time -f` reports the CPU of the whole tree.
  const result = await execa('/usr/bin/time', ['-f', '%U %S', process.execPath, dougpt, ...args]);
  const [user, system] = result.stderr.trim().split('\n').at(-1)!.split(' ').map(Number);
  return { stdout: result.stdout, cpu_s: (user ?? 0) + (system ?? 0), wall_s: (performance.now() - started) / 1000, load: (load + loadavg()[0]!) / 2 };
}

async function train(name: string, stages: string): Promise<Trained> {
  const dir = join(out, name);
  const extra = values['dpo-max-steps'] ? ['--dpo-max-steps', values['dpo-max-steps']] : [];
  const run = await timed(['train', '--dataset', values.dataset!, '--preset', values.preset, '--stages', stages, '--out', dir, '--json', ...extra]);
  process.stderr.write(`${name}: trained in ${run.wall_s.toFixed(0)} s wall, ${run.cpu_s.toFixed(0)} s CPU\n`);
  return { dir, cpu_s: run.cpu_s, wall_s: run.wall_s, load: run.load };
}

async function evaluate(run: Trained): Promise<EvalSummary> {
  const args = ['eval', '--adapter', run.dir, '--dataset', values.dataset!, '--ranking-candidates', values.candidates, '--json', '--out', join(run.dir, 'eval')];
  if (values.limit) args.push('--limit', values.limit);
  const result = await timed(args);
  process.stderr.write(`${run.dir}: evaluated in ${result.wall_s.toFixed(0)} s wall\n`);
  return EvalSummary.parse(JSON.parse(result.stdout));
}

const runs = { sft: await train('sft', 'sft'), 'sft+dpo': await train('sft-dpo', 'sft,dpo') };
const evals = { sft: await evaluate(runs.sft), 'sft+dpo': await evaluate(runs['sft+dpo']) };

const n = (x: number | null | undefined, d = 3) => (x === null || x === undefined ? 'n/a' : x.toFixed(d));
const ci = (c: readonly [number, number] | null | undefined) => (c ? `[${n(c[0])}, ${n(c[1])}]` : '');
function side(m: EvalMetrics) {
  return {
    r_at_1: m.ranking?.r_at_1 ?? null,
    r_at_10: m.ranking?.r_at_10 ?? null,
    r_at_10_ci95: m.ranking?.r_at_10_ci95 ?? null,
    mrr: m.ranking?.mrr ?? null,
    r_at_10_no_context: m.ranking_no_context?.r_at_10 ?? null,
    r_at_10_pmi: m.ranking_pmi?.r_at_10 ?? null,
    contextual_lift: metricValue(m, 'contextual_lift'),
    perplexity_no_eot: metricValue(m, 'perplexity_no_eot'),
    emote_rate: metricValue(m, 'emote_rate'),
    all_caps_rate: metricValue(m, 'all_caps_rate'),
    distinct_2: metricValue(m, 'distinct_2'),
    length_wasserstein: metricValue(m, 'length_wasserstein'),
  };
}
const base = side(evals.sft.base);
const table: Record<string, Record<string, unknown>> = {
  base,
  ...Object.fromEntries(
    (Object.keys(evals) as Array<keyof typeof evals>).map((k) => [
      k,
      { ...side(evals[k].adapter), lift_vs_base: evals[k].lift_vs_base, gates_passed: evals[k].gates.passed, failures: evals[k].gates.failures.map((f) => f.message), train_cpu_s: Math.round(runs[k].cpu_s), train_wall_s: Math.round(runs[k].wall_s), load: Number(runs[k].load.toFixed(1)) },
    ]),
  ),
};
const e = evals.sft;
const lines = [
  `listening: ${e.n_examples} held-out examples of ${e.dataset_id} (${e.split}), ${e.popularity.ranking.n_candidates} candidates each, preset ${values.preset}, ${cpus().length} CPUs`,
  `references: popularity R@10 ${n(e.popularity.ranking.r_at_10)}, random R@10 ${n(e.random.ranking.r_at_10)}`,
  `base         R@10 ${n(base.r_at_10)} ${ci(base.r_at_10_ci95)} (no context ${n(base.r_at_10_no_context)}, PMI ${n(base.r_at_10_pmi)}), MRR ${n(base.mrr)}, lift ${n(base.contextual_lift)}`,
  ...(Object.keys(evals) as Array<keyof typeof evals>).map((k) => {
    const s = table[k] as unknown as ReturnType<typeof side> & { lift_vs_base: EvalSummary['lift_vs_base']; gates_passed: boolean; train_cpu_s: number };
    return `${k.padEnd(12)} R@10 ${n(s.r_at_10)} ${ci(s.r_at_10_ci95)} (no context ${n(s.r_at_10_no_context)}, PMI ${n(s.r_at_10_pmi)}), MRR ${n(s.mrr)}, lift over base ${n(s.lift_vs_base.value)} ${ci(s.lift_vs_base.ci95)}, perplexity w/o end ${n(s.perplexity_no_eot, 1)}, emotes ${n(s.emote_rate, 2)}, caps ${n(s.all_caps_rate, 2)}, distinct-2 ${n(s.distinct_2, 2)}, train CPU ${s.train_cpu_s} s, gates ${s.gates_passed ? 'passed' : 'failed'}`;
  }),
];
process.stdout.write(`${lines.join('\n')}\n${JSON.stringify({ bench: 'listening', dataset_id: e.dataset_id, n_examples: e.n_examples, n_candidates: e.popularity.ranking.n_candidates, popularity: e.popularity.ranking, random: e.random.ranking, models: table, out })}\n`);
