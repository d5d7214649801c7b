import { describe, expect, it } from 'vitest';
import { openLake } from '../../catalog/lake.ts';
import { writeLake } from '../../catalog/write-lake.ts';
import { config } from './stack.ts';

/**
 * DuckDB's Iceberg writer with the local REST catalog can lose one of two concurrent commits to the
 * same table; every lake write therefore goes through `writeLake`. This is the regression test.
 */
describe('concurrent lake writes', () => {
  it('six writers committing at once through writeLake all land', async () => {
    const deps = { config, openLake: () => openLake(config) };
    const table = `lake.meta.concurrency_${Date.now()}`;
    await writeLake(deps, (lake) => lake.run(`CREATE TABLE ${table} (writer INTEGER, i INTEGER)`));
    await Promise.all(
      Array.from({ length: 6 }, (_, writer) =>
        writeLake(deps, (lake) => lake.run(`INSERT INTO ${table} SELECT ${writer}, range FROM range(10)`)),
      ),
    );
    const reader = await openLake(config);
    try {
      const rows = await reader.all(`SELECT writer, count(*) n FROM ${table} GROUP BY writer ORDER BY writer`);
      expect(rows.map((r) => [Number(r.writer), Number(r.n)])).toEqual([0, 1, 2, 3, 4, 5].map((w) => [w, 10]));
    } finally {
      reader.close();
    }
  });
});
