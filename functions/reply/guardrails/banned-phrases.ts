import { readFileSync } from 'node:fs';

/**
 * Phrases a reply must never contain, matched case-insensitively as whole words: `gg` matches
 * "GG wp" but not "eggs"; inner whitespace matches any run of whitespace.
 *
 * @example
 * const banned = createBannedPhrases(['free vbucks']);
 * banned.find('get FREE  vbucks now') // 'free vbucks'
 */
export interface BannedPhrases {
  readonly phrases: readonly string[];
  /** The first banned phrase the text contains, or null. */
  find(text: string): string | null;
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
// A phrase that starts or ends with punctuation ("!!", ":)") has no word edge there to require.
const WORD = /[\p{L}\p{N}_]/u;

export function createBannedPhrases(phrases: readonly string[]): BannedPhrases {
  const kept = [...new Set(phrases.map((p) => p.trim().replace(/\s+/gu, ' ')).filter((p) => p.length > 0))];
  const patterns = kept.map((phrase) => {
    const body = phrase.split(' ').map(escapeRegExp).join('\\s+');
    const before = WORD.test(phrase.at(0)!) ? '(?<![\\p{L}\\p{N}_])' : '';
    const after = WORD.test(phrase.at(-1)!) ? '(?![\\p{L}\\p{N}_])' : '';
    return { phrase, re: new RegExp(`${before}${body}${after}`, 'iu') };
  });
  return {
    phrases: kept,
    find(text) {
      for (const { phrase, re } of patterns) if (re.test(text)) return phrase;
      return null;
    },
  };
}

/** One phrase per line; blank lines and `#` comments skipped; a byte-order mark and CRLF tolerated. */
export function parseBannedPhrases(text: string): string[] {
  return text
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0 && !l.startsWith('#'));
}

export function loadBannedPhrases(path: string): BannedPhrases {
  return createBannedPhrases(parseBannedPhrases(readFileSync(path, 'utf8')));
}
