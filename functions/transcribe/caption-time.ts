/**
 * Milliseconds from a caption timestamp: `HH:MM:SS.mmm`, `MM:SS.mmm` (WebVTT may omit hours),
 * SRT's `HH:MM:SS,mmm`, hours of any width (VODs run past 10 h).
 *
 * @example
 * captionTimeMs('00:05:04.199') // 304199
 * captionTimeMs('00:01,280')    // 1280
 */
export function captionTimeMs(text: string): number {
  const match = /^(?:(\d+):)?(\d{1,2}):(\d{2})[.,](\d{1,3})$/.exec(text.trim());
  if (!match) throw new Error(`not a caption timestamp: ${JSON.stringify(text)}`);
  const [, hours = '0', minutes, seconds, fraction] = match;
  return (
    Number(hours) * 3_600_000 + Number(minutes) * 60_000 + Number(seconds) * 1000 + Number(fraction!.padEnd(3, '0'))
  );
}
