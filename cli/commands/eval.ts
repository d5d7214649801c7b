import { join } from 'node:path';
import { type Command, Option } from 'commander';
import cliProgress from 'cli-progress';
import { metricValue, type EvalMetrics, type EvalSummary, type Interval, type RankingMetrics } from '../../functions/eval/eval-events.ts';
import { evaluateAdapter, type RunEvalJob } from '../../functions/eval/evaluate-adapter.ts';
import { runGpuJob } from '../../functions/gpu-jobs.ts';
import { MEMORY_FILE } from '../../functions/memory/write-memory-index.ts';
import { RunnerError } from '../../gpu-runner/worker/runner-error.ts';
import { printJson } from '../output.ts';
import { UserError } from '../errors.ts';
import { openBrowser } from '../serving.ts';

interface EvalFlags {
  adapter: string;
  dataset: string;
  split: string;
  limit?: string;
  promoted?: string;
  out?: string;
  base?: string;
  gates?: string;
  seed?: string;
  maxNewTokens?: string;
  batchSize?: string;
  rankingCandidates?: string;
  device?: 'auto' | 'cpu' | 'cuda';
  memory?: string | true;
  memoryK?: string;
  serveMemory?: boolean;
  json?: boolean;
  open?: boolean;
}

// Rows of the summary table: metric, digits.
const SHOWN: [string, number][] = [
  ['perplexity', 2], ['perplexity_no_eot', 2], ['contextual_lift', 3], ['classifier_accuracy', 3], ['length_wasserstein', 1], ['mean_chars', 1],
  ['emote_rate', 3], ['all_caps_rate', 3], ['distinct_1', 3], ['distinct_2', 3], ['placeholder_mention_rate', 3],
  ['toxicity_rate', 3], ['banned_phrase_hits', 0], ['name_leaks', 0], ['verbatim_copy_rate', 3],
];

function intFlag(name: string, value: string | undefined, min: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new UserError(`${name}: not a whole number >= ${min}: ${value}`, 2);
  return n;
}

function cell(metrics: EvalMetrics | null, metric: string, digits: number): string {
  const value = metricValue(metrics, metric);
  return (value === null ? '–' : value.toFixed(digits)).padStart(10);
}

function withInterval(value: number | null | undefined, interval: Interval | undefined, digits = 3): string {
  const shown = value === null || value === undefined ? '–' : value.toFixed(digits);
  return interval ? `${shown} [${interval[0].toFixed(digits)}, ${interval[1].toFixed(digits)}]` : shown;
}

function recallAt10(ranking: RankingMetrics | undefined): string {
  return ranking ? withInterval(ranking.r_at_10, ranking.r_at_10_ci95) : '–';
}

/**
 * Does the candidate listen? R@10 among the ranking candidates with and without the context (and the
 * references), and its contextual lift over the base with the interval.
 *
 * @example
 * listeningLines(summary); // ['listening (100 candidates per context) ...', ...]
 */
export function listeningLines(summary: EvalSummary): string[] {
  const lines = [`listening (${summary.popularity.ranking.n_candidates} candidates per context; 95% intervals):`];
  const sides: [string, EvalMetrics | null][] = [['base', summary.base], ['candidate', summary.adapter], ['promoted', summary.promoted]];
  for (const [name, metrics] of sides) {
    if (!metrics?.ranking) continue;
    lines.push(`  ${name.padEnd(10)} R@10 ${recallAt10(metrics.ranking)} with context, ${recallAt10(metrics.ranking_no_context)} without; MRR ${withInterval(metrics.ranking.mrr, undefined)}`);
  }
  lines.push(`  references R@10 popularity ${recallAt10(summary.popularity.ranking)}, random ${recallAt10(summary.random.ranking)}`);
  lines.push(`  lift over base ${withInterval(summary.lift_vs_base.value, summary.lift_vs_base.ci95)} nats/token`);
  const memory = summary.memory;
  if (memory) {
    const how = memory.served ? 'every figure above is with memory, as served; the gains are over ranking without it' : 'the figures above are without memory';
    lines.push(`  memory (${memory.index.sha256.slice(0, 12)}, k ${memory.k}: ${memory.examples_with_memory} of ${summary.n_examples} contexts recalled something, retrieval p50 ${memory.retrieval_ms.p50.toFixed(2)} ms; ${how}):`);
    for (const [side, m] of Object.entries(memory.sides)) {
      lines.push(`  ${`${side === 'adapter' ? 'candidate' : side} + memory`.padEnd(10)} R@10 ${recallAt10(m.ranking)} (gain ${withInterval(m.r_at_10_gain, m.r_at_10_gain_ci95)}); MRR ${withInterval(m.ranking.mrr, undefined)} (gain ${withInterval(m.mrr_gain, m.mrr_gain_ci95)})`);
    }
    lines.push(`  memory ${memory.default_on.meets_bar ? 'meets' : 'does not meet'} the bar for default-on (${memory.default_on.rule})`);
  }
  return lines;
}

