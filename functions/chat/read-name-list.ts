import { readFile } from 'node:fs/promises';
import { ChatFormatError } from './chat-format-error.ts';

/**
 * A list of names, one per line (emote names exported from BTTV/FFZ/7TV, bot logins): trimmed,
 * blank lines and `#` comments skipped, a byte-order mark and CRLF endings tolerated.
 *
 * @example
 * await readNameList('emotes.txt')  // ['KEKW', 'dougWiggle', …]
 */
export async function readNameList(path: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ChatFormatError('unreadable', path, `cannot read the name list (${(error as NodeJS.ErrnoException).code ?? 'error'})`, { cause: error });
  }
  return text.replace(/^\uFEFF/, '').split(/\r?\n/).map((l) => l.trim()).filter((l) => l.length > 0 && !l.startsWith('#'));
}
