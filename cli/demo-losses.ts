import { z } from 'zod';
import { metricValue, type EvalSummary } from '../functions/eval/eval-events.ts';

/** What the demo reads of a run's `run.json`: the validation loss of the adapter kept and the step it was kept at. */
const RunLosses = z.object({
  steps: z.number().int().nonnegative(),
  validation_loss: z.number().nullable().default(null),
  selection: z.object({ selected_step: z.number().int().nullable() }).nullable().default(null),
});

export interface DemoLosses {
  /** Validation loss of the adapter kept (the split that chose it), nats/token. */
  validation_loss: number | null;
  selected_step: number | null;
  /** Reply loss on the evaluated held-out examples, the same examples for both, nats/token. */
  held_out: { split: string; n: number; base: number | null; adapter: number | null } | null;
}

/**
 * The losses the demo reports: comparable ones only (the first and last training batches are different
 * texts, so their losses are not). The training's validation loss comes from `run.json`; base → adapter
 * is the evaluation's reply loss (−mean log-likelihood per token) on the same held-out examples.
 *
 * @example
 * demoLosses({ steps: 60, validation_loss: 2.9, selection: { selected_step: 40 } }, null);
 * // { validation_loss: 2.9, selected_step: 40, held_out: null }
 */
export function demoLosses(runJson: unknown, evaluation: EvalSummary | null): DemoLosses {
  const run = RunLosses.safeParse(runJson);
  const loss = (side: EvalSummary['base']) => {
    const ll = metricValue(side, 'mean_loglik_per_token');
    return ll === null ? null : -ll;
  };
  return {
    validation_loss: run.success ? run.data.validation_loss : null,
    selected_step: run.success ? (run.data.selection?.selected_step ?? null) : null,
    held_out: evaluation ? { split: evaluation.split, n: evaluation.n_examples, base: loss(evaluation.base), adapter: loss(evaluation.adapter) } : null,
  };
}

/** The demo's loss text: `validation loss 2.91 (step 40 kept); test reply loss base 3.42 → adapter 2.95 nats/token (51 examples)`. */
export function demoLossText(losses: DemoLosses): string {
  const num = (v: number | null) => (v === null ? 'n/a' : v.toFixed(2));
  const kept = losses.selected_step !== null ? ` (step ${losses.selected_step} kept)` : '';
  const held = losses.held_out
    ? `; ${losses.held_out.split} reply loss base ${num(losses.held_out.base)} → adapter ${num(losses.held_out.adapter)} nats/token (${losses.held_out.n} examples)`
    : '';
  return `validation loss ${num(losses.validation_loss)}${kept}${held}`;
}
