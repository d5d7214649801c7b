import { ChatMessage } from './chat-message.ts';

/**
 * Whether `text` is canonical chat JSONL (what `dougpt chat normalize` writes): its first line is a ChatMessage.
 *
 * @example
 * isChatJsonl('{"message_id":"m1",...}\n') // true when the line is a whole ChatMessage
 */
export function isChatJsonl(text: string): boolean {
  const end = text.indexOf('\n');
  const first = (end < 0 ? text : text.slice(0, end)).trim();
  if (!first.startsWith('{')) return false;
  try {
    return ChatMessage.safeParse(JSON.parse(first)).success;
  } catch {
    return false;
  }
}

/**
 * Every non-blank line of canonical chat JSONL as a ChatMessage; the first bad line is reported through `fail`
 * ("path:line: not JSON …" or "path:line: not a ChatMessage (field: reason)"), which returns the error to throw.
 */
export function parseChatJsonl(path: string, text: string, fail: (message: string, cause?: unknown) => Error): ChatMessage[] {
  const out: ChatMessage[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line.trim() === '') continue;
    let json: unknown;
    try {
      json = JSON.parse(line) as unknown;
    } catch (error) {
      throw fail(`${path}:${i + 1}: not JSON (${(error as Error).message})`, error);
    }
    const parsed = ChatMessage.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw fail(`${path}:${i + 1}: not a ChatMessage (${issue?.path.join('.')}: ${issue?.message})`);
    }
    out.push(parsed.data);
  }
  return out;
}
