import type { ChatMessage } from '../chat/chat-message.ts';
import type { AlignRejectReason } from './pair.ts';

/**
 * Reasons a message cannot be a reaction to speech, decided from the message alone (and, for
 * copypasta, from its repeats). Later stages add the reasons that need the transcript.
 */

/** Channel bots by login: normalisers flag most, but logs from other tools may not. */
const KNOWN_BOTS = new Set([
  'nightbot', 'streamelements', 'streamlabs', 'moobot', 'fossabot', 'wizebot', 'sery_bot', 'botisimo', 'deepbot',
  'coebot', 'phantombot', 'soundalerts', 'pokemoncommunitygame', 'commanderroot', 'kofistreambot', 'blerp',
  'streamstickers', 'own3d', 'tangiabot', 'songlistbot', 'botrixoficial', 'lumiastream', 'frostytoolsdotcom',
]);

/** A copypasta is long and pasted verbatim by several viewers; short lines repeat by chance. */
const COPYPASTA_MIN_CHARS = 60;
const COPYPASTA_MIN_AUTHORS = 2;

/**
 * One reason per message index, or null when the message may be a reaction.
 *
 * @example
 * screenMessages([{ ...msg, text: '!uptime' }]); // ['command']
 */
export function screenMessages(messages: readonly ChatMessage[]): Array<AlignRejectReason | null> {
  const out = messages.map(screenOne);
  const byText = new Map<string, { authors: Set<string>; indices: number[] }>();
  messages.forEach((m, i) => {
    if (out[i] !== null) return;
    const key = m.text.toLowerCase().replace(/\s+/g, ' ').trim();
    if (key.length < COPYPASTA_MIN_CHARS) return;
    let entry = byText.get(key);
    if (!entry) byText.set(key, (entry = { authors: new Set(), indices: [] }));
    entry.authors.add(m.author_id ?? m.author_login ?? m.message_id);
    entry.indices.push(i);
  });
  for (const { authors, indices } of byText.values()) {
    if (authors.size >= COPYPASTA_MIN_AUTHORS) for (const i of indices) out[i] = 'copypasta';
  }
  return out;
}

function screenOne(m: ChatMessage): AlignRejectReason | null {
  if (m.is_deleted) return 'deleted';
  if (m.is_bot || (m.author_login !== null && KNOWN_BOTS.has(m.author_login.toLowerCase()))) return 'bot';
  if (m.is_command || /^!\w/.test(m.text.trim())) return 'command';
  if (m.kind !== 'message') return 'system';
  if (m.text.trim() === '') return 'empty';
  return null;
}
