/**
 * Per-client token buckets: each client may burst `ratePerSecond` requests, then gets one more every
 * 1/`ratePerSecond` seconds. A refused request learns how long to wait (HTTP 429 + Retry-After).
 * Buckets idle long enough to be full again are forgotten, so memory stays bounded by active clients.
 *
 * @example
 * const limiter = createRateLimiter({ ratePerSecond: 2 });
 * limiter.take('127.0.0.1') // { ok: true }
 */
export interface RateLimiter {
  take(client: string): { ok: true } | { ok: false; retryAfterMs: number };
}

export function createRateLimiter(options: { ratePerSecond: number; burst?: number; now?: () => number }): RateLimiter {
  const rate = options.ratePerSecond;
  if (!(rate > 0)) throw new RangeError(`ratePerSecond must be positive: ${rate}`);
  const capacity = Math.max(1, options.burst ?? rate);
  const now = options.now ?? (() => performance.now());
  const buckets = new Map<string, { tokens: number; at: number }>();
  const fullAfterMs = (capacity / rate) * 1000;
  let lastSweep = now();
  return {
    take(client) {
      const t = now();
      if (t - lastSweep > Math.max(fullAfterMs, 10_000)) {
        for (const [key, b] of buckets) if (t - b.at >= fullAfterMs) buckets.delete(key);
        lastSweep = t;
      }
      const bucket = buckets.get(client) ?? { tokens: capacity, at: t };
      bucket.tokens = Math.min(capacity, bucket.tokens + ((t - bucket.at) / 1000) * rate);
      bucket.at = t;
      buckets.set(client, bucket);
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return { ok: true };
      }
      return { ok: false, retryAfterMs: Math.ceil(((1 - bucket.tokens) / rate) * 1000) };
    },
  };
}
