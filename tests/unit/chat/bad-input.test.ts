import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { ChatFormatError, normalizeChat } from '../../../functions/chat/normalize-chat.ts';
import { checkOutput, FIXTURES_DIR, strayFiles, tempDir } from './chat-test-utils.ts';

const BAD = join(FIXTURES_DIR, 'bad');
const CORPUS: [string, string][] = [
  ['empty.json', 'empty'],
  ['whitespace.json', 'empty'],
  ['truncated.json', 'truncated'],
  ['binary.bin', 'binary'],
  ['video.mp4', 'binary'],
  ['unknown-shape.json', 'unknown-shape'],
  ['random-objects.json', 'unknown-shape'],
  ['not-json.json', 'malformed'],
  ['plain-prose.txt', 'unknown-shape'],
];

function utf32le(text: string): Buffer {
  const points = Array.from(text, (ch) => ch.codePointAt(0)!);
  const out = Buffer.alloc(points.length * 4);
  points.forEach((cp, k) => out.writeUInt32LE(cp, k * 4));
  return out;
}

async function failure(input: string, extra: Record<string, string> = {}): Promise<{ error: ChatFormatError; dir: string }> {
  const dir = tempDir();
  const error = await normalizeChat({ input, out: join(dir, 'out.jsonl'), rejectsOut: join(dir, 'rejects.jsonl'), ...extra }).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ChatFormatError);
  return { error: error as ChatFormatError, dir };
}

describe('files that are not chat', () => {
  it.each(CORPUS)('%s → %s, nothing written', async (file, kind) => {
    const { error, dir } = await failure(join(BAD, file), { vodId: '1' });
    expect(error.kind).toBe(kind);
    expect(error.path).toBe(join(BAD, file));
    expect(error.message).toContain(file);
    expect(error.message.split('\n')).toHaveLength(1);
    expect(strayFiles(dir, [])).toEqual([]);
  });

  it('a gzip file cut short is truncated', async () => {
    const dir = tempDir();
    const gz = gzipSync(readFileSync(join(FIXTURES_DIR, 'bad-records.json')));
    const path = join(dir, 'cut.json.gz');
    writeFileSync(path, gz.subarray(0, Math.floor(gz.length / 2)));
    const { error } = await failure(path);
    expect(error.kind).toBe('truncated');
  });

  it('a missing file is unreadable', async () => {
    const { error } = await failure(join(BAD, 'does-not-exist.json'));
    expect(error.kind).toBe('unreadable');
  });

  it('an existing output is left untouched when the input is bad', async () => {
    const dir = tempDir();
    const out = join(dir, 'out.jsonl');
    writeFileSync(out, 'previous\n');
    await expect(normalizeChat({ input: join(BAD, 'truncated.json'), out })).rejects.toBeInstanceOf(ChatFormatError);
    expect(readFileSync(out, 'utf8')).toBe('previous\n');
    expect(strayFiles(dir, ['out.jsonl'])).toEqual([]);
  });

  it('the CLI exits 2 with one line naming the file', async () => {
    const dir = tempDir();
    const input = join(BAD, 'video.mp4');
    const run = await execa('node', ['bin/dougpt.js', 'chat', 'normalize', input, '--out', join(dir, 'o.jsonl'), '--json'], { reject: false });
    expect(run.exitCode).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toContain(input);
    expect(run.stderr).toContain('MP4');
    expect(strayFiles(dir, [])).toEqual([]);
  });
});

