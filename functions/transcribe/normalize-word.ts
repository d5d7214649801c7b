const ONES = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten', 'eleven', 'twelve',
  'thirteen', 'fourteen', 'fifteen', 'sixteen', 'seventeen', 'eighteen', 'nineteen'];
const TENS = ['', '', 'twenty', 'thirty', 'forty', 'fifty', 'sixty', 'seventy', 'eighty', 'ninety'];
const SCALES: Array<[bigint, string]> = [
  [1_000_000_000_000n, 'trillion'],
  [1_000_000_000n, 'billion'],
  [1_000_000n, 'million'],
  [1_000n, 'thousand'],
];
const ORDINAL_ENDINGS: Array<[RegExp, string]> = [
  [/one$/, 'first'], [/two$/, 'second'], [/three$/, 'third'], [/five$/, 'fifth'], [/eight$/, 'eighth'],
  [/nine$/, 'ninth'], [/twelve$/, 'twelfth'], [/y$/, 'ieth'],
];

function below1000(n: number): string[] {
  const words: string[] = [];
  if (n >= 100) {
    words.push(ONES[Math.floor(n / 100)]!, 'hundred');
    n %= 100;
  }
  if (n >= 20) {
    words.push(TENS[Math.floor(n / 10)]!);
    n %= 10;
    if (n > 0) words.push(ONES[n]!);
  } else if (n > 0 || words.length === 0) {
    words.push(ONES[n]!);
  }
  return words;
}

/**
 * English words for a non-negative integer written in digits.
 *
 * @example
 * integerToWords('2017') // 'two thousand seventeen'
 */
export function integerToWords(digits: string): string {
  let n = BigInt(digits);
  if (n === 0n) return 'zero';
  const words: string[] = [];
  for (const [scale, name] of SCALES) {
    if (n >= scale) {
      words.push(integerToWords(String(n / scale)), name);
      n %= scale;
    }
  }
  if (n > 0n) words.push(...below1000(Number(n)));
  return words.join(' ');
}

function ordinal(words: string): string {
  for (const [ending, replacement] of ORDINAL_ENDINGS) {
    if (ending.test(words)) return words.replace(ending, replacement);
  }
  return `${words}th`;
}

function numberToWords(token: string): string {
  const ordinalMatch = /^(\d+)(st|nd|rd|th)$/.exec(token);
  if (ordinalMatch) return ordinal(integerToWords(ordinalMatch[1]!));
  const [whole, fraction] = token.split('.');
  const head = integerToWords(whole!.replace(/,/g, '') || '0');
  if (!fraction) return head;
  return `${head} point ${[...fraction].map((d) => ONES[Number(d)]).join(' ')}`;
}

/**
 * The form of a spoken or written word used for matching against chat: NFKC, lower case, numbers spelled
 * out, joiners (hyphen, slash) as spaces, all other punctuation dropped. Stored beside the raw word as `norm`.
 *
 * @example
 * normalizeWord(' Okay,') // 'okay'
 * normalizeWord("I'm")    // 'im'
 * normalizeWord('2017')   // 'two thousand seventeen'
 * normalizeWord('E-A')    // 'e a'
 */
export function normalizeWord(word: string): string {
  const lowered = word.normalize('NFKC').toLowerCase();
  // Digits with thousands separators or decimals are one number; split first so "1,000" stays whole.
  const spaced = lowered.replace(/[-‐‑–—/_]+/g, ' ');
  const out: string[] = [];
  for (const token of spaced.split(/\s+/)) {
    const number = /\d[\d,]*(?:\.\d+)?(?:st|nd|rd|th)?/.exec(token);
    if (number && /^[^\p{L}\p{N}]*\d[\d,]*(?:\.\d+)?(?:st|nd|rd|th)?[^\p{L}\p{N}]*$/u.test(token)) {
      out.push(numberToWords(number[0].replace(/,(?=\d{3}\b)/g, '')));
      continue;
    }
    const letters = token.replace(/[^\p{L}\p{N}\p{M}]+/gu, '');
    if (letters) out.push(letters.replace(/\d+/g, (digits) => ` ${integerToWords(digits)} `).trim().replace(/\s+/g, ' '));
  }
  return out.join(' ');
}
