import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FINGERPRINT_SPAN, fingerprintFile, fingerprintRanges, fingerprintUrl } from '../../../functions/ingest/fingerprint-media.ts';
import { identifyVod } from '../../../functions/ingest/identify-vod.ts';
import { IngestInputError } from '../../../functions/ingest/ingest-error.ts';
import { startFileServer } from './http-fixture.ts';

const dir = mkdtempSync(join(tmpdir(), 'dougpt-identify-'));
const write = (path: string, bytes: Buffer): string => {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, bytes);
  return path;
};

describe('fingerprintRanges', () => {
  it('reads a small file whole and a big one at both ends without overlap', () => {
    expect(fingerprintRanges(0, 10)).toEqual([]);
    expect(fingerprintRanges(7, 10)).toEqual([[0, 6]]);
    expect(fingerprintRanges(15, 10)).toEqual([[0, 9], [10, 14]]);
    expect(fingerprintRanges(100, 10)).toEqual([[0, 9], [90, 99]]);
  });
});

describe('identifyVod', () => {
  it('gives two different recordings with the same file name two ids, and one recording under two names one id', async () => {
    const a = write(join(dir, 'day1', 'stream.mp4'), randomBytes(4096));
    const b = write(join(dir, 'day2', 'stream.mp4'), randomBytes(4096));
    const aCopy = write(join(dir, 'renamed', 'Doug Best Of.mp4'), readFileSync(a));
    const [idA, idB, idCopy] = await Promise.all([a, b, aCopy].map((video) => identifyVod({ video })));
    expect(idA).toMatch(/^vod-[0-9a-f]{16}$/);
    expect(idA).not.toBe(idB);
    expect(idCopy).toBe(idA);
  });

  it('tells recordings apart that differ only in the middle when the size differs, and only at the end', async () => {
    const base = randomBytes(2 * FINGERPRINT_SPAN + 1024);
    const longer = Buffer.concat([base.subarray(0, FINGERPRINT_SPAN + 10), Buffer.alloc(1), base.subarray(FINGERPRINT_SPAN + 10)]);
    const lastByte = Buffer.from(base);
    lastByte[lastByte.length - 1] = (lastByte[lastByte.length - 1]! + 1) % 256;
    const ids = await Promise.all(
      [base, longer, lastByte].map((bytes, i) => identifyVod({ video: write(join(dir, `big${i}`, 'stream.mp4'), bytes) })),
    );
    expect(new Set(ids).size).toBe(3);
  });

  it('keeps an explicit id and a Twitch id', async () => {
    expect(await identifyVod({ video: join(dir, 'day1', 'stream.mp4'), vod_id: 'Doug 2024-05-01' })).toBe('doug-2024-05-01');
    expect(await identifyVod({ video: 'twitch:123' })).toBe('123');
  });

  it('names a missing file in a bad-input error', async () => {
    const missing = join(dir, 'nope', 'stream.mp4');
    const error = await identifyVod({ video: missing }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IngestInputError);
    expect((error as IngestInputError).kind).toBe('missing');
    expect((error as Error).message).toContain(missing);
  });
});

describe('fingerprintUrl', () => {
  const body = randomBytes(2 * FINGERPRINT_SPAN + 123_457);
  let server: Awaited<ReturnType<typeof startFileServer>>;
  let path: string;
  beforeAll(async () => {
    path = write(join(dir, 'served', 'stream.mp4'), body);
    server = await startFileServer(body, ['serve', 'serve', 'ignore-range']);
  });
  afterAll(() => server.close());

  it('equals the fingerprint of the same bytes on disk, with Range requests and without', async () => {
    const local = await fingerprintFile(path);
    expect(await fingerprintUrl(server.url('stream.mp4'))).toBe(local);
    // Two ranged requests, the second tied to the first's version.
    expect(server.seen.map((r) => [r.status, r.range, r.ifRange])).toEqual([
      [206, `bytes=0-${FINGERPRINT_SPAN - 1}`, null],
      [206, `bytes=${body.length - FINGERPRINT_SPAN}-${body.length - 1}`, '"v1"'],
    ]);
    // A server that ignores Range: the whole body, streamed once.
    expect(await fingerprintUrl(server.url('stream.mp4'))).toBe(local);
    expect(server.seen[2]?.status).toBe(200);
    expect(await identifyVod({ video: server.url('stream.mp4') })).toBe(await identifyVod({ video: path }));
  });
});
