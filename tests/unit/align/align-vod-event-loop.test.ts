import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alignVod } from '../../../functions/align/align-vod.ts';
import type { ChatMessage } from '../../../functions/chat/chat-message.ts';
import { benchStream } from '../../bench/align-streams.ts';
import { commitChatVersion, commitWords, memoryLakeDeps, type MemoryLakeDeps } from './memory-lake.ts';

const HOURS = Number(process.env.DOUGPT_ALIGN_LOOP_HOURS ?? 3);
let deps: MemoryLakeDeps;
let messages: ChatMessage[];

/**
 * The worker runs several activities at once and each heartbeats on a timer: aligning a long VOD must
 * leave the event loop free, or heartbeats (and every other activity) stall for the whole alignment.
 */
describe('alignVod on a long VOD', () => {
  beforeAll(async () => {
    deps = await memoryLakeDeps();
    const built = await benchStream({
      seed: 21,
      durationMs: HOURS * 3_600_000,
      lagSchedule: [{ from_ms: 0, lag_ms: 5_000 }],
      wholeSecondOffsets: true,
      viewers: 550,
    });
    messages = built.messages;
    await commitWords(deps, built.stream.vodId, 'asr-long', built.stream.transcript.words);
    await commitChatVersion(deps, built.stream.vodId, 'c'.repeat(64), messages);
  }, 300_000);
  afterAll(() => deps?.dispose());

  it('keeps a 1 s timer firing while it aligns (largest gap under 1.5 s)', async () => {
    let last = performance.now();
    let maxGap = 0;
    const tick = () => {
      const now = performance.now();
      maxGap = Math.max(maxGap, now - last);
      last = now;
    };
    const timer = setInterval(tick, 1_000);
    const started = performance.now();
    try {
      const result = await alignVod({ vod_id: messages[0]!.vod_id, asr_run_id: 'asr-long' }, deps);
      expect(result.pairs + result.rejects).toBe(messages.length);
      expect(result.rows_written.pairs).toBe(messages.length);
    } finally {
      tick();
      clearInterval(timer);
    }
    const elapsed = performance.now() - started;
    // Had the alignment run on this thread, the largest gap would be about its whole duration: the
    // proof needs that duration to exceed the gap bound (three hours of chat take ~4 s on 2 cores).
    const GAP_BOUND_MS = 1_500;
    expect(elapsed).toBeGreaterThan(GAP_BOUND_MS);
    expect(maxGap).toBeLessThan(GAP_BOUND_MS);
  }, 300_000);
});
