import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { z } from 'zod';
import type { ObjectStore } from '../../catalog/object-store.ts';
import { stableHash } from '../dataset/dataset-config.ts';
import { datasetPrefix } from '../dataset/build-lake-dataset.ts';

/** The voice memory index copied beside an adapter trained with one (gpu-runner train/run.py MEMORY_FILE). */
export const ADAPTER_MEMORY_FILE = 'memory.json';

export const PRESETS = ['cpu-smoke', 'cpu', 'gpu-8gb', 'gpu-24gb', 'gpu-80gb'] as const;

/** The train job's stages: SFT, then optionally the preference stage (gpu-runner/src/dougpt_gpu/train/preference.py). */
export const TRAIN_STAGES = ['sft', 'dpo'] as const;
export const TrainStage = z.enum(TRAIN_STAGES);
export type TrainStage = z.infer<typeof TrainStage>;
/** What `stages` may be: SFT alone, or SFT then DPO. */
export const TrainStages = z
  .array(TrainStage)
  .refine((s) => s.join(',') === 'sft' || s.join(',') === 'sft,dpo', 'stages: ["sft"] or ["sft", "dpo"]');

/**
 * The result line's summary of the preference stage: its steps and final loss, TRL's reward accuracy (share of pairs
 * whose real reply gained more log-probability over the SFT reference than the rejected one) and mean reward margin
 * at the last step and on the validation pairs.
 */
export const TrainDpoSummary = z.object({
  steps: z.number().int().nonnegative(),
  loss_first: z.number().nullable(),
  loss_last: z.number().nullable(),
  reward_accuracy: z.number().nullable(),
  reward_margin: z.number().nullable(),
  validation_loss: z.number().nullable(),
  validation_reward_accuracy: z.number().nullable(),
  validation_reward_margin: z.number().nullable(),
  rows: z.number().int().nonnegative(),
  seconds_per_step: z.number().nullable(),
  resumed_from: z.number().int().nullable(),
});
export type TrainDpoSummary = z.infer<typeof TrainDpoSummary>;

/** Plain-JSON input of `trainAdapter` (and its training activity). */
export const TrainAdapterInput = z.object({
  dataset_id: z.string().regex(/^ds-[0-9a-f]+$/, 'a dataset id such as ds-0123abcd (see gold.datasets)'),
  preset: z.enum(PRESETS).default('cpu-smoke'),
  /** Embedded model name or a local Hugging Face folder on the GPU worker; the preset's when absent. */
  base_model: z.string().min(1).optional(),
  seed: z.number().int().min(0).default(0),
  /** Overrides of the preset, as the train job takes them (e.g. {"optim": {"max_steps": 60}, "stages": ["sft", "dpo"]}). */
  overrides: z.record(z.string(), z.unknown()).default({}),
  force: z.boolean().default(false),
  /**
   * Data-parallel processes on the GPU worker's host (torchrun ranks: NCCL on GPUs, gloo on CPU). Not part of the
   * job key nor the run id: the global batch is, so a retry resumes the same checkpoints with any number.
   */
  processes: z.number().int().positive().default(1),
  /** After training and evaluation: promote automatically when every gate passes. */
  promote: z.enum(['never', 'if-gates-pass']).default('never'),
});
export type TrainAdapterInput = z.input<typeof TrainAdapterInput>;

/** The train job's result line (gpu-runner/src/dougpt_gpu/train/run.py). */
export const TrainJobResult = z.object({
  event: z.literal('result'),
  run_id: z.string(),
  dataset_id: z.string(),
  base_model: z.string().nullable(),
  base_sha256: z.string().nullable(),
  preset: z.string(),
  steps: z.number().int(),
  loss_first: z.number().nullable(),
  loss_last: z.number().nullable(),
  tokens_per_s: z.number().nullable(),
  out: z.string(),
  reused: z.boolean(),
  resumed_from: z.number().int().nullable().optional(),
  /** Data-parallel ranks that trained it (absent from jobs older than data-parallel training: 1). */
  processes: z.number().int().positive().default(1),
  /** Absent from jobs older than the preference stage: those trained SFT only. */
  stages: TrainStages.default(['sft']),
  dpo: TrainDpoSummary.nullable().default(null),
});

/** What a training heartbeat carries: the newest checkpoint in object storage, so any worker can resume. */
export const TrainHeartbeat = z.object({
  step: z.number().int().nonnegative(),
  checkpoint_key: z.string().nullable(),
  checkpoint_step: z.number().int().nonnegative().nullable(),
});
export type TrainHeartbeat = z.infer<typeof TrainHeartbeat>;

export interface TrainAdapterOutput {
  run_id: string;
  dataset_id: string;
  adapter_key: string;
  preset: string;
  steps: number;
  loss_first: number | null;
  loss_last: number | null;
  tokens_per_s: number | null;
  reused: boolean;
  resumed_from_step: number | null;
  stages: TrainStage[];
  dpo: TrainDpoSummary | null;
}

