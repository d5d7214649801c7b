import type { ChatEmote } from './chat-message.ts';

/** Invisible characters that carry nothing: zero-width space, word joiner, BOM, Mongolian vowel separator, combining grapheme joiner. */
const ALWAYS_INVISIBLE = new Set([0x200b, 0x2060, 0xfeff, 0x180e, 0x034f]);
const ZWNJ = 0x200c;
const ZWJ = 0x200d;
/** U+E0000 (appended by chat clients to dodge Twitch's duplicate-message filter) and the language tag U+E0001. */
const TAG_BYPASS = new Set([0xe0000, 0xe0001]);
const TAG_FIRST = 0xe0020;
const TAG_LAST = 0xe007f;
/** 🏴: tag characters after it spell a subdivision flag (🏴 + "gbeng" + cancel tag), the one real use of the tag block. */
const BLACK_FLAG = 0x1f3f4;

const MAYBE_DIRTY = /[\u200b-\u200d\u2060\ufeff\u180e\u034f]|[\u{e0000}-\u{e007f}]|^\s|\s$/u;
const SPACE = /\s/u;

/**
 * Strips what chat clients add but nobody typed: U+E0000 and stray tag characters, zero-width
 * spaces, word joiners and BOMs anywhere in the text, zero-width (non-)joiners that join nothing
 * (kept between two visible characters: emoji ZWJ sequences, Persian ZWNJ), and whitespace at both
 * ends. Emote positions (inclusive code-point indexes) are moved with the text; an emote that no
 * longer spells its name is dropped.
 *
 * @example
 * cleanChatText('\u200bKappa hi \u{E0000}', [{ id: '25', name: 'Kappa', start: 1, end: 5 }])
 * // { text: 'Kappa hi', emotes: [{ id: '25', name: 'Kappa', start: 0, end: 4 }] }
 */
export function cleanChatText(text: string, emotes: ChatEmote[]): { text: string; emotes: ChatEmote[] } {
  if (!MAYBE_DIRTY.test(text)) return { text, emotes };
  const cps = Array.from(text, (ch) => ch.codePointAt(0)!);
  const keep = cps.map((cp, k) => keepCodePoint(cps, k, cp));
  // Trim: whitespace (and anything already dropped) at both ends.
  for (let k = 0; k < cps.length && (!keep[k] || SPACE.test(String.fromCodePoint(cps[k]!))); k++) keep[k] = false;
  for (let k = cps.length - 1; k >= 0 && (!keep[k] || SPACE.test(String.fromCodePoint(cps[k]!))); k--) keep[k] = false;
  const newIndex = new Int32Array(cps.length);
  let out = '';
  let n = 0;
  for (let k = 0; k < cps.length; k++) {
    newIndex[k] = n;
    if (!keep[k]) continue;
    out += String.fromCodePoint(cps[k]!);
    n++;
  }
  if (emotes.length === 0) return { text: out, emotes };
  const outCps = Array.from(out);
  const moved: ChatEmote[] = [];
  for (const e of emotes) {
    if (e.start < 0 || e.end >= cps.length || !keep[e.start] || !keep[e.end]) continue;
    const start = newIndex[e.start]!;
    const end = newIndex[e.end]!;
    if (outCps.slice(start, end + 1).join('') === e.name) moved.push({ ...e, start, end });
  }
  return { text: out, emotes: moved };
}

function keepCodePoint(cps: number[], k: number, cp: number): boolean {
  if (ALWAYS_INVISIBLE.has(cp) || TAG_BYPASS.has(cp)) return false;
  if (cp >= TAG_FIRST && cp <= TAG_LAST) {
    // Part of a flag sequence only when every character back to the 🏴 is an open (uncancelled) tag character.
    let j = k - 1;
    while (j >= 0 && cps[j]! >= TAG_FIRST && cps[j]! < TAG_LAST) j--;
    return j >= 0 && cps[j] === BLACK_FLAG;
  }
  if (cp === ZWJ || cp === ZWNJ) {
    const before = cps[k - 1];
    const after = cps[k + 1];
    return before !== undefined && after !== undefined && visible(before) && visible(after);
  }
  return true;
}

function visible(cp: number): boolean {
  return !ALWAYS_INVISIBLE.has(cp) && !TAG_BYPASS.has(cp) && cp !== ZWJ && cp !== ZWNJ && !SPACE.test(String.fromCodePoint(cp));
}
