import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect } from 'vitest';
import { ChatMessage, ChatReject } from '../../../functions/chat/chat-message.ts';
import type { NormalizeChatOutput } from '../../../functions/chat/normalize-chat.ts';

export const FORMATS_DIR = process.env.DOUGPT_FORMATS_DIR ?? '/work/shared/formats';
export const FIXTURES_DIR = new URL('../../fixtures/chat/', import.meta.url).pathname;

const created: string[] = [];
// Registered for every test file that imports these helpers.
afterAll(() => {
  for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true });
});

export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'dougpt-chat-test-'));
  created.push(dir);
  return dir;
}

export function readJsonl(path: string): unknown[] {
  return readFileSync(path, 'utf8').split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(l) as unknown);
}

/** Reads and checks a normalized output: schema, order, unique ids, and that every record is accounted for. */
export function checkOutput(result: NormalizeChatOutput): { messages: ChatMessage[]; rejects: ChatReject[] } {
  const messages = readJsonl(result.out).map((row) => ChatMessage.parse(row));
  const rejects = result.rejectsOut ? readJsonl(result.rejectsOut).map((row) => ChatReject.parse(row)) : [];
  expect(messages.length).toBe(result.accepted);
  expect(result.accepted + result.rejected).toBe(result.records);
  expect(Object.values(result.reasons).reduce((a, b) => a + b, 0)).toBe(result.rejected);
  expect(rejects.length).toBe(result.rejected);
  for (let k = 1; k < messages.length; k++) expect(messages[k]!.offset_ms).toBeGreaterThanOrEqual(messages[k - 1]!.offset_ms);
  expect(new Set(messages.map((m) => m.message_id)).size).toBe(messages.length);
  for (const m of messages) expect(m.vod_id).toBe(result.vodId);
  return { messages, rejects };
}

/** Files left in `dir` other than the ones expected (temp files must never survive). */
export function strayFiles(dir: string, expected: string[]): string[] {
  return readdirSync(dir).filter((f) => !expected.includes(f));
}
