import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TrainJobEvent, TrainRunResult } from '../../../functions/train/train-events.ts';
import { TrainFromFilesInput, toTrainJob } from '../../../functions/train/train-from-files.ts';

/** Lines as gpu-runner/src/dougpt_gpu/train/progress.py and run.py print them (from a cpu-smoke sft,dpo run). */
const sftProgress = { event: 'progress', stage: 'sft', step: 2, max_steps: 4, loss: 8.58, learning_rate: 0.001, grad_norm: 3.47, tokens_per_s: 129, eta_s: 5 };
const dpoProgress = { ...sftProgress, stage: 'dpo', loss: 0.693, reward_accuracy: 0.5, reward_margin: -0.03 };
const result = {
  event: 'result', run_id: '44a20c2973eb4cda', dataset_id: 'ds-fd05a2085389', base_model: 'smollm2-135m', base_sha256: 'b'.repeat(64),
  preset: 'cpu-smoke', steps: 4, loss_first: 7.7, loss_last: 6.48, validation_loss: 6.01, tokens_per_s: 140.1, out: '/o', adapter: '/o/adapter',
  adapter_gguf: '/o/adapter.gguf', run_json: '/o/run.json', reused: false, resumed_from: null, elapsed_s: 73.4,
};
const dpoSummary = {
  steps: 4, loss_first: 0.693, loss_last: 0.61, reward_accuracy: 0.75, reward_margin: 0.2, validation_loss: 0.69, validation_reward_accuracy: 0.5,
  validation_reward_margin: 0.0002, rows: 24, seconds_per_step: 6.8, resumed_from: null,
};

describe('train job lines', () => {
  it('reads the stage of progress and checkpoint lines; lines without one are SFT', () => {
    expect(TrainJobEvent.parse(sftProgress)).toMatchObject({ stage: 'sft', step: 2 });
    const { stage: _stage, ...old } = sftProgress;
    expect(TrainJobEvent.parse(old)).toMatchObject({ stage: 'sft' });
    expect(TrainJobEvent.parse(dpoProgress)).toMatchObject({ stage: 'dpo', reward_accuracy: 0.5, reward_margin: -0.03 });
    expect(TrainJobEvent.parse({ event: 'checkpoint', step: 6, stage: 'dpo', stage_step: 2, path: '/o/checkpoints/step-6' })).toMatchObject({ stage: 'dpo', stage_step: 2 });
    expect(() => TrainJobEvent.parse({ ...dpoProgress, stage: 'orpo' })).toThrow();
    expect(() => TrainJobEvent.parse({ ...dpoProgress, reward_accuracy: 1.5 })).toThrow();
  });

  it('reads the dpo summary of a result; a result without stages is an SFT-only run', () => {
    expect(TrainRunResult.parse(result)).toMatchObject({ stages: ['sft'], dpo: null });
    const both = TrainRunResult.parse({ ...result, stages: ['sft', 'dpo'], dpo: dpoSummary });
    expect(both.stages).toEqual(['sft', 'dpo']);
    expect(both.dpo?.reward_accuracy).toBe(0.75);
    expect(() => TrainRunResult.parse({ ...result, stages: ['dpo'] })).toThrow(/stages/);
    expect(() => TrainRunResult.parse({ ...result, stages: ['sft', 'dpo'], dpo: { ...dpoSummary, steps: undefined } })).toThrow();
  });
});

describe('toTrainJob', () => {
  it('passes stages and nests the preference options under dpo, only when given', () => {
    const job = toTrainJob(TrainFromFilesInput.parse({ dataset: 'ds', out: 'run', stages: ['sft', 'dpo'], dpo_max_steps: 20, dpo_beta: 0.2 }));
    expect(job).toEqual({ dataset: resolve('ds'), out: resolve('run'), preset: 'cpu-smoke', force: false, stages: ['sft', 'dpo'], dpo: { max_steps: 20, beta: 0.2 } });
    const plain = toTrainJob(TrainFromFilesInput.parse({ dataset: 'ds', out: 'run' }));
    expect(plain).not.toHaveProperty('stages');
    expect(plain).not.toHaveProperty('dpo');
    expect(() => TrainFromFilesInput.parse({ dataset: 'ds', out: 'run', stages: ['dpo', 'sft'] })).toThrow(/stages/);
  });
});
