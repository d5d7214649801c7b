import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blockSplitMacro, emptySplitReason } from '../../../functions/dataset/block-split.ts';

let instance: DuckDBInstance;
let connection: DuckDBConnection;
const all = async (sql: string) => (await connection.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[];

beforeAll(async () => {
  instance = await DuckDBInstance.create(':memory:');
  connection = await instance.connect();
  await connection.run(blockSplitMacro(10));
});
afterAll(() => {
  connection.closeSync();
  instance.closeSync();
});

const VODS = Array.from({ length: 40 }, (_, i) => `vod-${i}`);

/** The split of every block of each VOD of `n` blocks: one list per VOD. */
async function splitsOf(n: number): Promise<string[][]> {
  const rows = await all(`SELECT v, b, dg_block_split(v, b, ${n}) AS split
    FROM (VALUES ${VODS.map((v) => `('${v}')`).join(', ')}) t(v), range(${n}) r(b) ORDER BY v, b`);
  return VODS.map((v) => rows.filter((r) => r.v === v).map((r) => String(r.split)));
}

const count = (splits: string[], split: string) => splits.filter((s) => s === split).length;

describe('block split (dougpt-split/2)', () => {
  for (const n of [3, 4, 8, 10, 23]) {
    it(`a VOD of ${n} blocks has a validation and a test block; each cycle of 3+ blocks exactly one of each`, async () => {
      for (const blocks of await splitsOf(n)) {
        expect(count(blocks, 'validation')).toBeGreaterThanOrEqual(1);
        expect(count(blocks, 'test')).toBeGreaterThanOrEqual(1);
        for (let start = 0; start < n; start += 10) {
          const cycle = blocks.slice(start, start + 10);
          const heldOut = cycle.length >= 3 ? 1 : 0;
          expect(count(cycle, 'validation')).toBe(heldOut);
          expect(count(cycle, 'test')).toBe(heldOut);
        }
      }
    });
  }

  it('VODs under 3 blocks are all train; the tail of 1–2 blocks after a full cycle is train', async () => {
    for (const n of [1, 2]) for (const blocks of await splitsOf(n)) expect(blocks.every((s) => s === 'train')).toBe(true);
    for (const blocks of await splitsOf(12)) expect(blocks.slice(10)).toEqual(['train', 'train']);
  });

  it('spreads the held-out blocks over the positions, and is the same function on every call', async () => {
    const eight = await splitsOf(8);
    const positions = new Set(eight.map((blocks) => blocks.indexOf('validation')));
    expect(positions.size).toBeGreaterThanOrEqual(5);
    expect(await splitsOf(8)).toEqual(eight);
  });

  it('full cycles keep the blocks rule 1 gave them (rule 1 drew among all 10 positions)', async () => {
    const salt = `'dougpt-split/1'`;
    const hash = (kind: string) => `md5_number(${salt} || '|' || v || '|' || (b // 10)::VARCHAR || '|${kind}')`;
    const rows = await all(`SELECT count(*) AS n FROM (
      SELECT v, b, dg_block_split(v, b, 23) AS now,
        CASE WHEN b % 10 = (${hash('validation')} % 10)::BIGINT THEN 'validation'
             WHEN b % 10 = ((${hash('validation')} % 10)::BIGINT + 1 + (${hash('test')} % 9)::BIGINT) % 10 THEN 'test'
             ELSE 'train' END AS rule1
      FROM (VALUES ${VODS.map((v) => `('${v}')`).join(', ')}) t(v), range(20) r(b)) WHERE now <> rule1`);
    expect(Number(rows[0]?.n)).toBe(0);
  });
});

describe('emptySplitReason', () => {
  const splits = (validation: number, test: number) => ({ train: 40, validation, test });
  it('is null when both held-out splits have examples', () => {
    expect(emptySplitReason({ splitBy: 'block', blockS: 30, vodBlocks: [8], splits: splits(3, 4) })).toBeNull();
  });
  it('names the empty splits, the short VODs and the remedy', () => {
    const reason = emptySplitReason({ splitBy: 'block', blockS: 30, vodBlocks: [2], splits: splits(0, 0) });
    expect(reason).toMatch(/^validation and test splits are empty \(train 40, validation 0, test 0\): 1 of 1 VOD\(s\) under 3 blocks of 30 s/);
    expect(reason).toContain('at least 90 s of aligned speech');
    expect(emptySplitReason({ splitBy: 'block', blockS: 30, vodBlocks: [8], splits: splits(5, 0) })).toMatch(/^test split is empty .*lost all their examples/);
    expect(emptySplitReason({ splitBy: 'vod', blockS: 30, vodBlocks: [1, 1, 1], splits: splits(0, 7) })).toMatch(/^validation split is empty .*3 VOD\(s\).*--split-by block/);
  });
});
