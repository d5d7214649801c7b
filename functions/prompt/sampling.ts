import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

/** The one sampling configuration of replies: served (reply service) and evaluated (eval job) alike. */
export const Sampling = z.object({
  description: z.string().optional(),
  temperature: z.number().positive(),
  top_p: z.number().gt(0).max(1),
  top_k: z.number().int().nonnegative(),
  /** A reply ends at the first of these (the end-of-turn token always ends it too). */
  stop: z.array(z.string().min(1)),
});
export type Sampling = z.infer<typeof Sampling>;

export const SAMPLING_PATH = fileURLToPath(new URL('./sampling.json', import.meta.url));

/** functions/prompt/sampling.json, checked. */
export const SAMPLING: Sampling = Sampling.parse(JSON.parse(readFileSync(SAMPLING_PATH, 'utf8')));

/**
 * `text` up to the first stop string, as the server's engine cuts a reply and the evaluator cuts its samples.
 *
 * @example
 * cutAtStop('W\nsecond line', ['\n']) // 'W'
 */
export function cutAtStop(text: string, stops: readonly string[]): string {
  let end = text.length;
  for (const stop of stops) {
    const at = text.indexOf(stop);
    if (at >= 0 && at < end) end = at;
  }
  return text.slice(0, end);
}
