/**
 * Token normalisation shared by transcript words and chat text, so that "JUMP!!", "jumps" and a
 * transcribed " jump," compare equal. Deliberately light: lowercase, strip accents and punctuation,
 * squeeze letter runs ("nooooo" → "noo"), drop a plural/verb "s". Anything heavier (real stemming)
 * starts matching unrelated words, which costs more in false echoes than it gains.
 */

// Only words nobody echoes on their own; rarer function words ("no", "go") stay, weighted by rarity.
const STOPWORDS = new Set(
  ('a an the and or but if so of to in on at by for with from as is am are was were be been it its this that ' +
    'i me my we us our you your he him his she her they them their do does did have has had than then im its ' +
    'thats uh um')
    .split(' '),
);

/** Laughter, hype and surprise words: a message made of these reacts to the moment, not to the words said. */
const REACTION_WORDS = new Set(
  ('lol lul lmao lmfao rofl kekw kek omegalul lulw haha hahaha xd xdd icant pog poggers pogchamp pogu w l ez ' +
    'gg f rip wtf omg wow what huh clap clip clipit letsgo lets gooo goo monkas pepega sadge pepehands copium ' +
    'noo nooo yes yess true based cringe ratio bruh oof ayaya hype')
    .split(' '),
);

/** Normalises one word; returns '' for pure punctuation. */
export function normalizeToken(raw: string): string {
  let t = raw.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase();
  t = t.replace(/['’]/g, '').replace(/[^a-z0-9]+/g, '');
  if (t.length === 0) return '';
  t = t.replace(/(.)\1{2,}/g, '$1$1');
  if (t.length > 3 && t.endsWith('s') && !t.endsWith('ss')) t = t.slice(0, -1);
  return t;
}

/** All normalised tokens of a text, in order (stopwords kept). */
export function tokenize(text: string): string[] {
  const out: string[] = [];
  for (const part of text.split(/[\s\-_/]+/)) {
    const t = normalizeToken(part);
    if (t !== '') out.push(t);
  }
  return out;
}

/** Tokens that can carry an echo of speech: not the commonest function words. */
export function isContentToken(token: string): boolean {
  return !STOPWORDS.has(token);
}

export function isReactionToken(token: string): boolean {
  return REACTION_WORDS.has(token);
}

/** Distinct content tokens of a text. */
export function contentTokens(text: string): string[] {
  return [...new Set(tokenize(text).filter(isContentToken))];
}
