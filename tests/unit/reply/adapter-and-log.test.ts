import { mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AdapterError, promotedFileSource, readPromoted, resolveAdapter } from '../../../functions/reply/adapter-source.ts';
import { InferenceLogRecord, jsonlLogSink } from '../../../functions/reply/inference-log.ts';

function runFolder(root: string, runId: string): string {
  const dir = join(root, runId);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'adapter.gguf'), 'GGUF');
  writeFileSync(join(dir, 'run.json'), JSON.stringify({ run_id: runId, base: { name: 'smollm2-135m', sha256: 'abc' }, extra: 1 }));
  return dir;
}

describe('adapters', () => {
  const root = mkdtempSync(join(tmpdir(), 'adapters-'));
  it('resolves a run folder or its GGUF, run id from run.json', () => {
    const dir = runFolder(root, 'run-a');
    expect(resolveAdapter(dir)).toEqual({ run_id: 'run-a', gguf: join(dir, 'adapter.gguf'), base: { name: 'smollm2-135m', sha256: 'abc' } });
    expect(resolveAdapter(join(dir, 'adapter.gguf')).run_id).toBe('run-a');
  });
  it('names what is wrong with a bad path', () => {
    expect(() => resolveAdapter(join(root, 'missing'))).toThrow(AdapterError);
    const empty = join(root, 'empty');
    mkdirSync(empty);
    expect(() => resolveAdapter(empty)).toThrow(/no adapter.gguf/);
  });
  it('reads promoted.json (relative paths from its folder); none is the base model', () => {
    const home = mkdtempSync(join(tmpdir(), 'home-'));
    expect(readPromoted(join(home, 'promoted.json'))).toBeNull();
    runFolder(home, 'run-b');
    writeFileSync(join(home, 'promoted.json'), JSON.stringify({ run_id: 'run-b', adapter: 'run-b' }));
    expect(readPromoted(join(home, 'promoted.json'))).toMatchObject({ run_id: 'run-b', gguf: join(home, 'run-b', 'adapter.gguf') });
    writeFileSync(join(home, 'promoted.json'), JSON.stringify({ adapter: 'run-b' }));
    expect(() => readPromoted(join(home, 'promoted.json'))).toThrow(/run_id/);
  });
  it('reports a promotion written by an atomic rename', async () => {
    const home = mkdtempSync(join(tmpdir(), 'home-'));
    runFolder(home, 'run-c');
    const source = promotedFileSource(join(home, 'promoted.json'), { debounceMs: 20 });
    let changes = 0;
    const stop = source.watch(() => changes++);
    writeFileSync(join(home, 'promoted.json.tmp'), JSON.stringify({ run_id: 'run-c', adapter: 'run-c' }));
    renameSync(join(home, 'promoted.json.tmp'), join(home, 'promoted.json'));
    await expect.poll(() => changes, { timeout: 3000 }).toBe(1);
    expect((await source.current())?.run_id).toBe('run-c');
    stop();
  });
});

describe('JSONL inference log', () => {
  const record = (id: string, at: string): InferenceLogRecord => ({
    id,
    at,
    endpoint: 'reply',
    client: null,
    context_sha256: 'c',
    prompt_spec: { version: 'v', sha256: 's' },
    prompt_hash: 'h',
    adapter: { run_id: null, gguf: null },
    base: { name: 'b' },
    params: { n: 1, seed: 1, seeded: true, temperature: 0.8, top_p: 0.95, max_tokens: 32 },
    replies: ['hi'],
    guardrail_actions: [],
    completion_tokens: 1,
    latency_ms: 1,
    status: 'ok',
  });
  it('writes off the reply path, one valid line per record, in a file per day', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'log-')), 'inference-log');
    const sink = jsonlLogSink({ dir, flushMs: 10 });
    sink.write(record('a', '2025-01-01T23:59:59.000Z'));
    sink.write(record('b', '2025-01-02T00:00:00.000Z'));
    expect(() => readdirSync(dir)).toThrow(); // nothing written synchronously
    await sink.close();
    expect(readdirSync(dir).sort()).toEqual(['2025-01-01.jsonl', '2025-01-02.jsonl']);
    const lines = readFileSync(join(dir, '2025-01-02.jsonl'), 'utf8').trim().split('\n');
    expect(lines.map((l) => InferenceLogRecord.parse(JSON.parse(l)).id)).toEqual(['b']);
  });
  it('keeps records when the folder cannot be written, and reports once', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'log-')), 'a-file');
    writeFileSync(file, '');
    const errors: unknown[] = [];
    const sink = jsonlLogSink({ dir: join(file, 'sub'), onError: (e) => errors.push(e) });
    sink.write(record('a', '2025-01-01T00:00:00.000Z'));
    await sink.flush();
    await sink.flush();
    expect(errors).toHaveLength(1);
  });
});
