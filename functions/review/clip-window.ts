/** Longest clip the review page plays: the context of a pair is at most 30 s too. */
export const MAX_CLIP_MS = 30_000;

export interface ClipWindow {
  start_ms: number;
  end_ms: number;
}

/**
 * The stretch of audio to play for a pair's context: its bounds clamped to the audio, and at most
 * `maxMs` long. A longer context keeps its tail, which holds the line the message reacts to.
 * Returns null when nothing of the window lies inside the audio.
 *
 * @example
 * clipWindow({ start_ms: -2_000, end_ms: 8_000 }, 60_000) // { start_ms: 0, end_ms: 8_000 }
 */
export function clipWindow(context: ClipWindow, audioDurationMs: number, maxMs = MAX_CLIP_MS): ClipWindow | null {
  const clamp = (t: number) => Math.min(Math.max(Math.round(t), 0), Math.max(0, Math.round(audioDurationMs)));
  const end = clamp(context.end_ms);
  const start = Math.max(clamp(context.start_ms), end - maxMs);
  if (!(end > start)) return null;
  return { start_ms: start, end_ms: end };
}
