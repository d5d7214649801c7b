import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineJsonMacros } from '../../../functions/dataset/json-sql.ts';
import type { SqlSession } from '../../../functions/dataset/sql-session.ts';
import { defineRenderContext } from '../../../functions/dataset/export-dataset.ts';
import { createNameScrubber, nameRules } from '../../../functions/dataset/scrub-names.ts';
import { loadPromptSpec, renderContext } from '../../../functions/prompt/prompt-spec.ts';
import { scrubNamesSql } from '../../../functions/dataset/scrub-names-sql.ts';
import { createRng } from '../../../functions/sample/prng.ts';

/** The export builds its JSON and scrubs names in DuckDB: these hold it to JSON.stringify and the TS scrubber. */
let instance: DuckDBInstance;
let connection: DuckDBConnection;
let session: SqlSession;

beforeAll(async () => {
  instance = await DuckDBInstance.create(':memory:');
  connection = await instance.connect();
  session = {
    run: async (sql) => void (await connection.run(sql)),
    all: async (sql) => (await connection.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[],
  };
  await defineJsonMacros(session);
});
afterAll(() => {
  connection.closeSync();
  instance.closeSync();
});

/** Loads strings into a table `(k, t)` through a parameter, so no quoting of the test's own can hide a difference. */
async function loadTexts(table: string, texts: readonly string[]): Promise<void> {
  await session.run(`CREATE OR REPLACE TEMP TABLE ${table} (k BIGINT, t VARCHAR)`);
  const appender = await connection.createAppender(table);
  texts.forEach((t, k) => {
    appender.appendBigInt(BigInt(k));
    appender.appendVarchar(t);
    appender.endRow();
  });
  appender.closeSync();
}

const PIECES = ['@', '@Kleeble', 'kleeble', 'KLEEBLE', 'quack_001', 'bob', '@bob', 'dougdoug', '@DougDoug', '@dougdougw', 'LUL', 'a', '_',
  'x1', 'general', 'é', 'ü', '日本語', '@日本語', '@Zoë', 'naïve', '😀', '@😀', '\u200d', ' ', '  ', '\t', '\n', '\r\n', '\u00a0', '\u2028', '\u3000',
  '\ufeff', '\u000b', '\u0001', '\u001f', '\u007f', '"', '\\', '/', ',', '!', '.', '@@', 'K', 'İ', '@viewer', '@viewerX', '123', 'lol'];

function randomTexts(n: number, seed: number): string[] {
  const rng = createRng(seed, 'sql-parity');
  return Array.from({ length: n }, () => Array.from({ length: rng.int(0, 12) }, () => PIECES[rng.int(0, PIECES.length - 1)]).join(rng.chance(0.5) ? '' : ' '));
}

describe('JSON text from DuckDB', () => {
  it('writes strings exactly as JSON.stringify does', async () => {
    const texts = [...randomTexts(3000, 1), '', ...Array.from({ length: 32 }, (_, c) => `c${String.fromCharCode(c)}d`)];
    await loadTexts('json_texts', texts);
    const rows = await session.all(`SELECT k, dg_json_str(t) AS j FROM json_texts ORDER BY k`);
    const mismatches = rows.filter((r) => r.j !== JSON.stringify(texts[Number(r.k)]));
    expect(mismatches.slice(0, 3)).toEqual([]);
    expect(rows).toHaveLength(texts.length);
    expect((await session.all(`SELECT dg_json_str(NULL) AS j`))[0]?.j).toBe('null');
  });

  it('writes numbers exactly as JSON.stringify does for the value JavaScript reads', async () => {
    const rng = createRng(7, 'numbers');
    const doubles = [0, -0, 1, 0.05, 0.1 + 0.2, 1e-7, 1e-6, 1.5e-6, 2 ** 53, 2 ** 53 + 2, 1e20, 1e21, 1.2345e25, 5e-324, 1.7976931348623157e308, -3.5];
    for (let e = -10; e <= 24; e++) for (let i = 0; i < 40; i++) doubles.push(rng.float(-10, 10) * 10 ** e);
    for (let i = 0; i < 500; i++) doubles.push(rng.next());
    const list = `[${doubles.map((d) => (Object.is(d, -0) ? '-0.0' : d.toExponential(20))).join(', ')}]::DOUBLE[]`;
    const rows = await session.all(`SELECT i, dg_json_num((${list})[i]) AS j FROM range(1, ${doubles.length + 1}) r(i) ORDER BY i`);
    const mismatches = rows.filter((r) => r.j !== JSON.stringify(doubles[Number(r.i) - 1]));
    expect(mismatches.slice(0, 3)).toEqual([]);
    const special = await session.all(`SELECT dg_json_num('nan'::DOUBLE) AS a, dg_json_num('inf'::DOUBLE) AS b, dg_json_num(NULL::DOUBLE) AS c`);
    expect(special[0]).toEqual({ a: 'null', b: 'null', c: 'null' });
    const ints = [0n, -1n, 9007199254740993n, -9223372036854775808n, 9223372036854775807n, 1234567890123456789n];
    const intRows = await session.all(`SELECT i, dg_json_int(([${ints.join(', ')}]::BIGINT[])[i]) AS j FROM range(1, ${ints.length + 1}) r(i) ORDER BY i`);
    for (const r of intRows) expect(r.j).toBe(JSON.stringify(Number(ints[Number(r.i) - 1])));
  });
});

describe('viewer-name scrubbing in DuckDB', () => {
  const logins = ['Kleeble', 'quack_001', 'bob', 'LUL', 'general', 'dougdoug', 'x1', 'viewer'];
  const options = { placeholder: '@viewer', streamerNames: ['dougdoug', 'dougdougw'], emoteNames: new Set(['LUL']) };

  it('gives what createNameScrubber gives, for every text', async () => {
    const scrubber = createNameScrubber(logins, options);
    const texts = [
      '@Kleeble lol quack_001 said hi to @DougDoug', 'thanks kleeble for the sub LUL', '@someone_not_in_chat hi', 'bob is here',
      '@日本語ユーザー おはよう kleeble', 'naïve café @Zoë!', 'a@kleeble', 'kleeble@', '@@kleeble', '', ...randomTexts(4000, 2),
    ];
    await loadTexts('scrub_in', texts);
    await scrubNamesSql(session, nameRules(logins, options), [{ input: 'scrub_in', output: 'scrub_out' }]);
    // Read back inside brackets: the client drops a leading byte-order mark of a result string, DuckDB keeps it.
    const rows = (await session.all(`SELECT k, '<' || t || '>' AS t FROM scrub_out ORDER BY k`)).map((r) => ({ k: r.k, t: String(r.t).slice(1, -1) }));
    expect(rows).toHaveLength(texts.length);
    const mismatches = rows.filter((r) => r.t !== scrubber.scrub(texts[Number(r.k)] as string)).map((r) => ({ text: texts[Number(r.k)], sql: r.t }));
    expect(mismatches.slice(0, 3)).toEqual([]);
    expect(rows[0]?.t).toBe('@viewer lol @viewer said hi to @DougDoug');
  });
});

describe('prompt context rendered in DuckDB', () => {
  it('gives what renderContext gives: whitespace as JavaScript sees it, the last max_words words, the empty text', async () => {
    const { spec } = loadPromptSpec();
    const small = { ...spec, context: { ...spec.context, max_words: 5 } };
    const texts = ['', '   ', 'one', ' a  b\tc\n', 'x\u00a0y\u3000z\ufeffw\u000bv\u2028u', 'a b c d e', 'a b c d e f g', ...randomTexts(3000, 3)];
    await loadTexts('ctx_in', texts);
    for (const s of [spec, small]) {
      await defineRenderContext(session, s);
      const rows = (await session.all(`SELECT k, '<' || dg_render_context(t) || '>' AS t FROM ctx_in ORDER BY k`)).map((r) => ({ k: Number(r.k), t: String(r.t).slice(1, -1) }));
      expect(rows).toHaveLength(texts.length);
      expect(rows.filter((r) => r.t !== renderContext(s, texts[r.k] as string)).slice(0, 3)).toEqual([]);
    }
  });
});
