import type { ChatEmote } from './chat-message.ts';

/*
 * Emote positions are inclusive code-point indexes into the message text, as Twitch's IRC `emotes`
 * tag counts them; every format is brought to that convention.
 */

const SURROGATE = /[\uD800-\uDFFF]/;

/** Code points of `text` when it has astral characters, otherwise null (UTF-16 indexes are code points). */
function codePoints(text: string): string[] | null {
  return SURROGATE.test(text) ? Array.from(text) : null;
}

function cpLength(text: string): number {
  if (!SURROGATE.test(text)) return text.length;
  let n = 0;
  for (const _ of text) n++;
  return n;
}

/** UTF-16 index → code-point index. */
function toCpIndex(text: string, utf16: number): number {
  if (!SURROGATE.test(text)) return utf16;
  return cpLength(text.slice(0, utf16));
}

/**
 * IRC `emotes=25:0-4,6-10/1902:12-16` → emotes. Ranges that are reversed or point past the text
 * (seen in real captures) are dropped.
 */
export function emotesFromIrcTag(text: string, tag: string | undefined): ChatEmote[] {
  if (!tag) return [];
  const cps = codePoints(text);
  const length = cps ? cps.length : text.length;
  const out: ChatEmote[] = [];
  for (const group of tag.split('/')) {
    const colon = group.indexOf(':');
    if (colon <= 0) continue;
    const id = group.slice(0, colon);
    for (const range of group.slice(colon + 1).split(',')) {
      const dash = range.indexOf('-');
      if (dash <= 0) continue;
      const start = Number(range.slice(0, dash));
      const end = Number(range.slice(dash + 1));
      if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end < start || end >= length) continue;
      const name = cps ? cps.slice(start, end + 1).join('') : text.slice(start, end + 1);
      out.push({ id, name, start, end });
    }
  }
  return out.sort((a, b) => a.start - b.start);
}

interface Fragment {
  text: string;
  emoteId: string | null;
}

/**
 * v5/TwitchDownloader `fragments` → emotes. Fragments give exact positions when they spell the
 * body; when they do not (edited or redacted bodies), each emote is looked up in the body instead.
 */
export function emotesFromFragments(body: string, fragments: Fragment[]): ChatEmote[] {
  if (!fragments.some((f) => f.emoteId !== null)) return [];
  const out: ChatEmote[] = [];
  if (fragments.map((f) => f.text).join('') === body) {
    let at = 0;
    for (const f of fragments) {
      const len = cpLength(f.text);
      if (f.emoteId !== null && len > 0) out.push({ id: f.emoteId, name: f.text, start: at, end: at + len - 1 });
      at += len;
    }
    return out;
  }
  let from = 0;
  for (const f of fragments) {
    if (f.emoteId === null || f.text.length === 0) continue;
    const name = f.text.trim();
    const hit = findToken(body, name, from);
    if (hit < 0) continue;
    const start = toCpIndex(body, hit);
    out.push({ id: f.emoteId, name, start, end: start + cpLength(name) - 1 });
    from = hit + name.length;
  }
  return out;
}

/** v5 `emoticons[{_id, begin, end}]` (inclusive indexes) → emotes, checked against the body. */
export function emotesFromRanges(body: string, ranges: { id: string; begin: number; end: number }[]): ChatEmote[] {
  const cps = codePoints(body);
  const length = cps ? cps.length : body.length;
  const out: ChatEmote[] = [];
  for (const r of ranges) {
    if (!Number.isInteger(r.begin) || !Number.isInteger(r.end) || r.begin < 0 || r.end < r.begin || r.end >= length) continue;
    const name = cps ? cps.slice(r.begin, r.end + 1).join('') : body.slice(r.begin, r.end + 1);
    out.push({ id: r.id, name, start: r.begin, end: r.end });
  }
  return out.sort((a, b) => a.start - b.start);
}

/** A name → id map (derived TwitchDownloader files' `twitch_emotes`) → every whole-word occurrence. */
export function emotesFromNames(body: string, names: Record<string, string>): ChatEmote[] {
  const out: ChatEmote[] = [];
  for (const [name, id] of Object.entries(names)) {
    if (!name || typeof id !== 'string') continue;
    let from = 0;
    for (;;) {
      const hit = findToken(body, name, from);
      if (hit < 0) break;
      const start = toCpIndex(body, hit);
      out.push({ id, name, start, end: start + cpLength(name) - 1 });
      from = hit + name.length;
    }
  }
  return out.sort((a, b) => a.start - b.start);
}

/** Index of `token` in `text` at or after `from`, delimited by whitespace or the text's ends. */
function findToken(text: string, token: string, from: number): number {
  if (!token) return -1;
  for (let at = text.indexOf(token, from); at >= 0; at = text.indexOf(token, at + 1)) {
    const before = at === 0 || /\s/.test(text[at - 1]!);
    const after = at + token.length === text.length || /\s/.test(text[at + token.length]!);
    if (before && after) return at;
  }
  return -1;
}
