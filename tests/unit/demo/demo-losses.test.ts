import { describe, expect, it } from 'vitest';
import { demoLosses, demoLossText } from '../../../cli/demo-losses.ts';
import type { EvalSummary } from '../../../functions/eval/eval-events.ts';

const evaluation = {
  split: 'test',
  n_examples: 51,
  base: { mean_loglik_per_token: -3.4213 },
  adapter: { mean_loglik_per_token: -2.9487 },
} as unknown as EvalSummary;

describe('the demo reports comparable losses', () => {
  it('validation loss of the adapter kept, and base → adapter reply loss on the same held-out examples', () => {
    const runJson = { steps: 60, losses: [{ step: 1, loss: 3.42 }, { step: 60, loss: 4.22 }], loss_first: 3.42, loss_last: 4.22, validation_loss: 2.9132, selection: { selected_step: 40 } };
    const losses = demoLosses(runJson, evaluation);
    expect(losses).toEqual({ validation_loss: 2.9132, selected_step: 40, held_out: { split: 'test', n: 51, base: 3.4213, adapter: 2.9487 } });
    const text = demoLossText(losses);
    expect(text).toBe('validation loss 2.91 (step 40 kept); test reply loss base 3.42 → adapter 2.95 nats/token (51 examples)');
    // The first and last training batches' losses are not what it prints.
    expect(text).not.toContain('4.22');
  });

  it('says n/a for what a run or an evaluation did not measure', () => {
    expect(demoLossText(demoLosses({ steps: 5, validation_loss: null, selection: null }, null))).toBe('validation loss n/a');
    expect(demoLossText(demoLosses({}, null))).toBe('validation loss n/a');
  });
});
