import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRng } from '../../../functions/sample/prng.ts';
import { fitPacingFromFiles, readPacingModel, SimulateInputError } from '../../../functions/simulate/fit-pacing-files.ts';
import { HOLDOUT, isHeldOut, pearson } from '../../../functions/simulate/fit-pacing.ts';
import { expectedRates, PacingModel } from '../../../functions/simulate/pacing-model.ts';
import { fitPoisson } from '../../../functions/simulate/poisson-regression.ts';
import { alignedStreams } from './streams.ts';

const FIXTURES = ['tests/fixtures/dataset/fixture-vod-a.align.json', 'tests/fixtures/dataset/fixture-vod-b.align.json'];
let data: Awaited<ReturnType<typeof alignedStreams>>;

beforeAll(async () => {
  data = await alignedStreams([21, 22, 23]);
}, 120_000);

describe('fitPoisson', () => {
  it('recovers the coefficients of simulated Poisson counts and beats the offset-only model', () => {
    const rng = createRng(5, 'poisson-test');
    const x: number[][] = [];
    const y: number[] = [];
    const offset: number[] = [];
    for (let i = 0; i < 4000; i++) {
      const row = [rng.next(), rng.next() * 2 - 1];
      x.push(row);
      offset.push(Math.log(3));
      y.push(rng.poisson(3 * Math.exp(0.2 + 1.1 * row[0]! - 0.7 * row[1]!)));
    }
    const fit = fitPoisson({ x, y, offset }, { ridge: 0 });
    expect(fit.converged).toBe(true);
    expect(fit.beta[0]).toBeCloseTo(0.2, 1);
    expect(fit.beta[1]).toBeCloseTo(1.1, 1);
    expect(fit.beta[2]).toBeCloseTo(-0.7, 1);
    expect(fit.loglik).toBeGreaterThan(fit.loglikOffsetOnly);
  });
});

describe('held-out blocks', () => {
  it('holds out two 30 s blocks of every ten, the same ones every time', () => {
    const held = Array.from({ length: 1000 }, (_, b) => isHeldOut('v1', b));
    expect(held.filter(Boolean).length).toBe(200);
    for (let cycle = 0; cycle < 100; cycle++) expect(held.slice(cycle * HOLDOUT.cycle_blocks, (cycle + 1) * HOLDOUT.cycle_blocks).filter(Boolean).length).toBe(2);
    expect(Array.from({ length: 1000 }, (_, b) => isHeldOut('v1', b))).toEqual(held);
    expect(Array.from({ length: 1000 }, (_, b) => isHeldOut('v2', b))).not.toEqual(held);
  });

  it('pearson is 1 for a line, null for a constant', () => {
    expect(pearson([1, 2, 3], [2, 4, 6])).toBeCloseTo(1, 12);
    expect(pearson([1, 1, 1], [2, 4, 6])).toBeNull();
  });
});

