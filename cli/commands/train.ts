import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type Command, Option } from 'commander';
import cliProgress from 'cli-progress';
import { PRESETS, TrainStages, type RunTrainJob, type TrainStage } from '../../functions/train/train-adapter.ts';
import type { TrainRunResult } from '../../functions/train/train-events.ts';
import { trainFromFiles } from '../../functions/train/train-from-files.ts';
import { MEMORY_FILE } from '../../functions/memory/write-memory-index.ts';
import { saveRunPacing } from '../../functions/simulate/save-run-pacing.ts';
import { runGpuJob } from '../../functions/gpu-jobs.ts';
import { RunnerError } from '../../gpu-runner/worker/runner-error.ts';
import { printJson } from '../output.ts';
import { UserError } from '../errors.ts';

interface TrainFlags {
  dataset: string;
  preset: (typeof PRESETS)[number];
  out?: string;
  base?: string;
  maxSteps?: string;
  lr?: string;
  loraR?: string;
  batchSize?: string;
  maxLength?: string;
  seed?: string;
  device?: 'auto' | 'cpu' | 'cuda';
  stages?: string;
  memory?: string | true;
  dpoMaxSteps?: string;
  dpoBeta?: string;
  dpoLr?: string;
  resumeFrom?: string;
  processes?: string;
  force?: boolean;
  json?: boolean;
}

const PRESET_HELP = [
  'cpu-smoke  embedded SmolLM2-135M, 24 steps: ~1-2 min on 2 cores (tests, demo)',
  'cpu        embedded SmolLM2-135M, 600 steps, LoRA on all linear layers: ~1 h on 2 cores',
  'gpu-8gb    NF4 QLoRA of a 1.5B-class model (--base FOLDER): ~5-6 GB VRAM',
  'gpu-24gb   NF4 QLoRA of a 7-8B model (--base FOLDER): ~16-19 GB VRAM',
  'gpu-80gb   bf16 LoRA of a 7-8B model (--base FOLDER): ~45-60 GB VRAM',
];

function numberFlag(name: string, value: string | undefined, integer: boolean, min: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < min || (integer && !Number.isInteger(n))) {
    throw new UserError(`${name}: not a ${integer ? 'whole ' : ''}number >= ${min}: ${value}`, 2);
  }
  return n;
}

/** `--stages sft,dpo` → ['sft', 'dpo']; anything else is a one-line usage error. */
function stagesFlag(value: string | undefined): TrainStage[] | undefined {
  if (value === undefined) return undefined;
  const parsed = TrainStages.safeParse(value.split(',').map((s) => s.trim()));
  if (!parsed.success) throw new UserError(`--stages: sft or sft,dpo, got ${value}`, 2);
  return parsed.data;
}

/** The preference stage's overrides, as the train job nests them (`dpo: {max_steps, beta, learning_rate}`). */
function dpoFlags(flags: TrainFlags): Record<string, number> {
  const dpo: Record<string, number> = {};
  const maxSteps = numberFlag('--dpo-max-steps', flags.dpoMaxSteps, true, 1);
  const beta = numberFlag('--dpo-beta', flags.dpoBeta, false, Number.MIN_VALUE);
  const lr = numberFlag('--dpo-lr', flags.dpoLr, false, Number.MIN_VALUE);
  if (maxSteps !== undefined) dpo.max_steps = maxSteps;
  if (beta !== undefined) dpo.beta = beta;
  if (lr !== undefined) dpo.learning_rate = lr;
  return dpo;
}

/** One line on the preference stage for the end of a run: steps, loss, reward accuracy (train pairs, validation pairs). */
function dpoLine(result: TrainRunResult): string | null {
  const dpo = result.dpo;
  if (!dpo) return null;
  const fixed = (x: number | null, digits = 3) => (x === null ? '-' : x.toFixed(digits));
  return (
    `dpo     ${dpo.steps} steps, loss ${fixed(dpo.loss_first)} → ${fixed(dpo.loss_last)}, reward accuracy ${fixed(dpo.reward_accuracy, 2)}` +
    ` (validation ${fixed(dpo.validation_reward_accuracy, 2)}), margin ${fixed(dpo.reward_margin)}`
  );
}

/**
 * The runner for the `train` job. `runGpuJob` validates each line against the job's schemas in
 * functions/gpu-jobs.ts, where `train` is registered with those of functions/train/train-events.ts.
 */
const runTrainJob: RunTrainJob = (options) => runGpuJob(options as unknown as Parameters<typeof runGpuJob>[0]);

/** What `--json` prints: the run's identity, its losses and speed, and where it is. */
function summary(result: TrainRunResult): Record<string, unknown> {
  const { event: _event, ...rest } = result;
  return rest;
}

/**
 * `dougpt train --dataset ds-… [--promote if-gates-pass]`: the `trainAdapter` workflow (train on the GPU
 * queue, evaluate, gate), exactly as `temporal workflow start --type trainAdapter` would run it.
 */
