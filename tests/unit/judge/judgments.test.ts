import { appendFile, cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Lake, Row } from '../../../catalog/lake.ts';
import { EvalFolderError, loadEvalFolder } from '../../../functions/judge/eval-folder.ts';
import { judgmentId, readJudgments } from '../../../functions/judge/judgments.ts';
import { saveJudgment } from '../../../functions/judge/save-judgment.ts';
import { loadConfig } from '../../../infra/config.ts';
import { REPO_ROOT } from '../../../infra/paths.ts';

const FIXTURE = join(REPO_ROOT, 'tests', 'fixtures', 'judge', 'eval-0a1b2c3d4e5f');

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dougpt-judge-'));
  await cp(FIXTURE, join(dir, 'eval'), { recursive: true });
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('loadEvalFolder', () => {
  it('reads eval.json and samples.jsonl of the fixture', async () => {
    const folder = await loadEvalFolder(join(dir, 'eval'));
    expect(folder.info).toMatchObject({ eval_id: 'eval-0a1b2c3d4e5f', adapter_run_id: 'train-fixture-01', dataset_id: 'dataset-5e6f7a8b9c0d' });
    expect(folder.samples).toHaveLength(10);
    expect(folder.judgmentsPath).toBe(join(dir, 'eval', 'judgments.jsonl'));
  });

  it('names the missing file, the bad line and the field', async () => {
    await expect(loadEvalFolder(dir)).rejects.toMatchObject({ kind: 'missing', path: join(dir, 'eval.json') });
    const samples = join(dir, 'eval', 'samples.jsonl');
    await appendFile(samples, '{"pair_id": "p-x", "vod_id": "v", "offset_ms": 1, "context": "c", "real": "r"}\n');
    const error = await loadEvalFolder(join(dir, 'eval')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EvalFolderError);
    expect((error as EvalFolderError).message).toBe(`${samples}:11: adapter: Invalid input: expected string, received undefined`);
  });

  it('refuses a repeated pair_id: a judgment names its sample by it', async () => {
    const samples = join(dir, 'eval', 'samples.jsonl');
    const first = (await readFile(samples, 'utf8')).split('\n')[0];
    await appendFile(samples, `${first}\n`);
    await expect(loadEvalFolder(join(dir, 'eval'))).rejects.toThrow(/:11: pair_id pair-fx00 repeats/);
  });
});

describe('judgments.jsonl', () => {
  const at = '2025-03-01T12:00:00.000Z';

  it('gives the same judgment the same id, and a later one another', () => {
    const j = { eval_id: 'eval-1', pair_id: 'p1', reviewer: 'ana', judged_at: at };
    expect(judgmentId(j)).toMatch(/^judgment-[0-9a-f]{24}$/);
    expect(judgmentId({ ...j })).toBe(judgmentId(j));
    expect(judgmentId({ ...j, judged_at: '2025-03-01T12:00:00.001Z' })).not.toBe(judgmentId(j));
    expect(judgmentId({ ...j, reviewer: 'bo' })).not.toBe(judgmentId(j));
  });

  it('appends one line per judgment and reads them back; none before the first', async () => {
    const path = join(dir, 'judgments.jsonl');
    expect(await readJudgments(path)).toEqual([]);
    const saved = await saveJudgment({ eval_id: 'eval-1', run_id: null, pair_id: 'p1', picked_real: false, rating: 4, reviewer: 'ana', judged_at: at }, { judgmentsPath: path });
    expect(saved).toEqual({ judgment: expect.objectContaining({ pair_id: 'p1', run_id: null }), lake_rows: null, lake_error: null });
    await saveJudgment({ eval_id: 'eval-1', run_id: 'run-1', pair_id: 'p2', picked_real: true, rating: 1, reviewer: 'ana' }, { judgmentsPath: path });
    const lines = (await readFile(path, 'utf8')).split('\n');
    expect(lines).toHaveLength(3);
    expect(JSON.parse(lines[0]!)).toEqual({
      judgment_id: judgmentId({ eval_id: 'eval-1', pair_id: 'p1', reviewer: 'ana', judged_at: at }),
      eval_id: 'eval-1', run_id: null, pair_id: 'p1', picked_real: false, rating: 4, reviewer: 'ana', judged_at: at,
    });
    expect((await readJudgments(path)).map((j) => j.pair_id)).toEqual(['p1', 'p2']);
  });

  it('refuses a rating outside 1–5 before writing anything', async () => {
    const path = join(dir, 'judgments.jsonl');
    await expect(saveJudgment({ eval_id: 'e', run_id: null, pair_id: 'p1', picked_real: true, rating: 6, reviewer: 'ana' }, { judgmentsPath: path })).rejects.toThrow(/rating/);
    expect(await readJudgments(path)).toEqual([]);
  });

  it('skips a last line cut short by a crash, but refuses a bad line before it', async () => {
    const path = join(dir, 'judgments.jsonl');
    await saveJudgment({ eval_id: 'e', run_id: null, pair_id: 'p1', picked_real: true, rating: 2, reviewer: 'ana' }, { judgmentsPath: path });
    await appendFile(path, '{"judgment_id": "judgment-0');
    expect(await readJudgments(path)).toHaveLength(1);
    await writeFile(path, `{"judgment_id": 1}\n${await readFile(path, 'utf8')}`);
    await expect(readJudgments(path)).rejects.toThrow(/judgments\.jsonl:1: judgment_id/);
  });

  it('with a lake: inserts the row keyed by judgment_id inside a transaction; a failed lake write keeps the line', async () => {
    const path = join(dir, 'judgments.jsonl');
    const statements: string[] = [];
    let fail = false;
    const lake = {
      run: async (sql: string) => void statements.push(sql),
      all: async (sql: string): Promise<Row[]> => {
        statements.push(sql);
        if (fail) throw new Error('catalog down\nstack');
        return [{ Count: '1' }];
      },
      transaction: async <T>(work: () => Promise<T>) => work(),
      close: () => undefined,
    } as unknown as Lake;
    const deps = { judgmentsPath: path, lake: { config: loadConfig({ DOUGPT_HOME: join(dir, 'home') }), openLake: async () => lake, workDir: join(dir, 'work') } };
    const ok = await saveJudgment({ eval_id: 'e', run_id: 'r', pair_id: 'p1', picked_real: true, rating: 2, reviewer: 'ana' }, deps);
    expect(ok.lake_rows).toBe(1);
    // writeLake also reads the session's request log (its commit check); the one write is the keyed insert.
    const writes = statements.filter((sql) => !/enable_logging|duckdb_logs/.test(sql));
    expect(writes).toHaveLength(1);
    expect(writes[0]).toMatch(/^INSERT INTO lake\.gold\.eval_judgments SELECT .*"judgment_id".*WHERE NOT EXISTS .*t\."judgment_id" IS NOT DISTINCT FROM src\."judgment_id"/s);
    fail = true;
    const failed = await saveJudgment({ eval_id: 'e', run_id: 'r', pair_id: 'p2', picked_real: false, rating: 5, reviewer: 'ana' }, deps);
    expect(failed).toMatchObject({ lake_rows: null, lake_error: 'catalog down' });
    expect((await readJudgments(path)).map((j) => j.pair_id)).toEqual(['p1', 'p2']);
  });
});