export type RunTrainJob = (options: {
  job: 'train';
  input: Record<string, unknown>;
  signal?: AbortSignal;
  onProgress?: (event: Record<string, unknown>) => void;
  mode: 'process' | 'container';
}) => Promise<unknown>;

export interface TrainAdapterDeps {
  store: ObjectStore;
  workDir: string;
  runJob: RunTrainJob;
  mode: 'process' | 'container';
}

export interface TrainAdapterContext {
  signal?: AbortSignal;
  /** Details of the previous attempt's last heartbeat (a retry resumes from its checkpoint). */
  previous?: unknown;
  heartbeat: (details: TrainHeartbeat & Record<string, unknown>) => void;
  log?: (message: string) => void;
}

/** The manifest the train job writes into a sealed checkpoint (gpu-runner/src/dougpt_gpu/train/checkpoints.py). */
const CHECKPOINT_MANIFEST = 'dougpt-checkpoint.json';

export const adapterPrefix = (runId: string) => `gold/adapters/${runId}/`;
/** Checkpoints live under the attempt's job key (the run id is known only once the job starts). */
export const checkpointPrefix = (jobKey: string) => `gold/adapters/_checkpoints/${jobKey}/`;

/**
 * Trains one adapter on the `dougpt-gpu` queue: fetches the dataset export from the lake, runs the
 * Python train job, uploads every sealed checkpoint and heartbeats its key, and on a retry (any
 * machine) downloads the newest checkpoint and resumes from it. The finished adapter goes to
 * `gold/adapters/<run_id>/` (PEFT folder, GGUF LoRA, run.json).
 */
export async function trainAdapter(raw: TrainAdapterInput, deps: TrainAdapterDeps, ctx: TrainAdapterContext): Promise<TrainAdapterOutput> {
  const input = TrainAdapterInput.parse(raw);
  const jobKey = stableHash({ dataset: input.dataset_id, preset: input.preset, base: input.base_model ?? null, seed: input.seed, overrides: input.overrides }, 20);
  const dir = join(deps.workDir, 'train', jobKey);
  const datasetDir = join(dir, 'dataset');
  const out = join(dir, 'run');
  await mkdir(dir, { recursive: true });
  await downloadPrefix(deps.store, datasetPrefix(input.dataset_id), datasetDir, ctx.signal);
  if (!existsSync(join(datasetDir, 'dataset.json'))) throw new TrainInputError(`dataset ${input.dataset_id}: no export under ${datasetPrefix(input.dataset_id)}`);
  // Checkpoint choice reads validation and the evaluation reads test: refuse before minutes of training.
  const heldOut = emptyHeldOutReason(input.dataset_id, JSON.parse(await readFile(join(datasetDir, 'dataset.json'), 'utf8')));
  if (heldOut) throw new TrainInputError(heldOut);

  const previous = TrainHeartbeat.safeParse(ctx.previous);
  let last: TrainHeartbeat = previous.success ? previous.data : { step: 0, checkpoint_key: null, checkpoint_step: null };
  let resumeFrom: string | null = null;
  if (last.checkpoint_key) {
    resumeFrom = join(dir, 'resume', `step-${last.checkpoint_step}`);
    await rm(join(dir, 'resume'), { recursive: true, force: true });
    await downloadPrefix(deps.store, last.checkpoint_key, resumeFrom, ctx.signal);
    ctx.log?.(`resuming ${jobKey} from step ${last.checkpoint_step} (${last.checkpoint_key})`);
  }
  ctx.heartbeat(last);

  // Checkpoints are uploaded one after another, off the progress callback; the heartbeat names a
  // checkpoint only once all of its files are in object storage.
  const uploaded = new Set<string>();
  let uploads: Promise<void> = Promise.resolve();
  const uploadSealed = () => {
    uploads = uploads.then(async () => {
      const root = join(out, 'checkpoints');
      if (!existsSync(root)) return;
      for (const name of (await readdir(root)).sort()) {
        const m = /^step-(\d+)$/.exec(name);
        // A step-N folder is whole once it exists (the job seals it with a manifest, then renames it).
        if (!m || uploaded.has(name) || !existsSync(join(root, name, CHECKPOINT_MANIFEST))) continue;
        const key = `${checkpointPrefix(jobKey)}${name}/`;
        try {
          await uploadDir(deps.store, join(root, name), key);
        } catch (error) {
          // Pruned by the job while uploading: a newer checkpoint exists and will be uploaded instead.
          if ((error as NodeJS.ErrnoException).code === 'ENOENT' || !existsSync(join(root, name))) continue;
          throw error;
        }
        uploaded.add(name);
        last = { ...last, checkpoint_key: key, checkpoint_step: Number(m[1]) };
        ctx.heartbeat(last);
      }
    });
  };
  const result = await deps.runJob({
    job: 'train',
    mode: deps.mode,
    signal: ctx.signal,
    input: {
      dataset: datasetDir,
      out,
      preset: input.preset,
      seed: input.seed,
      force: input.force,
      // The work folder is keyed by this input, not by the run id (known once the job starts): a run of older
      // code or presets left there is replaced, never a reason to fail.
      replace: true,
      ...(input.base_model ? { base_model: input.base_model } : {}),
      ...(input.processes > 1 ? { processes: input.processes } : {}),
      ...input.overrides,
      ...(resumeFrom ? { resume_from: resumeFrom } : {}),
    },
    onProgress: (event) => {
      const step = typeof event.step === 'number' ? event.step : last.step;
      last = { ...last, step };
      ctx.heartbeat({ ...last, stage: event.stage ?? 'sft', loss: event.loss ?? null, eta_s: event.eta_s ?? null });
      uploadSealed();
    },
  });
  uploadSealed();
  await uploads;
  const parsed = TrainJobResult.parse(result);
  const adapterKey = adapterPrefix(parsed.run_id);
  for (const name of ['adapter', 'adapter.gguf', 'run.json']) {
    const path = join(out, name);
    if (!existsSync(path)) throw new Error(`train: the job finished without ${name} in ${out}`);
    if (name === 'adapter') await uploadDir(deps.store, path, `${adapterKey}adapter/`);
    else await deps.store.putFileOnce(`${adapterKey}${name}`, path);
  }
  // The voice memory an adapter was trained with travels with it (run.json `memory.file`).
  if (existsSync(join(out, ADAPTER_MEMORY_FILE))) await deps.store.putFileOnce(`${adapterKey}${ADAPTER_MEMORY_FILE}`, join(out, ADAPTER_MEMORY_FILE));
  return {
    run_id: parsed.run_id,
    dataset_id: parsed.dataset_id,
    adapter_key: adapterKey,
    preset: parsed.preset,
    steps: parsed.steps,
    loss_first: parsed.loss_first,
    loss_last: parsed.loss_last,
    tokens_per_s: parsed.tokens_per_s,
    reused: parsed.reused,
    resumed_from_step: resumeFrom ? last.checkpoint_step : (parsed.resumed_from ?? null),
    stages: parsed.stages,
    dpo: parsed.dpo,
  };
}

