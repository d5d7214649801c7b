import { describe, expect, it } from 'vitest';
import { clipWindow, MAX_CLIP_MS } from '../../../functions/review/clip-window.ts';

describe('clipWindow', () => {
  it('keeps a context that lies inside the audio', () => {
    expect(clipWindow({ start_ms: 1_000, end_ms: 9_500 }, 60_000)).toEqual({ start_ms: 1_000, end_ms: 9_500 });
  });

  it('clamps the start to 0 and the end to the audio length', () => {
    expect(clipWindow({ start_ms: -4_000, end_ms: 6_000 }, 60_000)).toEqual({ start_ms: 0, end_ms: 6_000 });
    expect(clipWindow({ start_ms: 50_000, end_ms: 75_000 }, 60_000)).toEqual({ start_ms: 50_000, end_ms: 60_000 });
  });

  it('is at most 30 s and keeps the tail, where the line reacted to is', () => {
    const w = clipWindow({ start_ms: 0, end_ms: 100_000 }, 200_000);
    expect(w).toEqual({ start_ms: 100_000 - MAX_CLIP_MS, end_ms: 100_000 });
    expect(MAX_CLIP_MS).toBe(30_000);
    expect(clipWindow({ start_ms: 10_000, end_ms: 40_000 }, 200_000)).toEqual({ start_ms: 10_000, end_ms: 40_000 });
  });

  it('never exceeds the limit after clamping either', () => {
    for (const [start, end, duration] of [[-50_000, 90_000, 80_000], [0, 31_000, 31_000], [5_123.6, 47_000.2, 46_000]] as const) {
      const w = clipWindow({ start_ms: start, end_ms: end }, duration);
      expect(w).not.toBeNull();
      expect(w!.end_ms - w!.start_ms).toBeLessThanOrEqual(MAX_CLIP_MS);
      expect(w!.start_ms).toBeGreaterThanOrEqual(0);
      expect(w!.end_ms).toBeLessThanOrEqual(duration);
      expect(Number.isInteger(w!.start_ms) && Number.isInteger(w!.end_ms)).toBe(true);
    }
  });

  it('is null when nothing of the window is inside the audio, or the window is empty', () => {
    expect(clipWindow({ start_ms: 70_000, end_ms: 80_000 }, 60_000)).toBeNull();
    expect(clipWindow({ start_ms: -9_000, end_ms: -1_000 }, 60_000)).toBeNull();
    expect(clipWindow({ start_ms: 5_000, end_ms: 5_000 }, 60_000)).toBeNull();
    expect(clipWindow({ start_ms: 5_000, end_ms: 4_000 }, 60_000)).toBeNull();
  });
});
