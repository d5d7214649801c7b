/**
 * Cuts a reply to at most `maxChars` characters (code points, so an emoji is never split), at the
 * last word break when there is one in the second half, else mid-word.
 *
 * @example
 * capLength('this is a very long message', 12) // 'this is a'
 */
export function capLength(text: string, maxChars: number): string {
  const chars = Array.from(text);
  if (chars.length <= maxChars) return text;
  const head = chars.slice(0, maxChars + 1).join('');
  const cut = head.search(/\s\S*$/u);
  const kept = cut >= 0 && Array.from(head.slice(0, cut)).length >= maxChars / 2 ? head.slice(0, cut) : chars.slice(0, maxChars).join('');
  return kept.trimEnd();
}
