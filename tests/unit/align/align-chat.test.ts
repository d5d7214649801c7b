import { readdirSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { alignChat, AlignInputError } from '../../../functions/align/align-chat.ts';
import { AlignResult } from '../../../functions/align/pair.ts';
import { importCaptions } from '../../../functions/transcribe/import-captions.ts';
import { makeChat, makeLines, msg } from './fixture.ts';

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

  it('reads a bare word list in ms, as an object or an array', async () => {
    for (const [name, body] of [
      ['words-object.json', { words: words.map(({ word, start_ms, end_ms }) => ({ word, start_ms, end_ms })) }],
      ['words-array.json', words.map(({ word, start_ms, end_ms, confidence }) => ({ text: word, start_ms, end_ms, confidence }))],
    ] as const) {
      const path = join(dir, name);
      await writeFile(path, JSON.stringify(body));
      const summary = await alignChat({ transcript: path, chat, out: join(dir, `${name}.out.json`) });
      expect(summary.transcriptFormat).toBe('words');
      expect(summary.words).toBe(words.length);
      expect(summary.offsets[0]?.method).toBe('echo');
    }
  });
});

const FORMATS = '/work/shared/formats';
const captionFiles = readdirSync(FORMATS).filter((f) => /^(vtt_|json3_|srt_|whisper)/.test(f));
const EXPECTED: Record<string, string> = { vtt: 'vtt', srt: 'srt', json3: 'json3', whisper: 'whisper-json', whisperx: 'whisper-json' };

describe('alignChat --transcript on every shared caption and recogniser file', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'align-formats-test-'));
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('finds the samples', () => expect(captionFiles.length).toBeGreaterThanOrEqual(10));

  it.each(captionFiles)('%s', async (file) => {
    const path = join(FORMATS, file);
    // Chat that echoes every fourth word 4 s after it is said.
    const { words } = await importCaptions({ path });
    const messages = words.filter((_, i) => i % 4 === 0).map((w) => msg(w.end_ms + 4_000, `${w.word} lol`, { vod_id: 'f1' }));
    const chat = join(dir, `${file}.jsonl`);
    await writeFile(chat, messages.map((m) => JSON.stringify(m)).join('\n') + '\n');
    const out = join(dir, `${file}.align.json`);
    const summary = await alignChat({ transcript: path, chat, out });
    expect(summary.transcriptFormat).toBe(EXPECTED[file.split('_')[0] as string]);
    expect(summary.words).toBe(words.length);
    expect(summary.pairs + summary.rejects).toBe(messages.length);
    const result = AlignResult.parse(JSON.parse(await readFile(out, 'utf8')));
    for (const p of result.pairs) expect(p.context_end_ms).toBeLessThanOrEqual(p.offset_ms);
  });
});
