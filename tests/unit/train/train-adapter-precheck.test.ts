import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ObjectStore } from '../../../catalog/object-store.ts';
import { emptyHeldOutReason, trainAdapter, TrainInputError } from '../../../functions/train/train-adapter.ts';

/** A store holding one dataset export (dataset.json only); records every key read. */
function storeWith(datasetJson: unknown, reads: string[]): ObjectStore {
  const key = 'gold/datasets/ds-0a/dataset.json';
  return {
    listKeys: async (prefix: string) => (key.startsWith(prefix) ? [key] : []),
    getToFile: async (k: string, path: string) => {
      reads.push(k);
      writeFileSync(path, JSON.stringify(datasetJson));
    },
  } as unknown as ObjectStore;
}

describe('trainAdapter refuses a dataset without held-out examples before training', () => {
  it('fails with the reason and the remedy, and never starts the train job', async () => {
    const reads: string[] = [];
    let jobs = 0;
    const run = trainAdapter(
      { dataset_id: 'ds-0a', preset: 'cpu-smoke' },
      { store: storeWith({ splits: { train: 9, validation: 0, test: 6 } }, reads), workDir: mkdtempSync(join(tmpdir(), 'dougpt-train-')), mode: 'process', runJob: async () => void jobs++ },
      { heartbeat: () => undefined },
    );
    await expect(run).rejects.toBeInstanceOf(TrainInputError);
    await expect(run).rejects.toThrow(/^dataset ds-0a: validation split is empty \(train 9, validation 0, test 6\): .*rebuild the dataset/);
    expect(reads).toEqual(['gold/datasets/ds-0a/dataset.json']);
    expect(jobs).toBe(0);
  });

  it('names both empty splits; passes a dataset that has both; refuses one without counts', () => {
    expect(emptyHeldOutReason('ds-1', { splits: { train: 5, validation: 0, test: 0 } })).toMatch(/^dataset ds-1: validation and test splits are empty/);
    expect(emptyHeldOutReason('ds-1', { splits: { train: 5, validation: 1, test: 1 } })).toBeNull();
    expect(emptyHeldOutReason('ds-1', {})).toMatch(/no split counts/);
  });
});
