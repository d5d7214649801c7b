import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChatMessage } from '../../functions/chat/chat-message.ts';
import { normalizeChat } from '../../functions/chat/normalize-chat.ts';
import { simulateStream, type SimulateOptions, type SimulatedStream } from '../../functions/sample/simulate-stream.ts';
import { GroundTruth } from '../../functions/sample/ground-truth.ts';
import { Transcript } from '../../functions/transcribe/transcript.ts';

/**
 * A synthetic stream as the alignment stage sees it: the chat file through the real normaliser.
 * With `wholeSecondOffsets` the normaliser can recover milliseconds from `created_at`; the benches
 * keep the whole-second offsets instead, as a chat source without a millisecond clock would give.
 */
export async function benchStream(opts: SimulateOptions): Promise<{ stream: SimulatedStream; messages: ChatMessage[] }> {
  const stream = simulateStream(opts);
  const dir = await mkdtemp(join(tmpdir(), 'dougpt-align-bench-'));
  try {
    const input = join(dir, 'chat.json');
    const out = join(dir, 'chat.jsonl');
    await writeFile(input, JSON.stringify(stream.chat));
    await normalizeChat({ input, out, rejectsOut: join(dir, 'rejects.jsonl') });
    const text = await readFile(out, 'utf8');
    const fileOffset = new Map(stream.chat.comments.map((c) => [c._id, Math.round(c.content_offset_seconds * 1000)]));
    const messages = text
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => ChatMessage.parse(JSON.parse(l)))
      .map((m) => (opts.wholeSecondOffsets ? { ...m, offset_ms: fileOffset.get(m.message_id) ?? m.offset_ms } : m));
    return { stream, messages };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * A sample written by `dougpt sample` and transcribed by a real recogniser (see align-recognised.sh):
 * ground truth, chat as the aligner sees it (whole-second offsets kept when the sample has them),
 * the exact transcript and the recognised one.
 */
export async function recognisedStream(stem: string, recogniser: string): Promise<{ truth: GroundTruth; messages: ChatMessage[]; exact: Transcript; recognised: Transcript }> {
  const truth = GroundTruth.parse(JSON.parse(await readFile(`${stem}.truth.json`, 'utf8')));
  const exact = Transcript.parse(JSON.parse(await readFile(`${stem}.transcript.json`, 'utf8')));
  const recognised = Transcript.parse(JSON.parse(await readFile(`${stem}.${recogniser}.json`, 'utf8')));
  const dir = await mkdtemp(join(tmpdir(), 'dougpt-align-bench-'));
  try {
    const out = join(dir, 'chat.jsonl');
    await normalizeChat({ input: `${stem}.chat.json`, out, rejectsOut: join(dir, 'rejects.jsonl') });
    const file = JSON.parse(await readFile(`${stem}.chat.json`, 'utf8')) as { comments: Array<{ _id: string; content_offset_seconds: number }> };
    const fileOffset = new Map(file.comments.map((c) => [c._id, Math.round(c.content_offset_seconds * 1000)]));
    const messages = (await readFile(out, 'utf8'))
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => ChatMessage.parse(JSON.parse(l)))
      .map((m) => (truth.whole_second_offsets ? { ...m, offset_ms: fileOffset.get(m.message_id) ?? m.offset_ms } : m));
    return { truth, messages, exact, recognised };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
