import type { Rng } from '../sample/prng.ts';

/**
 * A marked self-exciting (Hawkes) point process with an exponential-mixture kernel:
 *
 *   λ(t) = μ·s(t) + Σ_{t_i < t} Σ_k α[m_i][k] · β_k · exp(−β_k (t − t_i))
 *
 * s(t) is a baseline shape (1 without one; the speech-driven rate with a transcript), β_k fixed
 * decay rates (a grid of time scales), α[m][k] the children a message of mark m has through
 * component k. Marks of new messages are drawn independently with the shares π, so the branching
 * matrix has rank one and the process is stationary iff n = Σ_m π_m Σ_k α[m][k] < 1.
 *
 * With the decays fixed, the log-likelihood is concave in (μ, α) and the EM below (Veen & Schoenberg
 * 2008: each message is the background's or one earlier message's child) climbs to its maximum.
 * Everything here is pure: times in seconds, no I/O, randomness only from the given generator.
 */
export interface HawkesParams {
  /** Background rate, messages per second (× the baseline shape where there is one). */
  mu: number;
  /** Decay rates β_k per second of the kernel's components (each integrates to 1). */
  decays: readonly number[];
  /** alpha[m][k]: expected children of a mark-m message through component k. */
  alpha: readonly (readonly number[])[];
}

export interface MarkedEvent {
  /** Seconds on the stream's timeline. */
  t: number;
  /** Index of the message kind. */
  mark: number;
}

/** A piecewise-constant shape: values[i] holds on [origin + i·step, origin + (i+1)·step); the end values hold beyond. */
export interface Baseline {
  origin: number;
  step: number;
  values: readonly number[];
}

/** A stream's messages (ascending) and the window [from, to) they are observed on; messages before `from` are history. */
export interface EventSequence {
  events: readonly MarkedEvent[];
  from: number;
  to: number;
  baseline?: Baseline | null;
}

export function shapeAt(baseline: Baseline | null | undefined, t: number): number {
  if (!baseline || baseline.values.length === 0) return 1;
  const i = Math.min(baseline.values.length - 1, Math.max(0, Math.floor((t - baseline.origin) / baseline.step)));
  return baseline.values[i] as number;
}

/** ∫_a^b s(t) dt. */
export function shapeIntegral(baseline: Baseline | null | undefined, a: number, b: number): number {
  if (b <= a) return 0;
  if (!baseline || baseline.values.length === 0) return b - a;
  let total = 0;
  let t = a;
  while (t < b) {
    const i = Math.floor((t - baseline.origin) / baseline.step);
    const next = i < 0 ? baseline.origin : i >= baseline.values.length - 1 ? Infinity : baseline.origin + (i + 1) * baseline.step;
    const end = Math.min(b, next > t ? next : t + baseline.step);
    total += shapeAt(baseline, t) * (end - t);
    t = end;
  }
  return total;
}

/** Branching ratio n = Σ_m π_m Σ_k α[m][k]: expected children per message; the process is stationary iff n < 1. */
export function branchingRatio(alpha: readonly (readonly number[])[], shares: readonly number[]): number {
  let n = 0;
  alpha.forEach((row, m) => {
    n += (shares[m] ?? 0) * row.reduce((s, a) => s + a, 0);
  });
  return n;
}

/** Throws when the branching ratio is not below 1 (the process would explode). */
export function assertStationary(alpha: readonly (readonly number[])[], shares: readonly number[]): number {
  const n = branchingRatio(alpha, shares);
  if (!(n < 1)) throw new Error(`pacing: branching ratio ${n.toFixed(4)} ≥ 1: the process is not stationary`);
  return n;
}

/** Sufficient statistics of sequences for fixed decays: everything the likelihood needs. */
export interface HawkesStats {
  marks: number;
  decays: readonly number[];
  /** Messages inside the windows. */
  n: number;
  /** Their marks. */
  eventMarks: Int32Array;
  /** S[i·M·K + m·K + k] = Σ_{j<i, mark m} β_k exp(−β_k (t_i − t_j)): the kernel mass at message i from earlier mark-m messages (row-major, one row per message). */
  S: Float64Array;
  /** Baseline shape at each message. */
  shape: Float64Array;
  /** C[m·K + k] = Σ_{j of mark m} ∫_window β_k exp(−β_k (t − t_j)) dt: the compensator's coefficient of α[m][k]. */
  C: Float64Array;
  /** ∫ s over the windows. */
  shapeMass: number;
  /** Window seconds. */
  seconds: number;
}

