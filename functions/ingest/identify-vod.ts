import { z } from 'zod';
import { fingerprintFile, fingerprintUrl } from './fingerprint-media.ts';
import { IngestInputError } from './ingest-error.ts';
import { parseSource } from './source.ts';

export const IdentifyVodInput = z.object({ video: z.string().min(1), vod_id: z.string().min(1).optional() });
export type IdentifyVodInput = z.infer<typeof IdentifyVodInput>;

/** Hex digits of the content fingerprint kept in a derived VOD id (64 bits). */
const ID_HEX = 16;

/**
 * The VOD id for a batch entry: the one given, else the Twitch id, else `vod-` and the start of the
 * recording's content fingerprint (size plus its first and last 8 MiB, read streaming). Never the
 * file name: two recordings both called `stream.mp4` are two VODs, one recording under two names is
 * one VOD.
 *
 * @example
 * await identifyVod({ video: './sample/stream.mp4' }) // 'vod-5f1c0a9e3b7d2c41'
 * await identifyVod({ video: './sample/stream.mp4', vod_id: 'Doug 2024-05-01' }) // 'doug-2024-05-01'
 */
export async function identifyVod(raw: IdentifyVodInput, options: { signal?: AbortSignal } = {}): Promise<string> {
  const input = IdentifyVodInput.parse(raw);
  if (input.vod_id) return sanitizeVodId(input.vod_id);
  const source = parseSource(input.video);
  switch (source.kind) {
    case 'twitch':
      return source.id;
    case 'file':
      return vodIdOf(await fingerprintFile(source.path, input.video, options.signal));
    case 'http':
      return vodIdOf(await fingerprintUrl(source.url, input.video, { signal: options.signal }));
  }
}

/** The VOD id a content fingerprint gives. */
export const vodIdOf = (fingerprint: string): string => `vod-${fingerprint.slice(0, ID_HEX)}`;

export function sanitizeVodId(value: string): string {
  const clean = value.toLowerCase().replace(/[^a-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 80);
  if (!clean) throw new IngestInputError('bad-id', `vod id ${JSON.stringify(value)}`, 'has no usable characters');
  return clean;
}