describe('pacing fit on aligned synthetic streams', () => {
  it('learns that chat answers phrases: better likelihood than a constant rate, in sample and on held-out blocks', async () => {
    const out = join(data.dir, 'pacing.json');
    const model = await fitPacingFromFiles({ pairs: data.streams.map((s) => s.align), out });
    expect(PacingModel.parse(JSON.parse(readFileSync(out, 'utf8')))).toEqual(model);
    expect(model.training.converged).toBe(true);
    expect(model.training.vods.map((v) => v.vod_id).sort()).toEqual(data.streams.map((s) => s.stream.vodId).sort());
    expect(model.training.loglik_per_bin).toBeGreaterThan(model.training.constant_loglik_per_bin);
    // The sample's chat reacts to lines after a 5 s lag (plus up to 2.5 s of typing): the fit finds the lag and the answer.
    expect(model.lag_ms).toBeGreaterThanOrEqual(4500);
    expect(model.lag_ms).toBeLessThanOrEqual(7500);
    expect(model.coefficients.react).toBeGreaterThan(0);
    const e = model.evaluation!;
    expect(e.model.windows).toBeGreaterThanOrEqual(15);
    expect(e.model.loglik_per_bin).toBeGreaterThan(e.constant.loglik_per_bin);
    expect(e.model.mae).toBeLessThan(e.constant.mae);
    expect(e.model.corr).not.toBeNull();
    expect(e.model.corr!).toBeGreaterThan(0);
  });

  it('gives a finite, non-negative rate over a transcript, scaled by rate_scale', async () => {
    const model = await readPacingModel(join(data.dir, 'pacing.json'));
    const phrases = [0, 3000, 4000, 9000, 30_000].map((end_ms, i) => ({ end_ms, tokens: i % 2 ? ['bird'] : ['jump', 'lava'] }));
    const rates = expectedRates(model, phrases, 60_000);
    expect(rates).toHaveLength(60);
    for (const r of rates) expect(Number.isFinite(r) && r >= 0).toBe(true);
    const doubled = expectedRates(model, phrases, 60_000, { rateScale: 2 });
    doubled.forEach((r, i) => expect(r).toBeCloseTo(2 * rates[i]!, 9));
    // Right after a phrase (plus the lag) chat is busier than 20 s into the silence after the last phrase.
    const after = Math.round((9000 + model.lag_ms) / 1000);
    expect(after + 20).toBeLessThan(59);
    expect(rates[after]!).toBeGreaterThan(rates[59]!);
  });

  it('fits the dataset fixtures, whose chat answers every line, far better than a constant', async () => {
    const model = await fitPacingFromFiles({ pairs: FIXTURES });
    expect(model.evaluation!.model.mae).toBeLessThan(model.evaluation!.constant.mae);
    expect(model.training.loglik_per_bin).toBeGreaterThan(model.training.constant_loglik_per_bin);
  });
});

describe('bad input', () => {
  it('names a file that is not align output, and a VOD given twice', async () => {
    const bad = join(data.dir, 'not-align.json');
    writeFileSync(bad, JSON.stringify({ hello: 1 }));
    await expect(fitPacingFromFiles({ pairs: [bad] })).rejects.toThrow(SimulateInputError);
    await expect(fitPacingFromFiles({ pairs: [bad] })).rejects.toThrow(`${bad}: not \`dougpt align\` output`);
    await expect(fitPacingFromFiles({ pairs: [join(data.dir, 'missing.json')] })).rejects.toThrow('cannot read (ENOENT)');
    await expect(fitPacingFromFiles({ pairs: [FIXTURES[0]!, FIXTURES[0]!] })).rejects.toThrow('two alignment files for one VOD (fixture-vod-a)');
  });
});

describe('pacing.json beside a training run', () => {
  it('is fit from the align files a dataset folder was built from, and skipped with a reason otherwise', async () => {
    const { saveRunPacing } = await import('../../../functions/simulate/save-run-pacing.ts');
    const { mkdirSync } = await import('node:fs');
    const { resolve } = await import('node:path');
    // dataset.json's sources as `dougpt dataset build --pairs` records them.
    const dataset = join(data.dir, 'ds');
    mkdirSync(dataset, { recursive: true });
    const sources = FIXTURES.map((path, i) => ({ kind: 'file', id: `sha-${i}`, vod_id: `fixture-vod-${'ab'[i]}`, path: resolve(path) }));
    writeFileSync(join(dataset, 'dataset.json'), JSON.stringify({ dataset_id: 'ds-0', sources }));
    const run = join(data.dir, 'run');
    mkdirSync(run, { recursive: true });
    const saved = await saveRunPacing({ dataset, out: run });
    expect(saved).toEqual({ path: join(run, 'pacing.json') });
    const model = await readPacingModel(join(run, 'pacing.json'));
    expect(model.training.vods.map((v) => v.vod_id).sort()).toEqual(['fixture-vod-a', 'fixture-vod-b']);

    const lakeBuilt = join(data.dir, 'ds-lake');
    mkdirSync(lakeBuilt, { recursive: true });
    writeFileSync(join(lakeBuilt, 'dataset.json'), JSON.stringify({ sources: [{ kind: 'lake', id: 'align-1', vod_id: 'v1' }] }));
    expect(await saveRunPacing({ dataset: lakeBuilt, out: run })).toMatchObject({ skipped: expect.stringContaining('built from the lake') });
  });
});
