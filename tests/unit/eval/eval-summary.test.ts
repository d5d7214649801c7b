import { describe, expect, it } from 'vitest';
import { EvalSummary, metricValue } from '../../../functions/eval/eval-events.ts';
import { toEvalJob, EvaluateAdapterInput } from '../../../functions/eval/evaluate-adapter.ts';
import { formatSummary, listeningLines } from '../../../cli/commands/eval.ts';

const ranking = (r10: number, ci: [number, number] | null) => ({
  r_at_1: r10 / 4, r_at_5: r10 / 2, r_at_10: r10, mrr: r10 / 3, mean_rank: 20.5, n: 8, n_candidates: 100, r_at_10_ci95: ci,
});

const side = (lift: number) => ({
  perplexity: 40.1, perplexity_no_eot: 52.3, contextual_lift: lift, contextual_lift_ci95: [lift - 0.1, lift + 0.1],
  mean_loglik_per_token: -3.7, classifier_accuracy: 0.75, classifier_accuracy_ci95: [0.6, 0.9], toxicity_rate: 0,
  name_leaks: 0, distinct_2: null,
  ranking: ranking(0.375, [0.125, 0.625]), ranking_no_context: ranking(0.125, [0, 0.375]), ranking_pmi: ranking(0.5, [0.25, 0.75]),
});

/** eval.json as gpu-runner/src/dougpt_gpu/evaluate/run.py writes it (the fields the TypeScript side reads). */
function evalJson(): Record<string, unknown> {
  return {
    eval_id: 'eval-0123456789ab', base: side(0.2), adapter: side(0.35), promoted: null,
    real: { emote_rate: 0.5, toxicity_rate: 0, distinct_2: null },
    lift_vs_base: { value: 0.15, ci95: [0.02, 0.28] },
    popularity: { ranking: ranking(0.125, [0, 0.25]) }, random: { ranking: ranking(0.1, [0.1, 0.1]) },
    ranking_candidates: 100,
    gates: {
      passed: false, version: 'dougpt-gates/2', skipped: [], checked: [],
      failures: [{
        gate: 'ranking_needs_context', metric: 'ranking.r_at_10', op: '>=', against: 'self', candidate: 0.375,
        reference: 0.125, limit: 0.175, passed: false, interval: [0.125, 0.625],
        message: 'ranking.r_at_10 0.375 (95% CI [0.125, 0.625]), needs >= 0.175; ranking_no_context.r_at_10 0.125 + 0.05',
      }],
    },
    n_examples: 8, split: 'test', report: '/tmp/r.html', dataset_id: 'ds-1', adapter_path: '/a', adapter_run_id: 'run-1',
    promoted_path: null, base_model: 'smollm2-135m', elapsed_s: 12.5, timings: { base_s: 1 },
  };
}

describe('eval.json with the listening figures', () => {
  it('parses rankings, intervals and the lift over base', () => {
    const summary = EvalSummary.parse(evalJson());
    expect(summary.adapter.ranking?.r_at_10).toBe(0.375);
    expect(summary.adapter.contextual_lift_ci95?.[0]).toBeCloseTo(0.25);
    expect(summary.lift_vs_base).toEqual({ value: 0.15, ci95: [0.02, 0.28] });
    expect(metricValue(summary.adapter, 'perplexity_no_eot')).toBe(52.3);
    // A ranking is not a plain number, a null stays null.
    expect(metricValue(summary.adapter, 'ranking')).toBeNull();
    expect(metricValue(summary.real, 'distinct_2')).toBeNull();
  });

  it('rejects what the Python side never writes', () => {
    const badRecall = evalJson();
    (badRecall.adapter as Record<string, unknown>).ranking = ranking(1.5, null);
    expect(() => EvalSummary.parse(badRecall)).toThrow(/r_at_10/);
    const badInterval = evalJson();
    badInterval.lift_vs_base = { value: 0.1, ci95: [0.1] };
    expect(() => EvalSummary.parse(badInterval)).toThrow(/ci95/);
    const missing = evalJson();
    delete missing.popularity;
    expect(() => EvalSummary.parse(missing)).toThrow(/popularity/);
    const text = evalJson();
    (text.base as Record<string, unknown>).perplexity = '40';
    expect(() => EvalSummary.parse(text)).toThrow(/perplexity/);
  });

  it('prints R@10 with and without the context and the lift over base with its interval', () => {
    const summary = EvalSummary.parse(evalJson());
    const lines = listeningLines(summary);
    expect(lines[0]).toContain('100 candidates');
    const candidate = lines.find((l) => l.trim().startsWith('candidate'));
    expect(candidate).toContain('R@10 0.375 [0.125, 0.625] with context, 0.125 [0.000, 0.375] without');
    expect(lines.join('\n')).toContain('popularity 0.125 [0.000, 0.250], random 0.100 [0.100, 0.100]');
    expect(lines.at(-1)).toContain('lift over base 0.150 [0.020, 0.280] nats/token');
    const table = formatSummary(summary);
    expect(table).toMatch(/perplexity_no_eot\s+52\.30\s+52\.30/);
    expect(table).toContain('ranking_needs_context: ranking.r_at_10 0.375 (95% CI [0.125, 0.625])');
  });

  it('passes ranking_candidates through to the job', () => {
    const job = toEvalJob(EvaluateAdapterInput.parse({ adapter: 'a', dataset: 'd', ranking_candidates: 20 }));
    expect(job.ranking_candidates).toBe(20);
    expect(() => EvaluateAdapterInput.parse({ adapter: 'a', dataset: 'd', ranking_candidates: 1 })).toThrow();
  });
});
