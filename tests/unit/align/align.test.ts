import { describe, expect, it } from 'vitest';
import { align, offsetQuantum, tierOf } from '../../../functions/align/align.ts';
import { AlignResult, Pair } from '../../../functions/align/pair.ts';
import { makeChat, makeLines, msg } from './fixture.ts';

const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

function lagError(result: ReturnType<typeof align>, trueLag: Map<string, number>): number {
  const errors = result.pairs.filter((p) => trueLag.has(p.message_id)).map((p) => Math.abs(p.lag_ms - (trueLag.get(p.message_id) as number)));
  return median(errors);
}

function rightShare(result: ReturnType<typeof align>, truth: Map<string, number>, lines: { end_ms: number }[]): number {
  let right = 0;
  for (const p of result.pairs) {
    const line = truth.get(p.message_id);
    if (line !== undefined && p.label === 'reaction' && p.target_end_ms === lines[line]?.end_ms) right++;
  }
  return right / truth.size;
}

describe('lag estimation', () => {
  it('finds a constant lag with one confident segment covering the VOD', () => {
    const { lines, words } = makeLines(120, 4_000);
    const { messages, truth, trueLag } = makeChat(lines, () => 6_000, { seed: 1 });
    const result = align(messages, words, { vodId: 'v1' });
    expect(result.offsets).toHaveLength(1);
    const [segment] = result.offsets;
    expect(segment?.from_ms).toBe(0);
    expect(segment?.to_ms).toBeGreaterThan(Math.max(...messages.map((m) => m.offset_ms)));
    expect(Math.abs((segment?.lag_ms ?? 0) - 6_750)).toBeLessThan(600);
    expect(segment?.method).toBe('echo');
    expect(segment?.confidence).toBeGreaterThan(0.2);
    expect(lagError(result, trueLag)).toBeLessThan(100);
    expect(rightShare(result, truth, lines)).toBeGreaterThan(0.95);
  });

  it('detects a lag change mid-stream and places the boundary near it', () => {
    const { lines, words } = makeLines(240, 4_000);
    const change = 480_000;
    const { messages, truth } = makeChat(lines, (end) => (end < change ? 3_000 : 10_000), { seed: 2 });
    const result = align(messages, words, { vodId: 'v1' });
    expect(result.offsets).toHaveLength(2);
    const [a, b] = result.offsets;
    expect(Math.abs((a?.lag_ms ?? 0) - 3_750)).toBeLessThan(600);
    expect(Math.abs((b?.lag_ms ?? 0) - 10_750)).toBeLessThan(600);
    expect(a?.to_ms).toBe(b?.from_ms);
    // The boundary is on the message timeline: the change shows from change + new lag onwards.
    expect(Math.abs((b?.from_ms ?? 0) - (change + 3_000))).toBeLessThan(15_000);
    expect(rightShare(result, truth, lines)).toBeGreaterThan(0.93);
  });

  it('stays accurate when chat offsets are whole seconds', () => {
    const { lines, words } = makeLines(150, 4_000);
    const { messages, trueLag, truth } = makeChat(lines, () => 5_000, { seed: 3, wholeSeconds: true });
    expect(offsetQuantum(messages)).toBe(1_000);
    const result = align(messages, words, { vodId: 'v1' });
    expect(result.stats.offset_quantum_ms).toBe(1_000);
    expect(result.offsets).toHaveLength(1);
    expect(Math.abs((result.offsets[0]?.lag_ms ?? 0) - 5_750)).toBeLessThan(600);
    expect(lagError(result, trueLag)).toBeLessThanOrEqual(500);
    expect(rightShare(result, truth, lines)).toBeGreaterThan(0.9);
  });

  it('says there is no evidence (default lag, confidence 0) when chat never reacts', () => {
    const { words } = makeLines(20, 4_000);
    const messages = [msg(5_000, 'hello'), msg(40_000, 'hi all')];
    const result = align(messages, words, { vodId: 'v1', defaultLagMs: 4_000 });
    expect(result.offsets.map((o) => [o.lag_ms, o.confidence, o.method, o.reason])).toEqual([[4_000, 0, 'default', 'no-evidence']]);
  });
});

