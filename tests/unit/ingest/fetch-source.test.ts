import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { afterEach, describe, expect, it } from 'vitest';
import { toActivityFailure } from '../../../functions/activities.ts';
import { DOWNLOAD_ATTEMPTS, fetchSource, ytDlpFailure } from '../../../functions/ingest/fetch-source.ts';
import { statusClass } from '../../../functions/ingest/http-source.ts';
import { IngestInputError } from '../../../functions/ingest/ingest-error.ts';
import { SourceUnavailableError } from '../../../functions/ingest/source-unavailable-error.ts';
import { startFileServer } from './http-fixture.ts';

const body = randomBytes(3 * 1024 * 1024 + 17);
const servers: Array<{ close: () => Promise<void> }> = [];
const serve = async (...args: Parameters<typeof startFileServer>) => {
  const server = await startFileServer(...args);
  servers.push(server);
  return server;
};
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});
const work = () => mkdtempSync(join(tmpdir(), 'dougpt-fetch-'));

describe('statusClass', () => {
  it('retries 5xx, 408 and 429; 404 and 410 are missing; other 4xx refused', () => {
    expect([200, 206, 500, 503, 408, 429, 404, 410, 403, 400].map(statusClass)).toEqual(
      ['ok', 'ok', 'transient', 'transient', 'transient', 'transient', 'missing', 'missing', 'refused', 'refused'],
    );
  });
});

describe('fetchSource over HTTP', () => {
  it('retries a 503, then resumes a dropped body with Range + If-Range instead of starting over', async () => {
    const server = await serve(body, ['status-503', 'drop-mid-body']);
    const progress: number[] = [];
    const fetched = await fetchSource(server.url('vod.mp4'), work(), { onBytes: (n) => progress.push(n) });
    expect(readFileSync(fetched.path).equals(body)).toBe(true);
    const [first, second, third] = server.seen;
    expect(server.seen).toHaveLength(3);
    expect(first).toMatchObject({ status: 503, range: null });
    expect(second).toMatchObject({ status: 200, range: null });
    const resumedFrom = Number(/^bytes=(\d+)-$/.exec(third?.range ?? '')?.[1]);
    expect(resumedFrom).toBeGreaterThan(0);
    expect(resumedFrom).toBeLessThan(body.length);
    expect(third).toMatchObject({ status: 206, ifRange: '"v1"' });
    // The third request moved on from where the second stopped, never back to 0.
    expect(progress.at(-1)).toBe(body.length);
    expect(progress.filter((n, i) => i > 0 && n < progress[i - 1]!).every((n) => n === resumedFrom)).toBe(true);
  });

  it('starts over when the file changed between attempts (If-Range no longer matches)', async () => {
    const next = randomBytes(body.length - 5);
    const server = await serve(body, ['drop-mid-body']);
    const dir = work();
    const run = fetchSource(server.url('vod.mp4'), dir);
    // The drop happens on the first request; the new version is there before the retry.
    await new Promise((r) => setTimeout(r, 100));
    server.replace(next, '"v2"');
    const fetched = await run;
    expect(readFileSync(fetched.path).equals(next)).toBe(true);
    expect(server.seen.at(-1)).toMatchObject({ status: 200, ifRange: '"v1"' });
  });

  it('resumes the partial file on a later call (the activity retry) after every attempt of one call failed', async () => {
    const server = await serve(body, Array.from({ length: DOWNLOAD_ATTEMPTS }, () => 'drop-mid-body' as const));
    const dir = work();
    const error = await fetchSource(server.url('vod.mp4'), dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SourceUnavailableError);
    expect(existsSync(join(dir, 'download-vod.mp4.part'))).toBe(true);
    const fetched = await fetchSource(server.url('vod.mp4'), dir);
    expect(readFileSync(fetched.path).equals(body)).toBe(true);
    expect(server.seen.at(-1)?.range).toMatch(/^bytes=[1-9]\d*-$/);
  });

  it('times out a stalled response and retries it', async () => {
    const server = await serve(body, ['stall']);
    const fetched = await fetchSource(server.url('vod.mp4'), work(), { idleTimeoutMs: 300 });
    expect(readFileSync(fetched.path).equals(body)).toBe(true);
    expect(server.seen.map((r) => r.behaviour)).toEqual(['stall', 'serve']);
  });

  it('fails a 4xx at once as bad input naming the URL, and a lasting 503 as a retryable failure', async () => {
    const server = await serve(body, ['status-404', 'status-403', ...Array.from({ length: DOWNLOAD_ATTEMPTS }, () => 'status-503' as const)]);
    const missing = await fetchSource(server.url('a.mp4'), work()).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(IngestInputError);
    expect((missing as IngestInputError).kind).toBe('missing');
    expect((missing as Error).message).toBe(`${server.url('a.mp4')}: HTTP 404`);
    const refused = await fetchSource(server.url('b.mp4'), work()).catch((e: unknown) => e);
    expect((refused as IngestInputError).kind).toBe('unreachable');
    const unavailable = await fetchSource(server.url('c.mp4'), work()).catch((e: unknown) => e);
    expect(unavailable).toBeInstanceOf(SourceUnavailableError);
    expect(server.seen.map((r) => r.status)).toEqual([404, 403, ...Array.from({ length: DOWNLOAD_ATTEMPTS }, () => 503)]);

    // As activity failures: bad input is non-retryable, the 503 is left for Temporal to retry.
    const bad = toActivityFailure(missing);
    expect(bad).toBeInstanceOf(ApplicationFailure);
    expect((bad as ApplicationFailure).nonRetryable).toBe(true);
    expect(toActivityFailure(unavailable)).toBe(unavailable);
  });

  it('treats a refused connection as transient', async () => {
    const error = await fetchSource('http://127.0.0.1:9/vod.mp4', work()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SourceUnavailableError);
    expect((error as SourceUnavailableError).kind).toBe('network');
    expect((error as Error).message).toContain('http://127.0.0.1:9/vod.mp4');
  });
});

