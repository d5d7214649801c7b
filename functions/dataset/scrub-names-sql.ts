import { sqlString } from '../../catalog/lake.ts';
import type { SqlSession } from './sql-session.ts';
import type { NameRules } from './scrub-names.ts';

/** A maximal ASCII word run that could be a distinctive login: ≥ 6 characters, or one with a digit or underscore. */
const CANDIDATE_RUN = '[A-Za-z0-9_]{6,}|[A-Za-z0-9_]*[0-9_][A-Za-z0-9_]*';
/** Splits a text into `@word` / word runs (what the scrubber's ASCII pass looks at) and everything between. */
const ASCII_PIECES = '@?[A-Za-z0-9_]+|[^A-Za-z0-9_@]+|@';
/** Splits a text into Unicode `@mentions` and everything between. */
const MENTION_PIECES = '@[\\pL\\pN_]+|[^@]+|@';

/**
 * Viewer-name scrubbing in DuckDB, the same rules as `createNameScrubber` (scrub-names.ts) with the
 * same result for every text (a unit test holds the two side by side).
 *
 * For each of `tables`, reads `input` (`k BIGINT, t VARCHAR`, `k` unique) and creates the table
 * `output` (`k`, `t` scrubbed).
 * Most texts hold no name: one join of their candidate word runs against the logins finds those that
 * do, and only those and the texts with an `@` are taken apart and put back together.
 *
 * @example
 * await scrubNamesSql(session, nameRules(logins, options), [{ input: 'texts', output: 'texts_scrubbed' }]);
 */
export async function scrubNamesSql(session: SqlSession, rules: NameRules, tables: ReadonlyArray<{ input: string; output: string }>): Promise<void> {
  const placeholder = sqlString(rules.placeholder);
  const streamer = `[${[...rules.streamer].map(sqlString).join(', ')}]::VARCHAR[]`;
  await session.run(`CREATE OR REPLACE TEMP MACRO dg_scrub_ascii(t, hits) AS
    array_to_string(list_transform(regexp_extract_all(t, '${ASCII_PIECES}'), r ->
      CASE
        WHEN NOT regexp_full_match(r, '@?[A-Za-z0-9_]+') THEN r
        WHEN list_contains(${streamer}, lower(ltrim(r, '@'))) THEN r
        WHEN starts_with(r, '@') OR list_contains(hits, lower(r)) THEN ${placeholder}
        ELSE r
      END), '')`);
  // Mentions of non-ASCII display names, only where the text has an `@` and a non-ASCII character.
  await session.run(`CREATE OR REPLACE TEMP MACRO dg_scrub_mentions(a) AS
    CASE
      WHEN NOT contains(a, '@') OR NOT regexp_matches(a, '[^\\x00-\\x7F]') THEN a
      ELSE array_to_string(list_transform(regexp_extract_all(a, '${MENTION_PIECES}'), r ->
        CASE
          WHEN r = ${placeholder} OR NOT regexp_full_match(r, '${MENTION_PIECES.split('|')[0]}') OR list_contains(${streamer}, lower(substr(r, 2))) THEN r
          ELSE ${placeholder}
        END), '')
    END`);
  await session.run(`CREATE OR REPLACE TEMP TABLE dg_bare_logins (login VARCHAR)`);
  const bare = [...rules.bare];
  for (let i = 0; i < bare.length; i += 5000) {
    await session.run(`INSERT INTO dg_bare_logins VALUES ${bare.slice(i, i + 5000).map((l) => `(${sqlString(l)})`).join(', ')}`);
  }
  for (const { input, output } of tables) {
    await session.run(`CREATE OR REPLACE TEMP TABLE dg_name_hits AS
      SELECT w.k, list(DISTINCT b.login) AS hits
      FROM (SELECT k, unnest(regexp_extract_all(t, '${CANDIDATE_RUN}')) AS run FROM ${input}) w
      JOIN dg_bare_logins b ON b.login = lower(w.run)
      GROUP BY w.k`);
    await session.run(`CREATE OR REPLACE TEMP TABLE ${output} AS
      SELECT i.k,
        CASE WHEN h.k IS NULL AND NOT contains(i.t, '@') THEN i.t ELSE dg_scrub_mentions(dg_scrub_ascii(i.t, coalesce(h.hits, []::VARCHAR[]))) END AS t
      FROM ${input} i LEFT JOIN dg_name_hits h ON h.k = i.k`);
    await session.run('DROP TABLE dg_name_hits');
  }
  await session.run('DROP TABLE dg_bare_logins');
}
