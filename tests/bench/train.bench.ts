/**
 * Training throughput benchmark: real (non-padding) tokens per second of the train job's trainer against the
 * simple method a user would write first, in the same run, on the same data.
 *
 *   npx tsx tests/bench/train.bench.ts [--rows N] [--steps N] [--rounds N] [--batch-size N] [--threads N]
 *
 * Both sides train a LoRA (r16 on q/k/v/o) on the embedded SmolLM2-135M over the same token ids and labels with
 * the same batch size and thread count (gpu-runner/src/dougpt_gpu/train/bench.py):
 * - baseline: HF Trainer + PEFT, random batches padded to their longest row, the model's own loss (full logits);
 * - ours: the `train` job's trainer: length-grouped batches, the LM head applied to the reply tokens only.
 * The sides alternate, `--rounds` times each; medians are reported. Wall time moves with the load of a shared
 * machine, so the tokens per CPU-second of the process (the work a step costs) are reported beside it, with the
 * load average. Prints the figures, then one JSON line.
 */
import { parseArgs } from 'node:util';
import { execa } from 'execa';
import { z } from 'zod';
import { defaultPython } from '../../gpu-runner/worker/run-job.ts';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '96' },
    steps: { type: 'string', default: '6' },
    rounds: { type: 'string', default: '2' },
    'batch-size': { type: 'string', default: '8' },
    threads: { type: 'string', default: '1' },
  },
});

const Run = z.object({
  tokens_per_s: z.number(),
  tokens_per_cpu_s: z.number(),
  seconds: z.number(),
  cpu_seconds: z.number(),
  tokens: z.number(),
  padding: z.number(),
});
const BenchResult = z.object({
  rows: z.number(),
  steps: z.number(),
  rounds: z.number(),
  batch_size: z.number(),
  threads: z.number(),
  load_avg: z.number(),
  naive_tokens_per_s: z.number(),
  ours_tokens_per_s: z.number(),
  ratio: z.number().nullable(),
  naive_tokens_per_cpu_s: z.number(),
  ours_tokens_per_cpu_s: z.number(),
  cpu_ratio: z.number().nullable(),
  runs: z.object({ naive: z.array(Run), ours: z.array(Run) }),
});

const args = [
  '-m', 'dougpt_gpu.train.bench',
  '--rows', values.rows, '--steps', values.steps, '--rounds', values.rounds,
  '--batch-size', values['batch-size'], '--threads', values.threads,
];
const child = await execa(defaultPython(), args, { stderr: 'inherit', env: { OMP_NUM_THREADS: values.threads, TOKENIZERS_PARALLELISM: 'false' } });
const line = child.stdout.trim().split('\n').at(-1) ?? '';
const result = BenchResult.parse(JSON.parse(line));
const padding = (runs: z.infer<typeof Run>[]) => `${Math.round((100 * runs.reduce((s, r) => s + r.padding, 0)) / runs.length)}%`;
process.stdout.write(
  [
    `train throughput, SmolLM2-135M LoRA r16, ${result.rows} rows, batch ${result.batch_size}, ${result.steps} steps x ${result.rounds} rounds, ${result.threads} thread(s), load avg ${result.load_avg.toFixed(1)}`,
    `  baseline (HF Trainer + PEFT, pad to longest): ${result.naive_tokens_per_s} real tokens/s, ${result.naive_tokens_per_cpu_s} per CPU-s, padding ${padding(result.runs.naive)}`,
    `  train job (length-grouped, reply-only LM head): ${result.ours_tokens_per_s} real tokens/s, ${result.ours_tokens_per_cpu_s} per CPU-s, padding ${padding(result.runs.ours)}`,
    `  ratio: ${result.ratio}x wall, ${result.cpu_ratio}x CPU (goal >= 1.5x)`,
    JSON.stringify(result),
    '',
  ].join('\n'),
);
