import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { rowsJsonLines, writeJsonLines } from '../../../catalog/stage-rows.ts';

describe('writeJsonLines', () => {
  it('streams rows in chunks and writes exactly the text rowsJsonLines builds', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dougpt-stage-'));
    const rows = Array.from({ length: 1_537 }, (_, i) => ({ i, text: `msg ${i} "quoted" ✓`, nothing: null }));
    await writeJsonLines(join(dir, 'a.jsonl'), rows);
    expect(readFileSync(join(dir, 'a.jsonl'), 'utf8')).toBe(rowsJsonLines(rows));
    await writeJsonLines(join(dir, 'empty.jsonl'), []);
    expect(readFileSync(join(dir, 'empty.jsonl'), 'utf8')).toBe('');
  });

  it('leaves no file behind when the write fails', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dougpt-stage-'));
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    const rows = [...Array.from({ length: 600 }, (_, i) => ({ i })), cyclic];
    await expect(writeJsonLines(join(dir, 'bad.jsonl'), rows)).rejects.toThrow(/circular/i);
    expect(() => readFileSync(join(dir, 'bad.jsonl'))).toThrow(/ENOENT/);
  });
});
