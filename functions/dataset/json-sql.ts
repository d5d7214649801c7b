import type { SqlSession } from './sql-session.ts';

/**
 * JSON text built in DuckDB, byte for byte as `JSON.stringify` writes it, so the dataset export can
 * assemble its lines in SQL and write them with `COPY` instead of passing every row through JavaScript.
 *
 * `JSON.stringify` escapes a string's `"` and `\`, writes `\b \t \n \f \r` and every other control
 * character as `\u00xx` (lower-case hex), and nothing else (DuckDB strings are valid UTF-8: no lone
 * surrogates). Numbers are the shortest round-trip digits, integers without `.0`, exponents with a sign.
 * DuckDB's `to_json` agrees on the digits but writes `1.0`, `1e21` and upper-case hex, hence these macros.
 */
const SHORT_ESCAPES: Record<number, string> = { 8: '\\b', 9: '\\t', 10: '\\n', 12: '\\f', 13: '\\r' };

/** `replace(…)` calls turning each control character into its escape; run only on the rare strings that hold one. */
function controlEscapes(inner: string): string {
  let sql = inner;
  for (let code = 0; code < 0x20; code++) {
    const escaped = SHORT_ESCAPES[code] ?? `\\u${code.toString(16).padStart(4, '0')}`;
    sql = `replace(${sql}, chr(${code}), '${escaped}')`;
  }
  return sql;
}

/**
 * Defines, in the session, `dg_json_str(VARCHAR)`, `dg_json_num(DOUBLE)` and `dg_json_int(BIGINT)`:
 * the JSON text of a value (`null` for NULL), as `JSON.stringify` gives it for the value JavaScript
 * reads (`Number(bigint)` for BIGINT, `null` for NaN and infinities).
 *
 * @example
 * await defineJsonMacros(session);
 * await session.all(`SELECT dg_json_str('say "hi"') AS s, dg_json_num(1.0) AS n`); // [{ s: '"say \\"hi\\""', n: '1' }]
 */
export async function defineJsonMacros(session: SqlSession): Promise<void> {
  const quoted = `replace(replace(s, '\\', '\\\\'), '"', '\\"')`;
  // to_json writes what JSON.stringify writes but for the hex case of \u00xx escapes: strings whose
  // JSON holds one (rare: a control character, or the text `\u00` itself) are escaped by hand.
  await session.run(`CREATE OR REPLACE TEMP MACRO dg_json_str(s) AS
    CASE
      WHEN s IS NULL THEN 'null'
      WHEN contains(CAST(to_json(s) AS VARCHAR), '\\u00') THEN '"' || ${controlEscapes(quoted)} || '"'
      ELSE CAST(to_json(s) AS VARCHAR)
    END`);
  // Integers below 2^53 print as themselves; beyond, to_json's shortest digits less its `.0`, and `e+` as JavaScript writes it.
  await session.run(`CREATE OR REPLACE TEMP MACRO dg_json_num(d) AS
    CASE
      WHEN d IS NULL OR isnan(d) OR isinf(d) THEN 'null'
      WHEN d = trunc(d) AND abs(d) < 9007199254740992 THEN CAST(CAST(d AS BIGINT) AS VARCHAR)
      ELSE regexp_replace(regexp_replace(CAST(to_json(CAST(d AS DOUBLE)) AS VARCHAR), '\\.0$', ''), 'e([0-9])', 'e+\\1')
    END`);
  await session.run(`CREATE OR REPLACE TEMP MACRO dg_json_int(v) AS
    CASE
      WHEN v IS NULL THEN 'null'
      WHEN v BETWEEN -9007199254740992 AND 9007199254740992 THEN CAST(v AS VARCHAR)
      ELSE dg_json_num(CAST(v AS DOUBLE))
    END`);
}
