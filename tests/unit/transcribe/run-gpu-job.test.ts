import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { JOB_SCHEMAS, runGpuJob } from '../../../functions/gpu-jobs.ts';
import type { ProgressEvent } from '../../../functions/transcribe/transcribe-events.ts';
import { parseJobLine } from '../../../gpu-runner/worker/job-events.ts';
import { RunnerError } from '../../../gpu-runner/worker/runner-error.ts';

const FAKE = ['python3', join(import.meta.dirname, '../../fixtures/transcribe/fake_job.py')];

async function runFake(fake: string, extra: Record<string, unknown> = {}, signal?: AbortSignal) {
  const events: ProgressEvent[] = [];
  const promise = runGpuJob({
    job: 'transcribe',
    input: { fake, audio: '/data/vod.flac', ...extra },
    mode: 'process',
    command: FAKE,
    signal,
    killGraceMs: 500,
    onProgress: (e) => events.push(e),
  });
  return { promise, events };
}

async function runnerError(promise: Promise<unknown>): Promise<RunnerError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(RunnerError);
  return error as RunnerError;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('runGpuJob (process mode, fake child)', () => {
  it('reports validated progress and returns the result line', async () => {
    const { promise, events } = await runFake('ok', { out: '/tmp/t.json' });
    const result = await promise;
    expect(result.out).toBe('/tmp/t.json');
    expect(result.words).toBe(3);
    expect(events).toEqual([{ event: 'progress', done_ms: 500, total_ms: 1000, chunk: 0, chunks: 2, finished_chunks: 1 }]);
  });

  it('maps exit 2 to bad-input with the job message, keeping the stderr tail', async () => {
    const error = await runnerError((await runFake('bad-input')).promise);
    expect(error.kind).toBe('bad-input');
    expect(error.exitCode).toBe(2);
    expect(error.message).toContain('/data/vod.flac: not an audio file');
    expect(error.stderrTail).toContain('loading model');
  });

  it('maps other non-zero exits to failed, message from the last stderr line', async () => {
    const error = await runnerError((await runFake('crash')).promise);
    expect(error.kind).toBe('failed');
    expect(error.exitCode).toBe(1);
    expect(error.message).toContain('CUDA out of memory');
  });

  it('rejects a stdout line that is not a valid event', async () => {
    const error = await runnerError((await runFake('garbage')).promise);
    expect(error.kind).toBe('protocol');
    expect(error.message).toContain('hello, not json');
  });

  it('rejects a clean exit without a result line', async () => {
    expect((await runnerError((await runFake('no-result')).promise)).kind).toBe('protocol');
  });

  it('kills the child when the signal aborts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fake-job-'));
    const pidFile = join(dir, 'pid');
    const controller = new AbortController();
    const { promise, events } = await runFake('hang', { pid_file: pidFile }, controller.signal);
    await expect.poll(() => events.length, { timeout: 10_000 }).toBe(1);
    const pid = Number(readFileSync(pidFile, 'utf8'));
    expect(alive(pid)).toBe(true);
    controller.abort(new Error('activity cancelled'));
    const error = await runnerError(promise);
    expect(error.kind).toBe('cancelled');
    await expect.poll(() => alive(pid), { timeout: 5_000 }).toBe(false);
  });

  it('refuses to start when already aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    expect((await runnerError((await runFake('ok', {}, controller.signal)).promise)).kind).toBe('cancelled');
  });
});

describe('parseJobLine', () => {
  it('accepts the three events and rejects wrong shapes', () => {
    expect(parseJobLine(JOB_SCHEMAS.transcribe, { event: 'error', kind: 'failed', message: 'x' }).event).toBe('error');
    expect(() => parseJobLine(JOB_SCHEMAS.transcribe, { event: 'progress', done_ms: -1, total_ms: 1, chunk: 0, chunks: 1, finished_chunks: 0 })).toThrow();
    expect(() => parseJobLine(JOB_SCHEMAS.transcribe, { event: 'result', out: 'x' })).toThrow();
    expect(() => parseJobLine(JOB_SCHEMAS.transcribe, { event: 'log', message: 'hi' })).toThrow();
  });
});