const DatasetSplits = z.object({ splits: z.object({ train: z.number(), validation: z.number(), test: z.number() }) });

/**
 * Why a dataset cannot be trained and evaluated (an empty validation or test split, or no split counts),
 * with the remedy; null when it can. Reads the export's `dataset.json`.
 *
 * @example
 * emptyHeldOutReason('ds-1', { splits: { train: 9, validation: 0, test: 6 } });
 * // 'dataset ds-1: validation split is empty (train 9, validation 0, test 6): …'
 */
export function emptyHeldOutReason(datasetId: string, datasetJson: unknown): string | null {
  const parsed = DatasetSplits.safeParse(datasetJson);
  if (!parsed.success) return `dataset ${datasetId}: dataset.json has no split counts (splits.train/validation/test)`;
  const { splits } = parsed.data;
  const empty = (['validation', 'test'] as const).filter((s) => splits[s] === 0);
  if (empty.length === 0) return null;
  return `dataset ${datasetId}: ${empty.join(' and ')} split${empty.length > 1 ? 's are' : ' is'} empty ` +
    `(train ${splits.train}, validation ${splits.validation}, test ${splits.test}): checkpoint choice needs validation and the evaluation test; ` +
    `rebuild the dataset (dougpt dataset build: every VOD of 3 blocks or more then gets both) from longer or more VODs`;
}

export class TrainInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TrainInputError';
  }
}

/** Uploads a folder's files under `prefix`; keys are content-free but the folder is sealed, so a rewrite is identical. */
export async function uploadDir(store: ObjectStore, dir: string, prefix: string): Promise<void> {
  for (const file of await walk(dir)) await store.putFileOnce(`${prefix}${relative(dir, file)}`, file);
}

/** Copies every object under `prefix` into `dir` (the folder layout restored). */
export async function downloadPrefix(store: ObjectStore, prefix: string, dir: string, signal?: AbortSignal): Promise<void> {
  for (const key of await store.listKeys(prefix)) {
    const path = join(dir, key.slice(prefix.length));
    await mkdir(join(path, '..'), { recursive: true });
    await store.getToFile(key, path, signal);
  }
}

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await walk(path)));
    else out.push(path);
  }
  return out.sort();
}

/** sha256 of a file's bytes (small files: run.json, eval.json). */
export async function sha256Of(path: string): Promise<string> {
  return createHash('sha256').update(await readFile(path)).digest('hex');
}
