import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the fixture server does with one request: serve the file (honouring Range), or misbehave. */
export type Behaviour = 'serve' | 'ignore-range' | 'status-503' | 'status-404' | 'status-403' | 'drop-mid-body' | 'stall';

export interface RequestSeen {
  range: string | null;
  ifRange: string | null;
  behaviour: Behaviour;
  status: number;
}

/**
 * A local HTTP server for one file with an ETag, answering each request by the next scripted
 * behaviour (then `serve`). Ranges follow RFC 9110: `bytes=a-b`, `bytes=a-`, If-Range against the ETag.
 */
export async function startFileServer(body: Buffer, script: Behaviour[] = [], etag = '"v1"') {
  const seen: RequestSeen[] = [];
  const state = { body, etag };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const behaviour = script.shift() ?? 'serve';
    const record = (status: number) => seen.push({ range: req.headers.range ?? null, ifRange: (req.headers['if-range'] as string) ?? null, behaviour, status });
    if (behaviour.startsWith('status-')) {
      const status = Number(behaviour.slice(7));
      record(status);
      res.writeHead(status).end('no');
      return;
    }
    const size = state.body.length;
    let start = 0;
    let end = size - 1;
    const match = /^bytes=(\d*)-(\d*)$/.exec(req.headers.range ?? '');
    const rangeApplies = behaviour !== 'ignore-range' && match && (!req.headers['if-range'] || req.headers['if-range'] === state.etag);
    if (rangeApplies && match) {
      if (match[1] === '') start = Math.max(0, size - Number(match[2]));
      else {
        start = Number(match[1]);
        if (match[2] !== '') end = Math.min(end, Number(match[2]));
      }
      if (start >= size) {
        record(416);
        res.writeHead(416, { 'Content-Range': `bytes */${size}` }).end();
        return;
      }
    }
    const status = rangeApplies ? 206 : 200;
    record(status);
    res.writeHead(status, {
      'Content-Length': String(end - start + 1),
      ETag: state.etag,
      'Accept-Ranges': behaviour === 'ignore-range' ? 'none' : 'bytes',
      ...(status === 206 ? { 'Content-Range': `bytes ${start}-${end}/${size}` } : {}),
    });
    const slice = state.body.subarray(start, end + 1);
    if (behaviour === 'drop-mid-body') {
      res.write(slice.subarray(0, Math.floor(slice.length / 2)), () => setTimeout(() => req.socket.destroy(), 20));
      return;
    }
    if (behaviour === 'stall') {
      res.flushHeaders(); // headers sent, then nothing
      return;
    }
    res.end(slice);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: (name: string) => `http://127.0.0.1:${port}/${name}`,
    seen,
    /** Replaces the file (a new version with a new ETag). */
    replace(next: Buffer, nextEtag: string) {
      state.body = next;
      state.etag = nextEtag;
    },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
