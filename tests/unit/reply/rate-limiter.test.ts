import { describe, expect, it } from 'vitest';
import { createRateLimiter } from '../../../functions/reply/rate-limiter.ts';

describe('token-bucket rate limiter', () => {
  it('allows a burst of N, then refuses with the wait until the next token', () => {
    let t = 0;
    const limiter = createRateLimiter({ ratePerSecond: 2, now: () => t });
    expect(limiter.take('a')).toEqual({ ok: true });
    expect(limiter.take('a')).toEqual({ ok: true });
    expect(limiter.take('a')).toEqual({ ok: false, retryAfterMs: 500 });
    t = 250;
    expect(limiter.take('a')).toEqual({ ok: false, retryAfterMs: 250 });
    t = 500;
    expect(limiter.take('a')).toEqual({ ok: true });
  });
  it('keeps clients apart', () => {
    const limiter = createRateLimiter({ ratePerSecond: 1, now: () => 0 });
    expect(limiter.take('a').ok).toBe(true);
    expect(limiter.take('a').ok).toBe(false);
    expect(limiter.take('b').ok).toBe(true);
  });
  it('refills to the burst size, not beyond', () => {
    let t = 0;
    const limiter = createRateLimiter({ ratePerSecond: 3, now: () => t });
    t = 60_000;
    const results = Array.from({ length: 5 }, () => limiter.take('a').ok);
    expect(results).toEqual([true, true, true, false, false]);
  });
  it('rejects a rate that is not positive', () => {
    expect(() => createRateLimiter({ ratePerSecond: 0 })).toThrow(RangeError);
  });
});
