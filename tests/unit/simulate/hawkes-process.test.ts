import { describe, expect, it } from 'vitest';
import { createRng } from '../../../functions/sample/prng.ts';
import {
  assertStationary,
  branchingRatio,
  expectedWindowCounts,
  fitHawkesEm,
  hawkesLoglik,
  hawkesStats,
  shapeIntegral,
  simulateHawkes,
  type HawkesParams,
} from '../../../functions/simulate/hawkes-process.ts';

describe('hawkesLoglik', () => {
  it('matches the hand-computed log-likelihood of two messages', () => {
    const params: HawkesParams = { mu: 0.5, decays: [1], alpha: [[0.5]] };
    const stats = hawkesStats([{ events: [{ t: 1, mark: 0 }, { t: 2, mark: 0 }], from: 0, to: 3 }], 1, [1]);
    const expected = Math.log(0.5) + Math.log(0.5 + 0.5 * Math.exp(-1)) - (0.5 * 3 + 0.5 * (1 - Math.exp(-2)) + 0.5 * (1 - Math.exp(-1)));
    expect(hawkesLoglik(params, stats)).toBeCloseTo(expected, 12);
  });

  it('counts history before the window in the intensity, not in the likelihood', () => {
    const params: HawkesParams = { mu: 0.5, decays: [2], alpha: [[0.4]] };
    const stats = hawkesStats([{ events: [{ t: 1, mark: 0 }, { t: 2, mark: 0 }], from: 1.5, to: 3 }], 1, [2]);
    const lambda = 0.5 + 0.4 * 2 * Math.exp(-2);
    const compensator = 0.5 * 1.5 + 0.4 * (Math.exp(-2 * 0.5) - Math.exp(-2 * 2)) + 0.4 * (1 - Math.exp(-2 * 1));
    expect(hawkesLoglik(params, stats)).toBeCloseTo(Math.log(lambda) - compensator, 12);
  });

  it('integrates a piecewise-constant baseline', () => {
    expect(shapeIntegral({ origin: 0, step: 1, values: [1, 3] }, 0.5, 4)).toBeCloseTo(0.5 + 3 * 3, 12);
    expect(shapeIntegral(null, 2, 5)).toBe(3);
  });
});

describe('fitHawkesEm', () => {
  const truth: HawkesParams = { mu: 0.4, decays: [1, 0.05], alpha: [[0.3, 0.1], [0.1, 0.3]] };
  const shares = [0.7, 0.3];

  it('recovers the parameters of a simulated process (seeded)', () => {
    const events = simulateHawkes(truth, { from: 0, to: 8000, rng: createRng(7, 'em-test'), shares });
    const fit = fitHawkesEm(hawkesStats([{ events, from: 0, to: 8000 }], 2, truth.decays), { shrinkParents: 0 });
    expect(fit.converged).toBe(true);
    expect(fit.params.mu).toBeGreaterThan(0.3);
    expect(fit.params.mu).toBeLessThan(0.5);
    fit.params.alpha.forEach((row, m) => row.forEach((a, k) => expect(Math.abs(a - truth.alpha[m]![k]!)).toBeLessThan(0.08)));
    expect(fit.branchingRatio).toBeCloseTo(branchingRatio(truth.alpha, shares), 1);
    expect(fit.clipped).toBe(false);
    const atTruth = hawkesLoglik(truth, hawkesStats([{ events, from: 0, to: 8000 }], 2, truth.decays));
    expect(fit.loglik).toBeGreaterThanOrEqual(atTruth);
  });

  it('clips a branching ratio above the limit, and the stationarity check refuses n ≥ 1', () => {
    const events = simulateHawkes(truth, { from: 0, to: 3000, rng: createRng(8, 'em-test'), shares });
    const fit = fitHawkesEm(hawkesStats([{ events, from: 0, to: 3000 }], 2, truth.decays), { maxBranching: 0.3 });
    expect(fit.clipped).toBe(true);
    expect(fit.branchingRatio).toBeLessThanOrEqual(0.3 + 1e-9);
    expect(() => assertStationary([[0.6, 0.5]], [1])).toThrow(/branching ratio 1\.1000 ≥ 1/);
    expect(assertStationary([[0.6, 0.3]], [1])).toBeCloseTo(0.9, 12);
    expect(() => fitHawkesEm(hawkesStats([{ events, from: 0, to: 3000 }], 2, truth.decays), { maxBranching: 1 })).toThrow(/maxBranching/);
  });
});

describe('simulateHawkes (Ogata thinning)', () => {
  const params: HawkesParams = { mu: 1, decays: [2, 0.2], alpha: [[0.3, 0.2], [0.5, 0.2]] };

  it('is reproducible from the seed, and its rate is μ / (1 − n)', () => {
    const a = simulateHawkes(params, { from: 0, to: 4000, rng: createRng(3, 'x'), shares: [0.5, 0.5] });
    const b = simulateHawkes(params, { from: 0, to: 4000, rng: createRng(3, 'x'), shares: [0.5, 0.5] });
    const c = simulateHawkes(params, { from: 0, to: 4000, rng: createRng(4, 'x'), shares: [0.5, 0.5] });
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    const n = branchingRatio(params.alpha, [0.5, 0.5]);
    expect(a.length / 4000).toBeGreaterThan((0.85 * 1) / (1 - n));
    expect(a.length / 4000).toBeLessThan((1.15 * 1) / (1 - n));
    expect(a.every((e, i) => i === 0 || e.t >= a[i - 1]!.t)).toBe(true);
  });

  it('follows the baseline and is excited by the history it is given', () => {
    const quiet: HawkesParams = { mu: 0.1, decays: [0.5], alpha: [[0.5]] };
    const rng = () => createRng(11, 'hist');
    const alone = simulateHawkes(quiet, { from: 100, to: 110, rng: rng(), shares: [1] });
    const history = Array.from({ length: 40 }, (_, i) => ({ t: 99 + i / 40, mark: 0 }));
    const excited = simulateHawkes(quiet, { from: 100, to: 110, rng: rng(), shares: [1], history });
    expect(excited.length).toBeGreaterThan(alone.length + 5);
    const shaped = simulateHawkes({ mu: 2, decays: [1], alpha: [[0]] }, { from: 0, to: 400, rng: rng(), shares: [1], baseline: { origin: 0, step: 200, values: [0, 1] } });
    expect(shaped.every((e) => e.t >= 200)).toBe(true);
    expect(shaped.length).toBeGreaterThan(300);
  });

  it('expects per window what it draws on average', () => {
    const events = simulateHawkes(params, { from: 0, to: 3000, rng: createRng(5, 'w'), shares: [0.5, 0.5] });
    const w = expectedWindowCounts(params, [0.5, 0.5], { events, from: 1000, to: 3000 }, 10);
    expect(w.expected).toHaveLength(200);
    const sum = (xs: number[]) => xs.reduce((s, x) => s + x, 0);
    expect(sum(w.observed)).toBe(events.filter((e) => e.t >= 1000 && e.t < 3000).length);
    expect(sum(w.expected) / sum(w.observed)).toBeGreaterThan(0.85);
    expect(sum(w.expected) / sum(w.observed)).toBeLessThan(1.15);
  });
});
