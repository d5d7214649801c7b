import { describe, expect, it } from 'vitest';
import type { Lake, Row } from '../../../catalog/lake.ts';
import { loadReviewSet, REJECT_CONTEXT_MS, rejectItemId, ReviewSetError } from '../../../functions/review/load-review-set.ts';

/** 30 tier-0, 10 tier-1 and 2 tier-2 pairs, and 6 rejects, in the shapes DuckDB returns (BIGINT as text). */
const pairRows: Row[] = [
  ...Array.from({ length: 42 }, (_, i) => {
    const tier = i < 30 ? 0 : i < 40 ? 1 : 2;
    const end = 5_000 + i * 1_000;
    return {
      pair_id: `p${i}`, message_id: `m${i}`, tier, label: tier === 0 ? 'background' : 'reaction', reject_reason: null,
      offset_ms: String(end + 3_000), reply_text: `msg ${i}`, author_login: 'viewer', message_text: `msg ${i}`, message_author: 'viewer',
      context_start_ms: String(end - 4_000), context_end_ms: String(end), target_start_ms: String(end - 1_500), target_end_ms: String(end),
      lag_ms: '3000', score: 0.5, lexical: 0.1, association: 0.2, time_prior: 0.9,
    };
  }),
  ...Array.from({ length: 6 }, (_, i) => ({
    pair_id: null, message_id: `r${i}`, tier: null, label: null, reject_reason: i < 4 ? 'bot' : 'no-speech-in-range',
    offset_ms: String(40_000 + i * 500), reply_text: null, author_login: null, message_text: `!cmd ${i}`, message_author: 'bot',
    context_start_ms: null, context_end_ms: null, target_start_ms: null, target_end_ms: null,
    lag_ms: null, score: null, lexical: null, association: null, time_prior: null,
  })),
];

function stubLake(rows: Row[]): { lake: Lake; sql: string[] } {
  const sql: string[] = [];
  const lake = {
    connection: undefined as never,
    close: () => undefined,
    run: async () => undefined,
    transaction: async <T>(work: () => Promise<T>) => work(),
    all: async (q: string): Promise<Row[]> => {
      sql.push(q);
      if (q.includes('GROUP BY p.align_id')) return rows.length ? [{ align_id: 'align-new' }] : [];
      if (q.startsWith('SELECT pair_id, message_id, tier, label, reject_reason FROM')) return rows.map(({ pair_id, message_id, tier, label, reject_reason }) => ({ pair_id, message_id, tier, label, reject_reason }));
      if (q.startsWith('SELECT p.pair_id')) {
        const ids = new Set([...q.matchAll(/'([mr]\d+)'/g)].map((m) => m[1]));
        return rows.filter((r) => ids.has(String(r.message_id)));
      }
      if (q.startsWith('SELECT asr_run_id')) return [{ asr_run_id: 'run-1' }];
      if (q.includes('transcript_words')) return Array.from({ length: 120 }, (_, i) => ({ word: `w${i}`, start_ms: String(i * 500), end_ms: String(i * 500 + 400) }));
      if (q.includes('chat_offsets')) return [{ from_ms: '0', to_ms: '30000', lag_ms: '3000' }, { from_ms: '30000', to_ms: '60000', lag_ms: '6000' }];
      if (q.includes('silver.audio')) return [{ key: 'silver/audio/v1/abc.flac', sha256: 'abc', duration_ms: '60000' }];
      return [];
    },
  } satisfies Lake;
  return { lake, sql };
}

describe('loadReviewSet', () => {
  it('samples pairs by tier and rejects by reason from the newest alignment', async () => {
    const { lake, sql } = stubLake(pairRows);
    const set = await loadReviewSet({ vod_id: 'v1', sample: 12 }, { lake });
    expect(set.align_id).toBe('align-new');
    expect(sql.some((q) => q.includes("align_id = 'align-new'"))).toBe(true);
    const pairs = set.items.filter((i) => i.kind === 'pair');
    const tiers = pairs.reduce<Record<string, number>>((acc, i) => ({ ...acc, [String(i.tier)]: (acc[String(i.tier)] ?? 0) + 1 }), {});
    expect(tiers).toEqual({ 0: 5, 1: 5, 2: 2 });
    expect(set.totals).toEqual({ pairs: 42, rejects: 6, tiers: { 0: 30, 1: 10, 2: 2 }, labels: { background: 30, reaction: 12 }, reasons: { bot: 4, 'no-speech-in-range': 2 } });
    expect(set.pairIds.size).toBe(42);
    expect(pairs.map((i) => i.offset_ms)).toEqual([...pairs.map((i) => i.offset_ms)].sort((a, b) => a - b));
    expect(set.audio).toEqual({ key: 'silver/audio/v1/abc.flac', sha256: 'abc', duration_ms: 60_000 });
  });

  it('gives a pair its own context and transcript window, numbers as numbers', async () => {
    const set = await loadReviewSet({ vod_id: 'v1', sample: 100 }, { lake: stubLake(pairRows).lake });
    const p = set.items.find((i) => i.item_id === 'p0');
    expect(p).toMatchObject({ kind: 'pair', pair_id: 'p0', text: 'msg 0', context_start_ms: 1_000, context_end_ms: 5_000, lag_ms: 3_000, tier: 0 });
    expect(p?.transcript.filter((w) => w.role === 'target').map((w) => w.word)).toEqual(['w7', 'w8', 'w9']);
    expect(p?.transcript.at(-1)).toMatchObject({ role: 'after', word: 'w15' });
  });

  it('places a rejected message by the chat lag at its offset, with its text from silver.chat_messages', async () => {
    const set = await loadReviewSet({ vod_id: 'v1', sample: 100 }, { lake: stubLake(pairRows).lake });
    const r = set.items.find((i) => i.message_id === 'r2');
    // Offset 41 s lies in the second lag segment (6 s): heard at 35 s.
    expect(r).toMatchObject({ kind: 'reject', item_id: rejectItemId('r2'), pair_id: null, text: '!cmd 2', reject_reason: 'bot', context_end_ms: 35_000, context_start_ms: 35_000 - REJECT_CONTEXT_MS });
    expect(set.items.filter((i) => i.kind === 'reject')).toHaveLength(6);
    expect(set.items.slice(-6).every((i) => i.kind === 'reject')).toBe(true);
  });

  it('names the VOD when it has no alignment', async () => {
    const error = await loadReviewSet({ vod_id: 'nope' }, { lake: stubLake([]).lake }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ReviewSetError);
    expect((error as ReviewSetError).kind).toBe('no-alignment');
    expect((error as Error).message).toContain('nope');
  });

  it('refuses an align id with no rows for the VOD', async () => {
    const { lake } = stubLake([]);
    const error = await loadReviewSet({ vod_id: 'v1', align_id: 'align-old' }, { lake }).catch((e: unknown) => e);
    expect((error as ReviewSetError).kind).toBe('no-such-alignment');
    expect((error as Error).message).toContain('align-old');
  });
});