describe('pairing', () => {
  const { lines, words } = makeLines(100, 4_000);
  const { messages, truth } = makeChat(lines, () => 5_000, { seed: 4 });
  const extra = [
    msg(30_000, 'Thanks for the sub', { is_bot: true }),
    msg(30_100, 'the stream has been live for 3 minutes', { author_login: 'Nightbot' }),
    msg(30_200, '!uptime'),
    msg(30_300, 'removed', { is_deleted: true }),
    msg(30_400, 'viewer subscribed at Tier 1', { kind: 'sub' }),
    msg(30_500, '   '),
    msg(31_000, 'THIS IS A VERY LONG PASTED MESSAGE THAT EVERYONE IN CHAT KEEPS REPEATING OVER AND OVER', { author_id: 'p1' }),
    msg(32_000, 'THIS IS A VERY LONG PASTED MESSAGE THAT EVERYONE IN CHAT KEEPS REPEATING OVER AND OVER', { author_id: 'p2' }),
    msg(100, 'first'),
  ];
  const all = [...messages, ...extra].sort((a, b) => a.offset_ms - b.offset_ms);
  const result = align(all, words, { vodId: 'v1', contextMs: 8_000, transcriptSha256: 'abc', chatSha256: 'def' });

  it('accounts for every message exactly once, as a valid pair or a reject', () => {
    AlignResult.parse(result);
    const seen = [...result.pairs.map((p) => p.message_id), ...result.rejects.map((r) => r.message_id)];
    expect(seen.sort()).toEqual(all.map((m) => m.message_id).sort());
  });

  it('gives the screening reject reasons', () => {
    const reason = (id: string) => result.rejects.find((r) => r.message_id === id)?.reason;
    expect(extra.map((m) => reason(m.message_id))).toEqual(['bot', 'bot', 'command', 'deleted', 'system', 'empty', 'copypasta', 'copypasta', 'no-speech-in-range']);
  });

  it('pairs echoes with the line they repeat, with a bounded context ending at that line', () => {
    expect(rightShare(result, truth, lines)).toBeGreaterThan(0.95);
    for (const p of result.pairs) {
      Pair.parse(p);
      expect(p.context_end_ms).toBe(p.target_end_ms);
      expect(p.context_end_ms - p.context_start_ms).toBeLessThanOrEqual(8_000);
      expect(p.context_start_ms).toBeLessThanOrEqual(p.target_start_ms);
      expect(p.lag_ms).toBeGreaterThanOrEqual(0);
      expect(p.transcript_sha256).toBe('abc');
      expect(p.chat_sha256).toBe('def');
    }
    const echo = result.pairs.find((p) => p.reply_text.startsWith('ZORB10'));
    expect(echo?.context_text).toContain('zorb10 quex10');
    expect(echo?.tier).toBe(2);
    expect(echo?.lexical).toBeGreaterThan(0.5);
  });

  it('labels uniform chatter as background, tier 0', () => {
    const chatter = result.pairs.filter((p) => p.reply_text === 'what game is this');
    expect(chatter.length).toBeGreaterThan(10);
    const background = chatter.filter((p) => p.label === 'background');
    const reactions = result.pairs.filter((p) => truth.has(p.message_id));
    const reactionsAsBackground = reactions.filter((p) => p.label === 'background').length / reactions.length;
    expect(background.length / chatter.length).toBeGreaterThan(0.5);
    expect(reactionsAsBackground).toBeLessThan(0.05);
    for (const p of background) expect(p.tier).toBe(0);
  });

  it('is deterministic, pair ids included', () => {
    const again = align(all, words, { vodId: 'v1', contextMs: 8_000, transcriptSha256: 'abc', chatSha256: 'def' });
    expect(again.pairs.map((p) => p.pair_id)).toEqual(result.pairs.map((p) => p.pair_id));
    expect(new Set(result.pairs.map((p) => p.pair_id)).size).toBe(result.pairs.length);
  });

  it('rejects a context longer than 30 s', () => {
    expect(() => align(all, words, { vodId: 'v1', contextMs: 31_000 })).toThrow();
  });
});

describe('tiers', () => {
  it('maps scores to tiers and keeps background at tier 0', () => {
    expect([0.05, 0.3, 0.59, 0.6, 0.99].map((s) => tierOf(s, 'reaction'))).toEqual([0, 1, 1, 2, 2]);
    expect(tierOf(0.95, 'background')).toBe(0);
  });
});

describe('emote waves and copypasta', () => {
  const { lines, words } = makeLines(100, 4_000);
  const { messages } = makeChat(lines, () => 5_000, { seed: 6 });
  const line = lines[40] as { end_ms: number };
  // Eight viewers spam one emote from 5.2 s after line 40, within 6 s; one more 40 s later stands alone.
  const wave = Array.from({ length: 8 }, (_, k) => msg(line.end_ms + 5_200 + k * 750, k % 2 ? 'Pog Pog' : 'Pog', { author_id: `w${k % 6}` }));
  const lone = msg(line.end_ms + 45_000, 'Pog', { author_id: 'alone' });
  const pasta = 'DOUG IF YOU READ THIS I HAVE BEEN WATCHING SINCE THE BEGINNING AND THE BIRD IS MY FAVOURITE';
  const pastas = [msg(line.end_ms + 6_000, pasta, { author_id: 'p1' }), msg(line.end_ms + 9_000, pasta, { author_id: 'p2' })];
  const all = [...messages, ...wave, lone, ...pastas].sort((a, b) => a.offset_ms - b.offset_ms);
  const result = align(all, words, { vodId: 'v1' });
  const pairOf = (id: string) => result.pairs.find((p) => p.message_id === id);

  it('marks a wave as one: wave id and size on every member, members below tier 2, each paired by its own timing', () => {
    const onset = pairOf(wave[0]!.message_id);
    expect(onset?.target_end_ms).toBe(line.end_ms);
    for (const m of wave) {
      const p = pairOf(m.message_id);
      expect(p?.wave_id).toBe(wave[0]!.message_id);
      expect(p?.wave_size).toBe(8);
      expect(p?.lag_ms).toBe(m.offset_ms - (p?.target_end_ms ?? 0));
      expect(p?.context_end_ms).toBeLessThanOrEqual(m.offset_ms);
      if (m !== wave[0]) expect(p?.tier).toBeLessThanOrEqual(1);
    }
    expect(pairOf(lone.message_id)?.wave_id ?? null).toBeNull();
    // The fixture's own scattered KEKW reactions (two per line) are no wave.
    const scattered = result.pairs.filter((p) => p.reply_text === 'KEKW' && !wave.some((m) => m.message_id === p.message_id));
    expect(scattered.length).toBeGreaterThan(100);
    expect(scattered.every((p) => p.wave_id === null)).toBe(true);
  });

  it('rejects copypasta', () => {
    for (const m of pastas) expect(result.rejects.find((r) => r.message_id === m.message_id)?.reason).toBe('copypasta');
  });
});