/** The metric table and the gate verdict, for a terminal. */
export function formatSummary(summary: EvalSummary): string {
  const sides: [string, EvalMetrics | null][] = [
    ['base', summary.base], ['candidate', summary.adapter], ['promoted', summary.promoted], ['real', summary.real],
  ];
  const lines = [`${'metric'.padEnd(26)}${sides.map(([name]) => name.padStart(10)).join('')}`];
  for (const [metric, digits] of SHOWN) {
    lines.push(`${metric.padEnd(26)}${sides.map(([, m]) => cell(m, metric, digits)).join('')}`);
  }
  lines.push('', ...listeningLines(summary));
  const { gates } = summary;
  lines.push('', `gates (${gates.version}): ${gates.passed ? 'passed' : `FAILED ${gates.failures.length}`}`);
  for (const failure of gates.failures) lines.push(`  ${failure.gate}: ${failure.message}`);
  lines.push(`${summary.n_examples} examples of split ${summary.split} in ${summary.elapsed_s.toFixed(0)} s`);
  lines.push(`report: ${summary.report}`);
  return `${lines.join('\n')}\n`;
}

/**
 * The runner for the `eval` job. `runGpuJob` validates each line against the job's schemas in
 * functions/gpu-jobs.ts, where `eval` is registered with those of functions/eval/eval-events.ts.
 */
const runEvalJob: RunEvalJob = (options) => runGpuJob(options as unknown as Parameters<typeof runGpuJob>[0]);

/** `dougpt eval --adapter RUN --dataset DIR`: base, candidate and promoted adapter side by side, gated, with a report. */
export function registerEvalCommand(program: Command): void {
  program
    .command('eval')
    .description('evaluate a trained adapter against the base model (and the promoted adapter) on a held-out split')
    .requiredOption('--adapter <dir>', 'training run folder (OUT of dougpt train) or a PEFT adapter folder')
    .requiredOption('--dataset <dir>', 'dataset folder (OUT of dougpt dataset build)')
    .option('--split <name>', 'split to evaluate on', 'test')
    .option('--limit <n>', 'evaluate n examples, spread evenly over the split (default: all)')
    .option('--promoted <dir>', 'the promoted adapter\'s run folder: compared side by side, regressions gated')
    .option('--out <dir>', 'folder that receives <eval_id>/ (default: <adapter run>/eval)')
    .option('--base <name|dir>', 'base model (default: the run\'s base, else smollm2-135m)')
    .option('--gates <file>', 'gates file (default: gpu-runner/src/dougpt_gpu/evaluate/gates.json)')
    .option('--seed <n>', 'sampling seed (default 0)')
    .option('--max-new-tokens <n>', 'reply length limit in tokens (default: the prompt spec\'s)')
    .option('--batch-size <n>', 'sequences per forward pass (default 16)')
    .option('--ranking-candidates <n>', 'candidates ranked per context, the real reply included (default 100)')
    .addOption(new Option('--device <device>', 'where the model runs').choices(['auto', 'cpu', 'cuda']))
    .option('--memory [file]', "also rank every context with its recalled moments (voice memory; default file: the dataset's memory.json)")
    .option('--memory-k <n>', 'moments recalled per context (default: the index\'s, 3)')
    .option('--serve-memory', 'evaluate every model as served with the memory: every prompt carries its recalled moments (default for an adapter trained with memory, with its own index)')
    .option('--no-serve-memory', 'evaluate an adapter trained with memory without it')
    .option('--json', 'print eval.json on stdout')
    .option('--open', 'open report.html in a browser (its path is printed either way)')
    .action(async (flags: EvalFlags) => {
      const showProgress = process.stderr.isTTY && !flags.json;
      const bar = new cliProgress.SingleBar(
        { stream: process.stderr, format: 'eval [{bar}] {percentage}% | {stage} {model}' },
        cliProgress.Presets.shades_classic,
      );
      let started = false;
      try {
        const summary = await evaluateAdapter({
          input: {
            adapter: flags.adapter,
            dataset: flags.dataset,
            split: flags.split,
            limit: intFlag('--limit', flags.limit, 2),
            promoted: flags.promoted,
            out: flags.out,
            base: flags.base,
            gates: flags.gates,
            seed: intFlag('--seed', flags.seed, 0),
            max_new_tokens: intFlag('--max-new-tokens', flags.maxNewTokens, 1),
            batch_size: intFlag('--batch-size', flags.batchSize, 1),
            ranking_candidates: intFlag('--ranking-candidates', flags.rankingCandidates, 2),
            device: flags.device,
            memory: flags.memory === true ? join(flags.dataset, MEMORY_FILE) : flags.memory,
            memory_k: intFlag('--memory-k', flags.memoryK, 1),
            serve_memory: flags.serveMemory,
          },
          runJob: runEvalJob,
          mode: 'process',
          onProgress: (event) => {
            if (!showProgress) return;
            const payload = { stage: event.stage, model: event.model ?? '' };
            if (!started) bar.start(event.total, 0, payload);
            started = true;
            bar.update(event.done, payload);
          },
        });
        if (started) bar.stop();
        if (flags.json) printJson(summary);
        else process.stderr.write(formatSummary(summary));
        if (flags.open) {
          if (flags.json) process.stderr.write(`report: ${summary.report}\n`);
          await openBrowser(summary.report, 'eval');
        }
      } catch (error) {
        if (started) bar.stop();
        if (error instanceof RunnerError && error.kind === 'bad-input') throw new UserError(error.message.replace(/^eval: /, ''), 2);
        throw error;
      }
    });
}
