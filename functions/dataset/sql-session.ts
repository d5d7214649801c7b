/** The two calls the dataset build makes on a DuckDB session (a connection of its own, or the lake's). */
export interface SqlSession {
  run(sql: string): Promise<void>;
  all(sql: string): Promise<Record<string, unknown>[]>;
}

/**
 * The session itself, or with DOUGPT_PROFILE_SQL=1 one that writes each statement's time to stderr.
 *
 * @example
 * const db = profiledWhenAsked(session); // DOUGPT_PROFILE_SQL=1 → "[sql 412 ms, cpu 650 ms] CREATE OR REPLACE TEMP TABLE cand …"
 */
export function profiledWhenAsked(session: SqlSession): SqlSession {
  if (process.env.DOUGPT_PROFILE_SQL !== '1') return session;
  const time = async <T>(sql: string, run: () => Promise<T>): Promise<T> => {
    const t = performance.now();
    const cpu = process.cpuUsage();
    const result = await run();
    const used = process.cpuUsage(cpu);
    // CPU time beside wall time: on a shared machine the wall time says more about the neighbours.
    process.stderr.write(`[sql ${(performance.now() - t).toFixed(0)} ms, cpu ${((used.user + used.system) / 1000).toFixed(0)} ms] ${sql.replace(/\s+/g, ' ').slice(0, 90)}\n`);
    return result;
  };
  return { run: (sql) => time(sql, () => session.run(sql)), all: (sql) => time(sql, () => session.all(sql)) };
}