/** The statistics of sequences (their windows pooled). */
export function hawkesStats(sequences: readonly EventSequence[], marks: number, decays: readonly number[]): HawkesStats {
  const K = decays.length;
  const inWindow = sequences.reduce((s, q) => s + q.events.filter((e) => e.t >= q.from && e.t < q.to).length, 0);
  const S = new Float64Array(inWindow * marks * K);
  const shape = new Float64Array(inWindow);
  const eventMarks = new Int32Array(inWindow);
  const C = new Float64Array(marks * K);
  let shapeMass = 0;
  let seconds = 0;
  let i = 0;
  for (const q of sequences) {
    if (!(q.to > q.from)) throw new Error(`pacing: empty window [${q.from}, ${q.to})`);
    shapeMass += shapeIntegral(q.baseline, q.from, q.to);
    seconds += q.to - q.from;
    const state = new Float64Array(marks * K);
    let last = -Infinity;
    for (const e of q.events) {
      if (e.t < last) throw new Error('pacing: messages out of order');
      if (e.mark < 0 || e.mark >= marks || !Number.isInteger(e.mark)) throw new Error(`pacing: mark ${e.mark} out of range`);
      if (e.t >= q.to) break;
      if (last > -Infinity) {
        for (let c = 0; c < marks * K; c++) state[c]! *= Math.exp(-(decays[c % K] as number) * (e.t - last));
      }
      last = e.t;
      if (e.t >= q.from) {
        S.set(state, i * marks * K);
        shape[i] = shapeAt(q.baseline, e.t);
        eventMarks[i] = e.mark;
        i++;
      }
      for (let k = 0; k < K; k++) {
        const beta = decays[k] as number;
        state[e.mark * K + k]! += beta;
        C[e.mark * K + k]! += Math.exp(-beta * Math.max(0, q.from - e.t)) - Math.exp(-beta * (q.to - e.t));
      }
    }
  }
  return { marks, decays, n: inWindow, eventMarks, S, shape, C, shapeMass, seconds };
}

/** Log-likelihood of the windows' messages: Σ log λ(t_i) − ∫ λ. */
export function hawkesLoglik(params: HawkesParams, stats: HawkesStats): number {
  const MK = stats.marks * stats.decays.length;
  const a = flatAlpha(params.alpha, stats.marks, stats.decays.length);
  let ll = -params.mu * stats.shapeMass;
  for (let c = 0; c < MK; c++) ll -= (a[c] as number) * (stats.C[c] as number);
  for (let i = 0; i < stats.n; i++) {
    let lambda = params.mu * (stats.shape[i] as number);
    for (let c = 0, o = i * MK; c < MK; c++, o++) lambda += (a[c] as number) * (stats.S[o] as number);
    ll += Math.log(Math.max(lambda, 1e-300));
  }
  return ll;
}

/** alpha[m][k] as one row-major array (missing entries 0). */
function flatAlpha(alpha: readonly (readonly number[])[], marks: number, K: number): Float64Array {
  const a = new Float64Array(marks * K);
  for (let m = 0; m < marks; m++) for (let k = 0; k < K; k++) a[m * K + k] = alpha[m]?.[k] ?? 0;
  return a;
}

export interface EmOptions {
  /** Largest branching ratio allowed; a fit above it is scaled down to it (default 0.95). */
  maxBranching?: number;
  /** Pseudo-parents pulling each mark's α toward the pooled α of its component (default 20): rare marks borrow strength. */
  shrinkParents?: number;
  maxIterations?: number;
  tolerance?: number;
}

export interface EmFit {
  params: HawkesParams;
  loglik: number;
  iterations: number;
  converged: boolean;
  branchingRatio: number;
  /** Whether the unconstrained fit reached maxBranching and was scaled down to it. */
  clipped: boolean;
  /** Mark shares π of the fit's messages. */
  shares: number[];
}

/**
 * Maximum-likelihood (lightly shrunk) μ and α for fixed decays, by EM.
 *
 * @example
 * const fit = fitHawkesEm(hawkesStats([{ events, from: 0, to: 600 }], 4, [1, 0.1]));
 * fit.branchingRatio; // < 1
 */