async function trainInLake(flags: TrainFlags & { promote?: string }): Promise<void> {
  if (flags.resumeFrom) throw new UserError('--resume-from is for folders; the workflow resumes from its lake checkpoints by itself', 2);
  if (flags.memory !== undefined) throw new UserError('--memory is for dataset folders (dougpt train --dataset DIR --memory)', 2);
  if (flags.promote !== undefined && flags.promote !== 'never' && flags.promote !== 'if-gates-pass') throw new UserError(`--promote: never or if-gates-pass, got ${flags.promote}`, 2);
  const optim: Record<string, number> = {};
  const maxSteps = numberFlag('--max-steps', flags.maxSteps, true, 1);
  const lr = numberFlag('--lr', flags.lr, false, Number.MIN_VALUE);
  if (maxSteps !== undefined) optim.max_steps = maxSteps;
  if (lr !== undefined) optim.learning_rate = lr;
  const loraR = numberFlag('--lora-r', flags.loraR, true, 1);
  const batchSize = numberFlag('--batch-size', flags.batchSize, true, 1);
  const maxLength = numberFlag('--max-length', flags.maxLength, true, 16);
  const batch: Record<string, number> = {};
  if (batchSize !== undefined) batch.batch_size = batchSize;
  if (maxLength !== undefined) batch.max_length = maxLength;
  const stages = stagesFlag(flags.stages);
  const dpo = dpoFlags(flags);
  const overrides: Record<string, unknown> = {
    ...(stages ? { stages } : {}),
    ...(Object.keys(dpo).length ? { dpo } : {}),
    ...(Object.keys(optim).length ? { optim } : {}),
    ...(Object.keys(batch).length ? { batch } : {}),
    ...(loraR !== undefined ? { lora: { r: loraR, alpha: loraR * 2 } } : {}),
    ...(flags.device ? { device: flags.device } : {}),
  };
  const [{ loadConfig }, { runTrainAdapter }, { fetchServingAdapter }] = await Promise.all([
    import('../../infra/config.ts'),
    import('../run-train-adapter.ts'),
    import('../../infra/registry-adapter-source.ts'),
  ]);
  const config = loadConfig();
  const { workflow_id, result } = await runTrainAdapter(
    config,
    {
      dataset_id: flags.dataset,
      preset: flags.preset as (typeof PRESETS)[number],
      seed: numberFlag('--seed', flags.seed, true, 0) ?? 0,
      overrides,
      force: flags.force ?? false,
      promote: (flags.promote as 'never' | 'if-gates-pass' | undefined) ?? 'never',
      processes: numberFlag('--processes', flags.processes, true, 1) ?? 1,
      ...(flags.base ? { base_model: flags.base } : {}),
    },
    { onProgress: (line) => !flags.json && process.stderr.write(`train: ${line}\n`) },
  );
  let out: string | null = null;
  if (flags.out) {
    const { cp } = await import('node:fs/promises');
    out = flags.out;
    await cp(await fetchServingAdapter(config, result.run_id), out, { recursive: true });
  }
  if (flags.json) return printJson({ workflow_id, ...result, out });
  process.stderr.write(
    `run ${result.run_id}: ${result.steps} steps, loss ${result.loss_first?.toFixed(3) ?? '-'} → ${result.loss_last?.toFixed(3) ?? '-'}` +
      `${result.dpo ? `; dpo ${result.dpo.steps} steps, reward accuracy ${result.dpo.reward_accuracy?.toFixed(2) ?? '-'}` : ''}` +
      `${result.eval ? `; gates ${result.eval.passed ? 'passed' : `failed (${result.eval.failures.join('; ')})`}` : ''}` +
      `${result.promotion_requested ? '; promotion requested' : ''}\nadapter gold/adapters/${result.run_id}/${out ? ` (copied to ${out})` : ''}\n`,
  );
}

