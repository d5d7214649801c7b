import { z } from 'zod';
import { parseSource, sourceName } from './source.ts';

export const IdentifyVodInput = z.object({ video: z.string().min(1), vod_id: z.string().min(1).optional() });
export type IdentifyVodInput = z.infer<typeof IdentifyVodInput>;

/**
 * The VOD id for a batch entry: the one given, else the Twitch id, else the video's file name stem
 * (lower-cased, safe for object keys and workflow ids).
 *
 * @example
 * identifyVod({ video: './sample/dougpt-sample.mp4' }) // 'dougpt-sample'
 */
export function identifyVod(raw: IdentifyVodInput): string {
  const input = IdentifyVodInput.parse(raw);
  if (input.vod_id) return sanitizeVodId(input.vod_id);
  const source = parseSource(input.video);
  if (source.kind === 'twitch') return source.id;
  const stem = sourceName(source).replace(/\.[^.]+$/, '');
  return sanitizeVodId(stem || 'vod');
}

export function sanitizeVodId(value: string): string {
  const clean = value.toLowerCase().replace(/[^a-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 80);
  if (!clean) throw new Error(`vod id ${JSON.stringify(value)} has no usable characters`);
  return clean;
}