export function fitHawkesEm(stats: HawkesStats, options: EmOptions = {}): EmFit {
  const K = stats.decays.length;
  const M = stats.marks;
  const maxBranching = options.maxBranching ?? 0.95;
  if (!(maxBranching > 0 && maxBranching < 1)) throw new Error(`pacing: maxBranching must be in (0, 1), got ${maxBranching}`);
  const w = options.shrinkParents ?? 20;
  const maxIterations = options.maxIterations ?? 2000;
  const tolerance = options.tolerance ?? 1e-8;
  if (stats.n === 0) throw new Error('pacing: no messages to fit');
  const counts = new Array<number>(M).fill(0);
  for (let i = 0; i < stats.n; i++) counts[stats.eventMarks[i] as number]!++;
  const shares = counts.map((c) => c / stats.n);

  const MK = M * K;
  let mu = (0.5 * stats.n) / Math.max(stats.shapeMass, 1e-9);
  let alpha = Array.from({ length: M }, () => new Array<number>(K).fill(0.5 / K));
  let loglik = -Infinity;
  let iterations = 0;
  let converged = false;
  let clipped = false;
  const P = new Float64Array(MK);
  while (iterations < maxIterations) {
    iterations++;
    P.fill(0);
    let P0 = 0;
    // The E step computes every λ_i anyway: the log-likelihood of the current parameters comes with it.
    const a = flatAlpha(alpha, M, K);
    let ll = -mu * stats.shapeMass;
    for (let c = 0; c < MK; c++) ll -= (a[c] as number) * (stats.C[c] as number);
    for (let i = 0; i < stats.n; i++) {
      const base = mu * (stats.shape[i] as number);
      const o = i * MK;
      let lambda = base;
      for (let c = 0; c < MK; c++) lambda += (a[c] as number) * (stats.S[o + c] as number);
      ll += Math.log(Math.max(lambda, 1e-300));
      if (!(lambda > 0)) continue;
      P0 += base / lambda;
      for (let c = 0; c < MK; c++) P[c]! += ((a[c] as number) * (stats.S[o + c] as number)) / lambda;
    }
    const gain = ll - loglik;
    loglik = ll;
    if (iterations > 1 && Math.abs(gain) < tolerance * Math.max(1, Math.abs(ll))) {
      converged = true;
      break;
    }
    mu = P0 / Math.max(stats.shapeMass, 1e-12);
    const next = Array.from({ length: M }, () => new Array<number>(K).fill(0));
    for (let k = 0; k < K; k++) {
      let p = 0;
      let c = 0;
      for (let m = 0; m < M; m++) {
        p += P[m * K + k] as number;
        c += stats.C[m * K + k] as number;
      }
      const pooled = c > 0 ? p / c : 0;
      for (let m = 0; m < M; m++) {
        const denominator = (stats.C[m * K + k] as number) + w;
        next[m]![k] = denominator > 0 ? ((P[m * K + k] as number) + w * pooled) / denominator : 0;
      }
    }
    const n = branchingRatio(next, shares);
    clipped = n > maxBranching;
    if (clipped) for (const row of next) for (let k = 0; k < K; k++) row[k]! *= maxBranching / n;
    alpha = next;
  }
  const params = { mu, decays: stats.decays, alpha };
  return { params, loglik: hawkesLoglik(params, stats), iterations, converged, branchingRatio: branchingRatio(alpha, shares), clipped, shares };
}

/** Excitation per component at time t from the messages before it: E_k(t) = Σ α[m_j][k] β_k exp(−β_k (t − t_j)). */
function excitation(params: HawkesParams, events: readonly MarkedEvent[], from: number, t: number, state: Float64Array, last: number): { state: Float64Array; last: number; next: number } {
  let j = from;
  let at = last;
  const K = params.decays.length;
  while (j < events.length && (events[j] as MarkedEvent).t < t) {
    const e = events[j] as MarkedEvent;
    for (let k = 0; k < K; k++) state[k] = (state[k] as number) * Math.exp(-(params.decays[k] as number) * (e.t - at)) + (params.alpha[e.mark]?.[k] ?? 0) * (params.decays[k] as number);
    at = e.t;
    j++;
  }
  for (let k = 0; k < K; k++) state[k] = (state[k] as number) * Math.exp(-(params.decays[k] as number) * (t - at));
  return { state, last: t, next: j };
}

export interface WindowCounts {
  /** Window starts, seconds. */
  starts: number[];
  expected: number[];
  observed: number[];
}

/** Integration step of the expected-count equation, seconds. */
const EXPECTATION_STEP_S = 0.1;

/**
 * For each whole window of [from, to): the count the process expects given every message before
 * the window, and the count seen. Inside the window future messages are unknown, so their marks
 * are averaged with the shares: dE_k/dt = −β_k E_k + β_k n̄_k m(t), m = μ·s + Σ_k E_k.
 */
