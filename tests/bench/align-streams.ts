import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChatMessage } from '../../functions/chat/chat-message.ts';
import { normalizeChat } from '../../functions/chat/normalize-chat.ts';
import { simulateStream, type SimulateOptions, type SimulatedStream } from '../../functions/sample/simulate-stream.ts';

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
