import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { alignChat, AlignInputError } from '../../../functions/align/align-chat.ts';
import { AlignResult } from '../../../functions/align/pair.ts';
import { makeChat, makeLines } from './fixture.ts';

describe('alignChat', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'align-chat-test-'));
  afterAll(() => rm(dir, { recursive: true, force: true }));
  const { lines, words } = makeLines(60, 4_000);
  const { messages } = makeChat(lines, () => 5_000, { seed: 9 });
  const transcript = join(dir, 't.json');
  const chat = join(dir, 'c.jsonl');
  await writeFile(transcript, JSON.stringify({ words, segments: [], backend: 'test', model: null, config: {} }));
  await writeFile(chat, messages.map((m) => JSON.stringify(m)).join('\n') + '\n');

  it('reads normalised JSONL, writes the result file and returns its counts', async () => {
    const out = join(dir, 'out.json');
    const summary = await alignChat({ transcript, chat, out });
    const written = AlignResult.parse(JSON.parse(await readFile(out, 'utf8')));
    expect(summary.chatFormat).toBe('jsonl');
    expect(summary.vodId).toBe('v1');
    expect(summary.messages).toBe(messages.length);
    expect(summary.pairs + summary.rejects).toBe(messages.length);
    expect(written.pairs).toHaveLength(summary.pairs);
    expect(written.pairs[0]?.transcript_sha256).toBe(summary.transcriptSha256);
    expect(summary.offsets).toEqual(written.offsets);
  });

  it('names the file when the transcript is not one', async () => {
    const error = await alignChat({ transcript: chat, chat, out: join(dir, 'x.json') }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AlignInputError);
    expect((error as AlignInputError).kind).toBe('transcript');
    expect((error as Error).message).toContain(chat);
  });
});
