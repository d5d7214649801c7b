import { z } from 'zod';
import { TrainJobResult, TrainStage } from './train-adapter.ts';

/**
 * Progress line of the `train` job (gpu-runner/src/dougpt_gpu/train/progress.py), one per optimizer step of a stage.
 * `step` and `max_steps` count the steps of `stage`; `tokens_per_s` counts real (non-padding) tokens over the
 * stage's steps run so far; `eta_s` is for the stage's remaining steps. The dpo stage adds TRL's reward accuracy
 * and mean reward margin of the step's pairs.
 */
export const TrainProgressEvent = z.object({
  event: z.literal('progress'),
  stage: TrainStage.default('sft'),
  step: z.number().int().positive(),
  max_steps: z.number().int().positive(),
  loss: z.number(),
  learning_rate: z.number().nonnegative(),
  grad_norm: z.number().nullable(),
  tokens_per_s: z.number().nonnegative(),
  eta_s: z.number().nonnegative(),
  reward_accuracy: z.number().min(0).max(1).optional(),
  reward_margin: z.number().optional(),
});
export type TrainProgressEvent = z.infer<typeof TrainProgressEvent>;

/**
 * A checkpoint was sealed at OUT/checkpoints/step-N/ (whole and hashed): it may be uploaded now. `step` is the
 * run's (all stages, the folder's N), `stage_step` the stage's own.
 */
export const TrainCheckpointEvent = z.object({
  event: z.literal('checkpoint'),
  step: z.number().int().positive(),
  stage: TrainStage.default('sft'),
  stage_step: z.number().int().positive().optional(),
  path: z.string(),
});
export type TrainCheckpointEvent = z.infer<typeof TrainCheckpointEvent>;

/** The result line with the paths the job wrote (TrainJobResult plus what a files-only caller shows). */
export const TrainRunResult = TrainJobResult.extend({
  validation_loss: z.number().nullable(),
  adapter: z.string(),
  adapter_gguf: z.string(),
  run_json: z.string(),
  elapsed_s: z.number().nonnegative(),
});
export type TrainRunResult = z.infer<typeof TrainRunResult>;

/** Any non-result line the `train` job prints before its result. */
export const TrainJobEvent = z.discriminatedUnion('event', [TrainProgressEvent, TrainCheckpointEvent]);
export type TrainJobEvent = z.infer<typeof TrainJobEvent>;