export function expectedWindowCounts(params: HawkesParams, shares: readonly number[], sequence: EventSequence, windowS: number): WindowCounts {
  const K = params.decays.length;
  const nbar = params.decays.map((_, k) => params.alpha.reduce((s, row, m) => s + (shares[m] ?? 0) * (row[k] ?? 0), 0));
  const out: WindowCounts = { starts: [], expected: [], observed: [] };
  const state = new Float64Array(K);
  let cursor: { state: Float64Array; last: number; next: number } = { state, last: -Infinity, next: 0 };
  const first = sequence.events[0]?.t ?? sequence.from;
  cursor.last = Math.min(first, sequence.from);
  const steps = Math.max(1, Math.round(windowS / EXPECTATION_STEP_S));
  const dt = windowS / steps;
  const decay = params.decays.map((b) => Math.exp(-b * dt));
  for (let a = sequence.from; a + windowS <= sequence.to + 1e-9; a += windowS) {
    cursor = excitation(params, sequence.events, cursor.next, a, cursor.state, cursor.last);
    const e = Float64Array.from(cursor.state);
    let expected = 0;
    for (let s = 0; s < steps; s++) {
      const t = a + (s + 0.5) * dt;
      let m = params.mu * shapeAt(sequence.baseline, t);
      for (let k = 0; k < K; k++) m += e[k] as number;
      expected += m * dt;
      for (let k = 0; k < K; k++) e[k] = (e[k] as number) * (decay[k] as number) + (nbar[k] as number) * m * (1 - (decay[k] as number));
    }
    let observed = 0;
    for (let j = cursor.next; j < sequence.events.length && (sequence.events[j] as MarkedEvent).t < a + windowS; j++) observed++;
    out.starts.push(a);
    out.expected.push(expected);
    out.observed.push(observed);
  }
  return out;
}

export interface ThinningOptions {
  from: number;
  to: number;
  rng: Rng;
  /** Shares of the marks new messages get. */
  shares: readonly number[];
  /** Messages before `from` that excite the start (ascending). */
  history?: readonly MarkedEvent[];
  baseline?: Baseline | null;
  /** Stop after this many messages. */
  maxEvents?: number;
}

/**
 * Draws messages on [from, to) by Ogata's thinning: between messages the excitation only decays,
 * so the intensity at the current time (with the baseline's value up to its next step) bounds it
 * until the next step; a candidate from that bound is kept with probability λ/bound. Every kept
 * message feeds back into the intensity. Same generator state, same messages.
 *
 * @example
 * const events = simulateHawkes(params, { from: 0, to: 600, rng: createRng(1, 'pacing'), shares: [1] });
 */
export function simulateHawkes(params: HawkesParams, options: ThinningOptions): MarkedEvent[] {
  const K = params.decays.length;
  const shareTotal = options.shares.reduce((s, p) => s + p, 0);
  if (!(shareTotal > 0)) throw new Error('pacing: the mark shares are all zero');
  const e = new Float64Array(K);
  let at = options.from;
  for (const h of options.history ?? []) {
    if (h.t >= options.from) break;
    for (let k = 0; k < K; k++) e[k]! += (params.alpha[h.mark]?.[k] ?? 0) * (params.decays[k] as number) * Math.exp(-(params.decays[k] as number) * (options.from - h.t));
  }
  const out: MarkedEvent[] = [];
  const max = options.maxEvents ?? Infinity;
  const b = options.baseline;
  const nextStep = (t: number): number => {
    if (!b || b.values.length === 0) return Infinity;
    const i = Math.floor((t - b.origin) / b.step);
    if (i >= b.values.length - 1) return Infinity;
    return i < 0 ? b.origin : b.origin + (i + 1) * b.step;
  };
  while (at < options.to && out.length < max) {
    const base = params.mu * shapeAt(b, at);
    let bound = base;
    for (let k = 0; k < K; k++) bound += e[k] as number;
    const limit = Math.min(options.to, nextStep(at));
    const wait = bound > 0 ? -Math.log(1 - options.rng.next()) / bound : Infinity;
    const t = at + wait;
    const to = Math.min(t, limit);
    for (let k = 0; k < K; k++) e[k]! *= Math.exp(-(params.decays[k] as number) * (to - at));
    at = to;
    if (t >= limit) continue;
    let lambda = base;
    for (let k = 0; k < K; k++) lambda += e[k] as number;
    if (options.rng.next() * bound > lambda) continue;
    let u = options.rng.next() * shareTotal;
    let mark = 0;
    while (mark < options.shares.length - 1 && u >= (options.shares[mark] as number)) u -= options.shares[mark++] as number;
    out.push({ t, mark });
    for (let k = 0; k < K; k++) e[k]! += (params.alpha[mark]?.[k] ?? 0) * (params.decays[k] as number);
  }
  return out;
}
