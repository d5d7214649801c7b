/**
 * The last `size` replies served, to keep the bot from posting the same message again and again.
 * Replies compare after folding case, accents' compatibility forms, punctuation and spacing, so
 * "LUL!!" repeats "lul". A reply served for the same `key` (the same context and seed) is not a
 * repeat: asking again with a seed must give the same reply.
 *
 * @example
 * const recent = new RecentReplies(50);
 * recent.remember('Pog', 'a'); recent.isRepeat('POG!', 'b') // true
 */
export class RecentReplies {
  private readonly entries: { norm: string; key: string }[] = [];

  constructor(readonly size: number) {}

  static normalize(text: string): string {
    return text.normalize('NFKC').toLowerCase().replace(/[^\p{L}\p{N}]+/gu, ' ').trim();
  }

  isRepeat(text: string, key: string): boolean {
    const norm = RecentReplies.normalize(text);
    return this.entries.some((e) => e.norm === norm && e.key !== key);
  }

  remember(text: string, key: string): void {
    if (this.size <= 0) return;
    this.entries.push({ norm: RecentReplies.normalize(text), key });
    if (this.entries.length > this.size) this.entries.shift();
  }
}
