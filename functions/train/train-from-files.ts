import { resolve } from 'node:path';
import { z } from 'zod';
import { PRESETS, TrainStages, type RunTrainJob } from './train-adapter.ts';
import { TrainJobEvent, TrainRunResult, type TrainProgressEvent } from './train-events.ts';

/** `dougpt train` from files: a dataset folder in, a run folder out; no server. */
export const TrainFromFilesInput = z.object({
  /** Dataset folder (OUT of `dougpt dataset build`). */
  dataset: z.string().min(1),
  preset: z.enum(PRESETS).default('cpu-smoke'),
  /** Run folder to write: adapter/, adapter.gguf, run.json, checkpoints/. */
  out: z.string().min(1),
  /** Embedded model name (smollm2-135m) or a local Hugging Face folder; the preset's when absent. */
  base_model: z.string().min(1).optional(),
  max_steps: z.number().int().positive().optional(),
  learning_rate: z.number().positive().optional(),
  lora_r: z.number().int().positive().optional(),
  batch_size: z.number().int().positive().optional(),
  max_length: z.number().int().min(16).optional(),
  seed: z.number().int().nonnegative().optional(),
  device: z.enum(['auto', 'cpu', 'cuda']).optional(),
  /** ['sft'] (the job's default) or ['sft', 'dpo']: the preference stage after SFT, on the dataset's dpo rows. */
  stages: TrainStages.optional(),
  /** Preference stage: optimizer steps, DPO beta and peak learning rate (the preset's when absent). */
  dpo_max_steps: z.number().int().positive().optional(),
  dpo_beta: z.number().positive().optional(),
  dpo_learning_rate: z.number().positive().optional(),
  /** A checkpoints folder (its newest step-N) or one step-N folder. */
  resume_from: z.string().min(1).optional(),
  /** Data-parallel processes (torchrun ranks: gloo on CPU, NCCL on GPUs); the global batch stays the preset's. */
  processes: z.number().int().positive().optional(),
  force: z.boolean().default(false),
  /** Voice memory index (the dataset's memory.json): SFT rows rendered with their recalled moments. */
  memory: z.string().min(1).optional(),
});
export type TrainFromFilesInput = z.input<typeof TrainFromFilesInput>;

/**
 * The TrainJob JSON the Python side reads (gpu-runner/src/dougpt_gpu/train/job.py): the preset, and only the
 * overrides given, nested as the job nests them; paths made absolute.
 *
 * @example
 * toTrainJob(TrainFromFilesInput.parse({ dataset: 'ds', out: 'run', max_steps: 50, lora_r: 8, stages: ['sft', 'dpo'], dpo_beta: 0.2 }));
 * // { dataset: '/abs/ds', out: '/abs/run', preset: 'cpu-smoke', force: false, stages: ['sft', 'dpo'],
 * //   optim: { max_steps: 50 }, lora: { r: 8 }, dpo: { beta: 0.2 } }
 */
export function toTrainJob(input: z.output<typeof TrainFromFilesInput>): Record<string, unknown> {
  const optim: Record<string, unknown> = {};
  const batch: Record<string, unknown> = {};
  const lora: Record<string, unknown> = {};
  const dpo: Record<string, unknown> = {};
  if (input.dpo_max_steps !== undefined) dpo.max_steps = input.dpo_max_steps;
  if (input.dpo_beta !== undefined) dpo.beta = input.dpo_beta;
  if (input.dpo_learning_rate !== undefined) dpo.learning_rate = input.dpo_learning_rate;
  if (input.max_steps !== undefined) optim.max_steps = input.max_steps;
  if (input.learning_rate !== undefined) optim.learning_rate = input.learning_rate;
  if (input.batch_size !== undefined) batch.batch_size = input.batch_size;
  if (input.max_length !== undefined) batch.max_length = input.max_length;
  if (input.lora_r !== undefined) lora.r = input.lora_r;
  const job: Record<string, unknown> = {
    dataset: resolve(input.dataset),
    out: resolve(input.out),
    preset: input.preset,
    force: input.force,
  };
  // A base given by name stays a name; one given as a folder is made absolute.
  if (input.base_model !== undefined) job.base_model = /[/\\]|^\./.test(input.base_model) ? resolve(input.base_model) : input.base_model;
  if (input.seed !== undefined) job.seed = input.seed;
  if (input.device !== undefined) job.device = input.device;
  if (input.stages !== undefined) job.stages = input.stages;
  if (input.resume_from !== undefined) job.resume_from = resolve(input.resume_from);
  if (input.processes !== undefined) job.processes = input.processes;
  if (input.memory !== undefined) job.memory = resolve(input.memory);
  if (Object.keys(optim).length) job.optim = optim;
  if (Object.keys(batch).length) job.batch = batch;
  if (Object.keys(lora).length) job.lora = lora;
  if (Object.keys(dpo).length) job.dpo = dpo;
  return job;
}

/**
 * Trains a LoRA adapter through the Python `train` job; returns its result line, validated.
 * Throws RunnerError (kind 'bad-input' for an unusable dataset, preset, base or checkpoint).
 *
 * @example
 * const run = await trainFromFiles({ input: { dataset: 'data/ds1', out: 'runs/r1' }, runJob: runGpuJob, mode: 'process' });
 * run.adapter_gguf;
 */
export async function trainFromFiles(args: {
  input: TrainFromFilesInput;
  runJob: RunTrainJob;
  mode: 'process' | 'container';
  signal?: AbortSignal;
  onProgress?: (event: TrainProgressEvent) => void;
}): Promise<TrainRunResult> {
  const input = TrainFromFilesInput.parse(args.input);
  const result = await args.runJob({
    job: 'train',
    input: toTrainJob(input),
    mode: args.mode,
    signal: args.signal,
    onProgress: (line) => {
      const event = TrainJobEvent.parse(line);
      if (event.event === 'progress') args.onProgress?.(event);
    },
  });
  return TrainRunResult.parse(result);
}
