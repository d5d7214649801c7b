import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChatMessage } from '../../functions/chat/chat-message.ts';
import { normalizeChat } from '../../functions/chat/normalize-chat.ts';
import { toReplayMessages, type ReplayMessage } from './replay-data.ts';

/**
 * Any chat file the normaliser reads (TwitchDownloader JSON, IRC, chat-downloader, text logs, …)
 * as the page's messages. Generated chat is read exactly like real chat.
 *
 * @example
 * const { messages, format } = await readChatFile('sim/chat.json'); // format: 'twitchdownloader'
 */
export async function readChatFile(
  path: string,
  options: { vodId?: string; vodStart?: string; signal?: AbortSignal } = {},
): Promise<{ messages: ReplayMessage[]; format: string; vod_id: string; rejected: number }> {
  const dir = await mkdtemp(join(tmpdir(), 'dougpt-replay-chat-'));
  try {
    const out = join(dir, 'chat.jsonl');
    const summary = await normalizeChat(
      { input: path, out, rejectsOut: join(dir, 'rejects.jsonl'), ...(options.vodId ? { vodId: options.vodId } : {}), ...(options.vodStart ? { vodStart: options.vodStart } : {}) },
      options.signal ? { signal: options.signal } : {},
    );
    const text = await readFile(out, 'utf8');
    const messages = text.split('\n').filter((line) => line.trim() !== '').map((line) => ChatMessage.parse(JSON.parse(line)));
    return { messages: toReplayMessages(messages), format: summary.format, vod_id: summary.vodId, rejected: summary.rejected };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
