/**
 * Poisson regression with a log link and a per-row offset, fit by Newton–Raphson (IRLS) with a small
 * ridge penalty on the slopes (never on the intercept) and step halving, so every accepted step raises
 * the penalised log-likelihood. Small and dense: a handful of features, up to a few hundred thousand rows.
 *
 * @example
 * const fit = fitPoisson({ x: [[0], [1], [2]], y: [1, 3, 7], offset: [0, 0, 0] });
 * predictRate(fit.beta, [1], 0); // ≈ e^(b0 + b1)
 */
export interface PoissonData {
  /** One row of features per observation (no intercept column: it is added). */
  x: readonly (readonly number[])[];
  /** Observed counts. */
  y: readonly number[];
  /** log of the exposure (e.g. log(base rate × bin length)). */
  offset: readonly number[];
}

export interface PoissonFit {
  /** [intercept, slope of feature 0, slope of feature 1, …]. */
  beta: number[];
  /** Unpenalised log-likelihood of the fit (without the log(y!) term) and of the offset-only model. */
  loglik: number;
  loglikOffsetOnly: number;
  iterations: number;
  converged: boolean;
}

export interface PoissonOptions {
  /** Ridge penalty on the slopes (per observation, scaled by n). */
  ridge?: number;
  maxIterations?: number;
  tolerance?: number;
}

/** λ = exp(intercept + x·slopes + offset). */
export function predictRate(beta: readonly number[], x: readonly number[], offset: number): number {
  let eta = (beta[0] ?? 0) + offset;
  for (let j = 0; j < x.length; j++) eta += (beta[j + 1] ?? 0) * (x[j] as number);
  return Math.exp(Math.min(eta, 50));
}

/** Σ y·log λ − λ (the Poisson log-likelihood without the constant log y!). */
export function poissonLoglik(y: readonly number[], rate: readonly number[]): number {
  let ll = 0;
  for (let i = 0; i < y.length; i++) {
    const lambda = Math.max(rate[i] as number, 1e-12);
    ll += (y[i] as number) * Math.log(lambda) - lambda;
  }
  return ll;
}

function rates(beta: readonly number[], data: PoissonData): number[] {
  return data.x.map((row, i) => predictRate(beta, row, data.offset[i] as number));
}

function penalised(beta: readonly number[], data: PoissonData, ridge: number): number {
  let penalty = 0;
  for (let j = 1; j < beta.length; j++) penalty += (beta[j] as number) ** 2;
  return poissonLoglik(data.y, rates(beta, data)) - 0.5 * ridge * penalty;
}

/** Solves A·v = b for a small symmetric positive-definite A (Gaussian elimination, partial pivoting). */
export function solve(a: number[][], b: number[]): number[] {
  const n = b.length;
  const m = a.map((row, i) => [...row, b[i] as number]);
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(m[r]![col]!) > Math.abs(m[pivot]![col]!)) pivot = r;
    [m[col], m[pivot]] = [m[pivot]!, m[col]!];
    const p = m[col]![col]!;
    if (Math.abs(p) < 1e-12) throw new Error('poisson regression: singular Hessian (a feature is constant or duplicated)');
    for (let r = 0; r < n; r++) {
      if (r === col) continue;
      const f = m[r]![col]! / p;
      if (f === 0) continue;
      for (let c = col; c <= n; c++) m[r]![c]! -= f * m[col]![c]!;
    }
  }
  return m.map((row, i) => row[n]! / row[i]!);
}

export function fitPoisson(data: PoissonData, options: PoissonOptions = {}): PoissonFit {
  const n = data.y.length;
  if (n === 0) throw new Error('poisson regression: no observations');
  if (data.x.length !== n || data.offset.length !== n) throw new Error('poisson regression: x, y and offset differ in length');
  const k = (data.x[0]?.length ?? 0) + 1;
  const ridge = (options.ridge ?? 1e-3) * n;
  const maxIterations = options.maxIterations ?? 50;
  const tolerance = options.tolerance ?? 1e-9;

  // Start at the offset-only model's intercept: log(Σy / Σexp(offset)).
  let sumY = 0;
  let sumExp = 0;
  for (let i = 0; i < n; i++) {
    sumY += data.y[i] as number;
    sumExp += Math.exp(data.offset[i] as number);
  }
  const beta = new Array<number>(k).fill(0);
  beta[0] = Math.log(Math.max(sumY, 1e-9) / sumExp);
  const loglikOffsetOnly = poissonLoglik(data.y, rates(beta, data));

  let current = penalised(beta, data, ridge);
  let iterations = 0;
  let converged = false;
  while (iterations < maxIterations) {
    iterations++;
    const mu = rates(beta, data);
    const grad = new Array<number>(k).fill(0);
    const hess = Array.from({ length: k }, () => new Array<number>(k).fill(0));
    for (let i = 0; i < n; i++) {
      const row = data.x[i] as readonly number[];
      const m = mu[i] as number;
      const r = (data.y[i] as number) - m;
      for (let a = 0; a < k; a++) {
        const xa = a === 0 ? 1 : (row[a - 1] as number);
        grad[a]! += r * xa;
        for (let b = a; b < k; b++) hess[a]![b]! += m * xa * (b === 0 ? 1 : (row[b - 1] as number));
      }
    }
    for (let a = 0; a < k; a++) {
      for (let b = 0; b < a; b++) hess[a]![b] = hess[b]![a]!;
      if (a > 0) {
        grad[a]! -= ridge * beta[a]!;
        hess[a]![a]! += ridge;
      }
    }
    const step = solve(hess, grad);
    let scale = 1;
    let next = current;
    let candidate = beta;
    for (let halving = 0; halving < 30; halving++) {
      candidate = beta.map((b, j) => b + scale * (step[j] as number));
      next = penalised(candidate, data, ridge);
      if (next >= current - 1e-12) break;
      scale /= 2;
    }
    if (!(next >= current - 1e-12)) {
      converged = true;
      break;
    }
    for (let j = 0; j < k; j++) beta[j] = candidate[j] as number;
    const gain = next - current;
    current = next;
    if (gain < tolerance * Math.max(1, Math.abs(current))) {
      converged = true;
      break;
    }
  }
  return { beta, loglik: poissonLoglik(data.y, rates(beta, data)), loglikOffsetOnly, iterations, converged };
}