/** `dougpt train --dataset DIR --preset P --out DIR`: a LoRA adapter from a dataset folder, no server. */
export function registerTrainCommand(program: Command): void {
  program
    .command('train')
    .description('fine-tune a LoRA adapter on a dataset folder (PEFT folder + GGUF LoRA + run.json in --out)')
    .requiredOption('--dataset <dir|dataset_id>', 'dataset folder (OUT of dougpt dataset build), or a dataset id in the lake (trains through the trainAdapter workflow)')
    .addOption(new Option('--preset <name>', 'training preset').choices(PRESETS).default('cpu-smoke'))
    .option('--out <dir>', 'run folder to write (adapter/, adapter.gguf, run.json, checkpoints/); with a dataset id, where to copy the adapter')
    .option('--promote <when>', 'with a dataset id: never (default) or if-gates-pass')
    .option('--base <name|dir>', 'base model: smollm2-135m or a local Hugging Face folder (gpu presets need one)')
    .option('--max-steps <n>', 'optimizer steps (default: the preset\'s)')
    .option('--lr <x>', 'peak learning rate (default: the preset\'s)')
    .option('--lora-r <n>', 'LoRA rank (default: the preset\'s)')
    .option('--batch-size <n>', 'rows per forward pass (default: the preset\'s)')
    .option('--max-length <n>', 'longest row in tokens; longer rows are left out (default: the preset\'s)')
    .option('--seed <n>', 'seed of initialisation, dropout and data order (default 0)')
    .addOption(new Option('--device <device>', 'where to train (default: the preset\'s)').choices(['auto', 'cpu', 'cuda']))
    .option('--stages <list>', 'sft (default) or sft,dpo: after SFT, DPO on the dataset\'s dpo rows (real reply over a reply of the same chat to another moment)')
    .option('--dpo-max-steps <n>', 'preference stage: optimizer steps (default: the preset\'s)')
    .option('--dpo-beta <x>', 'preference stage: DPO beta, how far from the SFT adapter it may move (default 0.1)')
    .option('--dpo-lr <x>', 'preference stage: peak learning rate (default: the preset\'s)')
    .option('--resume-from <dir>', 'continue from a checkpoints folder (its newest step-N) or one step-N folder')
    .option('--processes <n>', 'data-parallel processes (torchrun ranks: gloo on CPU, NCCL with one GPU each); same global batch, schedule and run id for any n (default 1)')
    .option('--force', 'train again even when --out already holds this run (same dataset, base, config, seed)')
    .option('--memory [file]', "render each training row with its recalled moments (voice memory; default file: the dataset's memory.json)")
    .option('--json', 'print the run summary as JSON on stdout')
    .addHelpText('after', `\nPresets:\n  ${PRESET_HELP.join('\n  ')}\n`)
    .action(async (flags: TrainFlags & { promote?: string }) => {
      if (/^ds-[0-9a-f]+$/.test(flags.dataset) && !existsSync(flags.dataset)) return trainInLake(flags);
      if (!flags.out) throw new UserError('--out <dir> is required with a dataset folder', 2);
      const showProgress = process.stderr.isTTY && !flags.json;
      const bar = new cliProgress.SingleBar(
        { stream: process.stderr, format: '{stage} [{bar}] {percentage}% | step {value}/{total} | loss {loss}{reward} | {tps} tok/s | eta {eta}s' },
        cliProgress.Presets.shades_classic,
      );
      let started = false;
      let barStage: string | null = null;
      const dpo = dpoFlags(flags);
      try {
        const result = await trainFromFiles({
          input: {
            dataset: flags.dataset,
            preset: flags.preset,
            out: flags.out,
            base_model: flags.base,
            max_steps: numberFlag('--max-steps', flags.maxSteps, true, 1),
            learning_rate: numberFlag('--lr', flags.lr, false, Number.MIN_VALUE),
            lora_r: numberFlag('--lora-r', flags.loraR, true, 1),
            batch_size: numberFlag('--batch-size', flags.batchSize, true, 1),
            max_length: numberFlag('--max-length', flags.maxLength, true, 16),
            seed: numberFlag('--seed', flags.seed, true, 0),
            device: flags.device,
            stages: stagesFlag(flags.stages),
            dpo_max_steps: dpo.max_steps,
            dpo_beta: dpo.beta,
            dpo_learning_rate: dpo.learning_rate,
            resume_from: flags.resumeFrom,
            processes: numberFlag('--processes', flags.processes, true, 1),
            force: flags.force ?? false,
            memory: flags.memory === true ? join(flags.dataset, MEMORY_FILE) : flags.memory,
          },
          runJob: runTrainJob,
          mode: 'process',
          onProgress: (event) => {
            if (!showProgress) return;
            const reward = event.reward_accuracy === undefined ? '' : ` | reward acc ${event.reward_accuracy.toFixed(2)}`;
            const payload = { stage: event.stage, loss: event.loss.toFixed(3), reward, tps: Math.round(event.tokens_per_s), eta: Math.round(event.eta_s) };
            // One bar per stage: each counts its own steps.
            if (started && barStage !== event.stage) bar.stop();
            if (!started || barStage !== event.stage) bar.start(event.max_steps, 0, payload);
            started = true;
            barStage = event.stage;
            bar.update(event.step, payload);
          },
        });
        if (started) bar.stop();
        // The pace of the chat the adapter learnt from, for `dougpt simulate --adapter RUN`.
        const pacing = await saveRunPacing({ dataset: flags.dataset, out: result.out });
        if (!flags.json) process.stderr.write('path' in pacing ? `pacing  ${pacing.path}\n` : `pacing  not saved: ${pacing.skipped}\n`);
        if (flags.json) printJson(summary(result));
        else {
          const losses = `loss ${result.loss_first?.toFixed(3) ?? '-'} → ${result.loss_last?.toFixed(3) ?? '-'}`;
          const how = result.reused ? 'reused (same dataset, base, config and seed)' : `${Math.round(result.tokens_per_s ?? 0)} tokens/s`;
          process.stderr.write(`${result.out}: run ${result.run_id}, ${result.steps} steps, ${losses}, ${how}\n`);
          const dpoSummary = dpoLine(result);
          if (dpoSummary) process.stderr.write(`${dpoSummary}\n`);
          process.stderr.write(`adapter ${result.adapter}\ngguf    ${result.adapter_gguf}\n`);
        }
      } catch (error) {
        if (started) bar.stop();
        if (error instanceof RunnerError && error.kind === 'bad-input') throw new UserError(error.message.replace(/^train: /, ''), 2);
        throw error;
      }
    });
}
