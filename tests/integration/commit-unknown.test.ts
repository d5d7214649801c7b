import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLake } from '../../catalog/lake.ts';
import { writeLake } from '../../catalog/write-lake.ts';
import type { StackConfig } from '../../infra/config.ts';
import { config } from './stack.ts';

/**
 * A commit the catalog answers with a server error may or may not have been applied. In front of the
 * real REST catalog, a proxy answers the next table commit, and DuckDB's own retries of it, with HTTP
 * 500: either after passing the first on (applied, the answer lost) or passing none on (never
 * applied). Either way the write ends done, with every row in the table exactly once.
 */
type Mode = 'pass' | 'applied-then-500' | '500-not-applied';

let mode: Mode = 'pass';
let failed = 0;
/** DuckDB sends a request 4 times (`http_retries` 3): all 4 answered 500 fail the commit in DuckDB (measured: without the check, both cases throw). */
const FAILURES = 4;
let proxy: Server;
let viaProxy: StackConfig;

const COMMIT = /^\/v1\/namespaces\/[^/]+\/tables\/[^/]+$|^\/v1\/transactions\/commit$/;

beforeAll(async () => {
  proxy = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const path = req.url ?? '/';
      const inject = mode !== 'pass' && req.method === 'POST' && COMMIT.test(path.split('?')[0] as string);
      if (inject) {
        // The first commit is passed on or not; it and DuckDB's own retries of it are all answered 500.
        if (mode === 'applied-then-500' && failed === 0) await forward(req.method as string, path, req.headers, Buffer.concat(chunks));
        if (++failed >= FAILURES) mode = 'pass';
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: 'injected', type: 'ServerError', code: 500 } }));
        return;
      }
      const answer = await forward(req.method as string, path, req.headers, Buffer.concat(chunks));
      // fetch has already decoded the body: its encoding and length headers no longer apply.
      const headers = [...answer.headers.entries()].filter(([k]) => !['content-encoding', 'content-length', 'transfer-encoding', 'connection'].includes(k));
      res.writeHead(answer.status, Object.fromEntries(headers));
      res.end(Buffer.from(await answer.arrayBuffer()));
    });
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  viaProxy = { ...config, catalogUri: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}` };
});

afterAll(async () => {
  await new Promise<void>((resolve) => proxy.close(() => resolve()));
});

async function forward(method: string, path: string, headers: NodeJS.Dict<string | string[]>, body: Buffer): Promise<Response> {
  const pass = Object.fromEntries(
    Object.entries(headers).flatMap(([k, v]) => (v === undefined || ['host', 'content-length', 'connection'].includes(k) ? [] : [[k, Array.isArray(v) ? v.join(', ') : v]])),
  );
  return fetch(`${config.catalogUri}${path}`, { method, headers: pass, ...(method === 'GET' || method === 'HEAD' ? {} : { body }) });
}

const write = (table: string, batch: number) =>
  writeLake({ config: viaProxy, openLake: () => openLake(viaProxy) }, (lake) =>
    lake.run(`INSERT INTO ${table} SELECT ${batch}, range FROM range(10) WHERE NOT EXISTS (SELECT 1 FROM ${table} WHERE batch = ${batch})`),
  );

async function countByBatch(table: string): Promise<Record<number, number>> {
  const reader = await openLake(config, { readOnly: true });
  try {
    const rows = await reader.all(`SELECT batch, count(*) n FROM ${table} GROUP BY batch ORDER BY batch`);
    return Object.fromEntries(rows.map((r) => [Number(r.batch), Number(r.n)]));
  } finally {
    reader.close();
  }
}

describe('a commit answered with HTTP 500', () => {
  it.each<Mode>(['applied-then-500', '500-not-applied'])('%s: the write is done, every row once', async (injected) => {
    const table = `lake.meta.unknown_${injected.replaceAll('-', '_')}_${Date.now()}`;
    await writeLake({ config, openLake: () => openLake(config) }, (lake) => lake.run(`CREATE TABLE IF NOT EXISTS ${table} (batch INTEGER, i INTEGER)`));
    await write(table, 0);
    failed = 0;
    mode = injected;
    await write(table, 1);
    expect(failed).toBe(FAILURES);
    expect(await countByBatch(table)).toEqual({ 0: 10, 1: 10 });
  });
});
