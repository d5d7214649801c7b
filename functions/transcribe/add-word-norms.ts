import { normalizeWord } from './normalize-word.ts';
import type { Transcript } from './transcript.ts';

/**
 * The transcript with `norm` set on every word (the one place norms are computed, for every backend).
 *
 * @example
 * addWordNorms(transcript).words[0]?.norm // 'okay'
 */
export function addWordNorms(transcript: Transcript): Transcript {
  return { ...transcript, words: transcript.words.map((w) => ({ ...w, norm: normalizeWord(w.word) })) };
}
