import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { estimateClockShift, recoverOffsetMs } from '../../../functions/chat/estimate-clock-shift.ts';
import { normalizeChat } from '../../../functions/chat/normalize-chat.ts';
import { writeTwitchDownloaderFile } from '../../bench/chat-generate.ts';
import { checkOutput, strayFiles, tempDir } from './chat-test-utils.ts';

describe('estimateClockShift', () => {
  const sample = (shift: number, n: number, outliers = 0) => {
    const deltas: number[] = [];
    for (let k = 0; k < n; k++) {
      const trueOffset = k * 337 + ((k * 7919) % 1000);
      const sent = trueOffset + shift + (k < outliers ? (k % 2 ? 1 : -1) * (3000 + k * 10) : 0);
      deltas.push(sent - Math.floor(trueOffset / 1000) * 1000);
    }
    return Float64Array.from(deltas);
  };

  it('finds a known shift to within a few ms', () => {
    const est = estimateClockShift(sample(123_456, 2000))!;
    expect(Math.abs(est.shiftMs - 123_456)).toBeLessThan(5);
    expect(est.inliers).toBe(2000);
  });

  it('ignores a large minority of outliers', () => {
    const est = estimateClockShift(sample(-987, 1000, 400))!;
    expect(Math.abs(est.shiftMs + 987)).toBeLessThan(5);
    expect(est.inliers).toBe(600);
  });

  it('recovers a message offset and refuses one that disagrees', () => {
    expect(recoverOffsetMs(5000, 5000 + 250 + 1000, 1000)).toBe(5250);
    expect(recoverOffsetMs(5000, 5000 + 1000 + 7000, 1000)).toBeNull();
  });
});

describe('sub-second offsets from created_at', () => {
  it('recovers true offsets from whole-second content_offset_seconds with a known shift', async () => {
    const dir = tempDir();
    const input = join(dir, 'chat.json');
    const facts = await writeTwitchDownloaderFile(input, { messages: 20_000, shiftMs: 7777, clockOutliers: 0.1, seed: 7 });
    const result = await normalizeChat({ input, out: join(dir, 'out.jsonl') });
    expect(result.offsetSource).toBe('created_at');
    const vodStart = Date.parse('2024-10-25T17:00:00.000Z');
    expect(Math.abs(result.clockShiftMs! - (vodStart + 7777))).toBeLessThan(3);
    const { messages } = checkOutput(result);
    let exact = 0;
    for (const m of messages) {
      const truth = facts.trueOffsetMs.get(m.message_id)!;
      expect(Math.floor(m.offset_ms / 1000)).toBe(Math.floor(truth / 1000));
      if (facts.clockOutlierIds.has(m.message_id)) expect(m.offset_ms % 1000).toBe(0);
      else if (Math.abs(m.offset_ms - truth) <= 2) exact++;
    }
    expect(exact).toBe(messages.length - facts.clockOutlierIds.size);
    expect(facts.clockOutlierIds.size).toBeGreaterThan(1500);
  });

  it('keeps offsets that already have milliseconds', async () => {
    const dir = tempDir();
    const input = join(dir, 'chat.json');
    const facts = await writeTwitchDownloaderFile(input, { messages: 2000, wholeSeconds: false });
    const result = await normalizeChat({ input, out: join(dir, 'out.jsonl') });
    expect(result.offsetSource).toBe('content_offset_seconds');
    const { messages } = checkOutput(result);
    for (const m of messages) expect(m.offset_ms).toBe(facts.trueOffsetMs.get(m.message_id));
  });
});

describe('a generated 50,000-message TwitchDownloader file', () => {
  it('counts, orders, dedupes and flags', async () => {
    const dir = tempDir();
    const input = join(dir, 'chat.json');
    const facts = await writeTwitchDownloaderFile(input, { messages: 50_000, duplicates: 300, outOfOrder: true, seed: 3 });
    let progressCalls = 0;
    const result = await normalizeChat({ input, out: join(dir, 'out.jsonl') }, { onProgress: () => progressCalls++ });
    expect(progressCalls).toBeGreaterThan(0);
    expect(result.records).toBe(facts.records);
    expect(result.accepted).toBe(50_000);
    expect(result.reasons).toEqual({ duplicate: 300 });
    const { messages } = checkOutput(result);
    expect(messages.filter((m) => m.is_bot).length).toBe(facts.bots);
    expect(messages.filter((m) => m.is_command).length).toBe(facts.commands);
    expect(messages.filter((m) => m.kind === 'sub').length).toBe(facts.subs);
    expect(messages.filter((m) => m.is_emote_only).length).toBe(facts.emoteOnly);
    expect(messages.some((m) => m.is_emote_only && m.text === 'dougWiggle')).toBe(true);
    expect(messages.reduce((sum, m) => sum + m.bits, 0)).toBe(facts.bitsTotal);
    // Equal offsets keep server-time order.
    for (let k = 1; k < messages.length; k++) {
      const a = messages[k - 1]!;
      const b = messages[k]!;
      if (a.offset_ms === b.offset_ms) expect(Date.parse(a.sent_at!)).toBeLessThanOrEqual(Date.parse(b.sent_at!));
    }
    expect(strayFiles(dir, ['chat.json', 'out.jsonl', 'out.rejects.jsonl'])).toEqual([]);
  });

  it('is cancelled by its signal', async () => {
    const dir = tempDir();
    const input = join(dir, 'chat.json');
    await writeTwitchDownloaderFile(input, { messages: 20_000 });
    const controller = new AbortController();
    const run = normalizeChat({ input, out: join(dir, 'out.jsonl') }, { signal: controller.signal, onProgress: () => controller.abort() });
    await expect(run).rejects.toThrow(/abort/i);
    expect(strayFiles(dir, ['chat.json'])).toEqual([]);
  });
});
