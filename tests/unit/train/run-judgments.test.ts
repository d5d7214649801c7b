import { copyFileSync, existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertNew } from '../../../catalog/insert-new.ts';
import type { ObjectStore } from '../../../catalog/object-store.ts';
import { evalJudgments } from '../../../catalog/tables.ts';
import { writeLake } from '../../../catalog/write-lake.ts';
import { readJudgments } from '../../../functions/judge/judgments.ts';
import { evaluateRun } from '../../../functions/train/evaluate-run.ts';
import { stageRunJudgments } from '../../../functions/train/stage-run-judgments.ts';
import { memoryLakeDeps, type MemoryLakeDeps } from '../align/memory-lake.ts';

const RUN = '0123456789abcdef';
let deps: MemoryLakeDeps;

/** An object store over a folder: the calls stageRunJudgments and evaluateRun make. */
function folderStore(root: string): ObjectStore {
  const walk = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? walk(join(dir, n)) : [join(dir, n)])) : []);
  return {
    bucket: 'folder',
    uri: (key: string) => join(root, key),
    putFileOnce: async (key: string, path: string) => {
      if (existsSync(join(root, key))) return false;
      mkdirSync(dirname(join(root, key)), { recursive: true });
      copyFileSync(path, join(root, key));
      return true;
    },
    getToFile: async (key: string, path: string) => copyFileSync(join(root, key), path),
    listKeys: async (prefix: string) => walk(root).map((f) => relative(root, f)).filter((k) => k.startsWith(prefix)).sort(),
  } as unknown as ObjectStore;
}

const judgment = (n: number, run: string, picked: boolean) =>
  `SELECT 'judgment-${String(n).padStart(24, '0')}' judgment_id, 'eval-00000000000${n}' eval_id, '${run}' run_id, 'pair-${n}' pair_id, ` +
  `${picked} picked_real, ${n} rating, 'ana' reviewer, TIMESTAMPTZ '2026-01-0${n} 10:00:00+00' judged_at`;

beforeAll(async () => {
  deps = await memoryLakeDeps();
  deps.store = folderStore(join(deps.root, 'objects'));
});
afterAll(() => deps?.dispose());

describe('the trainAdapter path reads the judgments `dougpt judge --lake` writes', () => {
  it('a run no one has judged stages nothing', async () => {
    expect(await stageRunJudgments({ run_id: RUN }, deps)).toEqual({ key: null, judgments: 0 });
  });

  it('stages the run\'s rows of gold.eval_judgments as judgments.jsonl lines, and the eval job\'s own summary counts them', async () => {
    await writeLake(deps, (lake) => insertNew(lake, evalJudgments, [judgment(1, RUN, true), judgment(2, RUN, false), judgment(3, 'fedcba9876543210', true)].join(' UNION ALL ')));
    const staged = await stageRunJudgments({ run_id: RUN }, deps);
    expect(staged.judgments).toBe(2);
    expect(staged.key).toMatch(new RegExp(`^gold/adapters/${RUN}/judgments/[0-9a-f]{64}\\.jsonl$`));
    const lines = await readJudgments(deps.store.uri(staged.key!));
    expect(lines.map((j) => [j.pair_id, j.picked_real, j.rating, j.judged_at])).toEqual([['pair-1', true, 1, '2026-01-01T10:00:00.000Z'], ['pair-2', false, 2, '2026-01-02T10:00:00.000Z']]);
    // Same rows, same object.
    expect(await stageRunJudgments({ run_id: RUN }, deps)).toEqual(staged);

    // evaluateRun puts them beside the new evaluation's folder, where the eval job's summarize_judgments looks.
    for (const [key, text] of [[`gold/adapters/${RUN}/adapter/adapter_config.json`, '{}'], ['gold/datasets/ds-0a/dataset.json', '{}']] as const) {
      mkdirSync(dirname(join(deps.root, 'objects', key)), { recursive: true });
      writeFileSync(join(deps.root, 'objects', key), text);
    }
    let summary: unknown = null;
    const run = evaluateRun({ run_id: RUN, dataset_id: 'ds-0a', judgments_key: staged.key }, {
      store: deps.store, workDir: deps.workDir, mode: 'process',
      runJob: async ({ input }) => {
        const out = String(input.out);
        const py = 'import json, sys; from pathlib import Path; from dougpt_gpu.evaluate.judgments import summarize_judgments; print(json.dumps(summarize_judgments(Path(sys.argv[1]))))';
        summary = JSON.parse((await execa('.venv/bin/python', ['-c', py, out], { env: { PYTHONPATH: 'gpu-runner/src' } })).stdout);
        throw new Error('stop: the job itself is not under test');
      },
    });
    await expect(run).rejects.toThrow('stop: the job itself is not under test');
    expect(summary).toEqual({ judged: 2, correct_share: 0.5, mean_rating: 1.5, evals: ['eval-000000000001', 'eval-000000000002'] });
  });
});
