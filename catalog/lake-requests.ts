import type { Lake } from './lake.ts';

/** One HTTP request a DuckDB session made (to the REST catalog or the object store). */
export interface LakeRequest {
  method: string;
  url: string;
}

/**
 * Makes the session record its HTTP requests (DuckDB's own `HTTP` log, kept in memory), so a writer
 * can learn afterwards which tables its transaction loaded and which snapshot files it uploaded:
 * DuckDB reports neither directly.
 */
export async function recordLakeRequests(lake: Lake): Promise<void> {
  await lake.run(`CALL enable_logging('HTTP')`);
}

// A log message is a DuckDB struct printed as text: {'request': {'type': PUT, 'url': '…', …}, …}.
const REQUEST = /'request': \{'type': ([A-Z]+), 'url': '([^']+)'/;

/**
 * The table loads and manifest-list uploads the session has logged since `recordLakeRequests`, oldest
 * first (a large read logs thousands of range GETs of data files: those stay in DuckDB).
 */
export async function lakeRequests(lake: Lake): Promise<LakeRequest[]> {
  const rows = await lake.all(
    `SELECT message FROM duckdb_logs WHERE type = 'HTTP' ` +
      `AND (message LIKE '%''type'': GET,%/tables/%' OR message LIKE '%''type'': PUT,%/metadata/snap-%') ORDER BY timestamp`,
  );
  return parseLakeRequests(rows.map((row) => String(row.message)));
}

/** Reads method and URL out of DuckDB `HTTP` log messages; other lines are skipped. */
export function parseLakeRequests(messages: readonly string[]): LakeRequest[] {
  const requests: LakeRequest[] = [];
  for (const message of messages) {
    const match = REQUEST.exec(message);
    if (match?.[1] && match[2]) requests.push({ method: match[1], url: match[2] });
  }
  return requests;
}

/**
 * `<namespace>.<table>` of every table the session loaded from the REST catalog at `catalogUri`
 * (a `GET …/namespaces/{ns}/tables/{name}`), in first-loaded order.
 *
 * @example
 * loadedTables([{ method: 'GET', url: 'http://127.0.0.1:8181/v1/namespaces/silver/tables/audio' }], 'http://127.0.0.1:8181');
 * // ['silver.audio']
 */
export function loadedTables(requests: readonly LakeRequest[], catalogUri: string): string[] {
  const tables = new Set<string>();
  for (const { method, url } of requests) {
    if (method !== 'GET' || !url.startsWith(`${catalogUri}/`)) continue;
    const match = /\/namespaces\/([^/?]+)\/tables\/([^/?]+)$/.exec(url.slice(catalogUri.length));
    if (!match?.[1] || !match[2]) continue;
    // Multi-level namespaces travel joined by the unit separator (0x1F), percent-encoded.
    const namespace = decodeURIComponent(match[1]).split('\x1f');
    tables.add([...namespace, decodeURIComponent(match[2])].join('.'));
  }
  return [...tables];
}

/**
 * Object paths (`/<bucket>/<key>`, path-style) of the snapshot manifest lists the session uploaded:
 * each new snapshot DuckDB commits has one, named `snap-<snapshot id>-<uuid>.avro`.
 */
export function uploadedManifestLists(requests: readonly LakeRequest[]): string[] {
  const paths = new Set<string>();
  for (const { method, url } of requests) {
    if (method !== 'PUT') continue;
    const path = decodeURIComponent(new URL(url).pathname);
    if (/\/metadata\/snap-[^/]+\.avro$/.test(path)) paths.add(path);
  }
  return [...paths];
}