describe('a file with some bad records', () => {
  it('keeps the good records and counts every bad one by reason', async () => {
    const dir = tempDir();
    const result = await normalizeChat({ input: join(FIXTURES_DIR, 'bad-records.json'), out: join(dir, 'out.jsonl'), rejectsOut: join(dir, 'rejects.jsonl') });
    const { messages, rejects } = checkOutput(result);
    expect(result.records).toBe(11);
    expect(messages.map((m) => m.message_id)).toEqual(['r7', 'r0']);
    expect(messages.map((m) => m.offset_ms)).toEqual([2250, 10500]);
    expect(result.reasons).toEqual({
      'missing-offset': 1,
      'invalid-offset': 2,
      'missing-message': 1,
      'text-too-long': 1,
      'not-an-object': 1,
      'malformed-record': 1,
      'empty-text': 1,
      duplicate: 1,
    });
    expect(rejects.map((r) => r.record_index)).toEqual([1, 2, 3, 4, 5, 6, 8, 9, 10]);
    expect(rejects.find((r) => r.record_index === 5)?.raw).toBe('42');
    expect(rejects.find((r) => r.reason === 'duplicate')?.detail).toContain('record 0');
    expect(rejects.every((r) => r.vod_id === '2000000002' && r.source_format === 'twitchdownloader')).toBe(true);
  });

  it('reads the same file gzip-compressed, with a byte order mark, and as UTF-16', async () => {
    const dir = tempDir();
    const text = readFileSync(join(FIXTURES_DIR, 'bad-records.json'), 'utf8');
    const variants: [string, Buffer][] = [
      ['gz.json.gz', gzipSync(Buffer.from(text))],
      ['bom.json', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)])],
      ['utf16.json', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')])],
      ['utf16be.json', Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(text, 'utf16le').swap16()])],
      ['utf32.json', Buffer.concat([Buffer.from([0xff, 0xfe, 0, 0]), utf32le(text)])],
    ];
    for (const [name, bytes] of variants) {
      writeFileSync(join(dir, name), bytes);
      const result = await normalizeChat({ input: join(dir, name), out: join(dir, `${name}.jsonl`) });
      expect(result.accepted, name).toBe(2);
      expect(result.rejected, name).toBe(9);
    }
  });

  it('writes Parquet with the ChatMessage columns', async () => {
    const dir = tempDir();
    copyFileSync(join(FIXTURES_DIR, 'bad-records.json'), join(dir, 'in.json'));
    const result = await normalizeChat({ input: join(dir, 'in.json'), out: join(dir, 'out.parquet') });
    expect(result.rejectsOut).toBe(join(dir, 'out.rejects.parquet'));
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const db = await DuckDBInstance.create(':memory:');
    const c = await db.connect();
    const rows = (await c.runAndReadAll(`SELECT * FROM read_parquet('${join(dir, 'out.parquet')}')`)).getRowObjectsJson();
    const rejects = (await c.runAndReadAll(`SELECT reason FROM read_parquet('${join(dir, 'out.rejects.parquet')}')`)).getRowObjectsJson();
    c.closeSync();
    db.closeSync();
    expect(rows.map((r) => r.message_id)).toEqual(['r7', 'r0']);
    expect(Object.keys(rows[0]!)).toEqual([
      'vod_id', 'message_id', 'offset_ms', 'sent_at', 'author_id', 'author_login', 'author_display', 'text', 'emotes', 'badges',
      'bits', 'is_action', 'reply_to', 'kind', 'is_bot', 'is_command', 'is_emote_only', 'is_deleted', 'source_format',
    ]);
    expect(rejects).toHaveLength(9);
    expect(strayFiles(dir, ['in.json', 'out.parquet', 'out.rejects.parquet'])).toEqual([]);
  });

  it('streams JSONL to stdout with --out -', async () => {
    const run = await execa('node', ['bin/dougpt.js', 'chat', 'normalize', join(FIXTURES_DIR, 'bad-records.json'), '--out', '-', '--json'], { reject: false });
    expect(run.exitCode).toBe(0);
    const lines = run.stdout.trim().split('\n').map((l) => JSON.parse(l) as { message_id: string });
    expect(lines.map((l) => l.message_id)).toEqual(['r7', 'r0']);
    const summary = JSON.parse(run.stderr.trim()) as Record<string, unknown>;
    expect(summary).toMatchObject({ accepted: 2, rejected: 9, format: 'twitchdownloader', offset_source: 'content_offset_seconds' });
  });
});