describe('Twitch VODs through yt-dlp', () => {
  it('classifies yt-dlp failures: 5xx, timeouts and dropped connections retry; 404 and unavailable VODs are bad input', () => {
    const cases: Array<[string, string]> = [
      ['ERROR: [twitch:vod] 1986381866: Unable to download JSON metadata: HTTP Error 503: Service Unavailable', 'SourceUnavailableError:server:503'],
      ['ERROR: [twitch:vod] 1986381866: Unable to download webpage: HTTP Error 429: Too Many Requests', 'SourceUnavailableError:server:429'],
      ['ERROR: unable to download video data: <urlopen error [Errno -3] Temporary failure in name resolution>', 'SourceUnavailableError:network:null'],
      ['WARNING: something\nERROR: The read operation timed out', 'SourceUnavailableError:timeout:null'],
      ['ERROR: [twitch:vod] 1986381866: Unable to download webpage: HTTP Error 404: Not Found', 'IngestInputError:missing'],
      ['ERROR: [twitch:vod] 1986381866: Video 1986381866 does not exist', 'IngestInputError:unreachable'],
      ['ERROR: [twitch:vod] 1: This video is only available for subscribers', 'IngestInputError:unreachable'],
    ];
    for (const [stderr, expected] of cases) {
      const error = ytDlpFailure('twitch:1986381866', stderr);
      const got = error instanceof SourceUnavailableError ? `${error.name}:${error.kind}:${error.status}` : `${error.name}:${error.kind}`;
      expect(got, stderr).toBe(expected);
      expect(error.message).toMatch(/^twitch:1986381866: yt-dlp failed: ERROR: /);
    }
  });

  it('a transient yt-dlp failure stays retryable as an activity failure, and the retry continues the .part file', async () => {
    const bin = work();
    const log = join(bin, 'calls.log');
    // A stand-in yt-dlp: the first call writes half the video to <target>.part and fails like a dropped
    // connection; the second must be asked to continue and completes the file.
    writeFileSync(
      join(bin, 'yt-dlp'),
      `#!/bin/sh
echo "$@" >> "${log}"
while [ $# -gt 0 ]; do [ "$1" = "-o" ] && target="$2"; shift; done
if [ ! -f "$target.part" ]; then printf half > "$target.part"; echo "ERROR: unable to download video data: <urlopen error [Errno 104] Connection reset by peer>" >&2; exit 1; fi
cat "$target.part" > "$target"; printf -- "-whole" >> "$target"; rm "$target.part"
`,
    );
    chmodSync(join(bin, 'yt-dlp'), 0o755);
    const dir = work();
    const previous = process.env.PATH;
    process.env.PATH = `${bin}:${previous}`;
    try {
      const first = await fetchSource('twitch:1986381866', dir).catch((error: unknown) => error);
      expect(first).toBeInstanceOf(SourceUnavailableError);
      expect(toActivityFailure(first)).toBe(first); // left for Temporal to retry
      const missing = ytDlpFailure('twitch:1', 'ERROR: HTTP Error 404: Not Found');
      expect((toActivityFailure(missing) as ApplicationFailure).nonRetryable).toBe(true);
      const second = await fetchSource('twitch:1986381866', dir);
      expect(readFileSync(second.path, 'utf8')).toBe('half-whole');
      const calls = readFileSync(log, 'utf8').trim().split('\n');
      expect(calls).toHaveLength(2);
      expect(calls.every((call) => call.includes('--continue') && call.endsWith('https://www.twitch.tv/videos/1986381866'))).toBe(true);
    } finally {
      process.env.PATH = previous;
    }
  });
});
