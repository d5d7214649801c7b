import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { extensionOf, objectKeys } from '../../catalog/keys.ts';
import type { LakeDeps, RunContext } from '../deps.ts';
import { demuxAudio } from './demux-audio.ts';
import { fetchSource } from './fetch-source.ts';
import { hashFile } from './hash-file.ts';
import { failIfAsked, TestFailAt } from './injected-failure.ts';
import { probeMedia } from './probe-media.ts';
import { uploadFiles } from './upload-files.ts';

export const StageMediaInput = z.object({
  vod_id: z.string().min(1),
  video: z.string().min(1),
  test_fail_at: TestFailAt.optional(),
});
export type StageMediaInput = z.infer<typeof StageMediaInput>;

export const StagedMedia = z.object({
  vod_id: z.string(),
  video_source: z.string(),
  video_key: z.string(),
  video_sha256: z.string(),
  video_bytes: z.number(),
  duration_ms: z.number(),
  container: z.string(),
  video_codec: z.string().nullable(),
  audio_codec: z.string().nullable(),
  title: z.string().nullable(),
  created_at: z.string().nullable(),
  audio_key: z.string(),
  audio_sha256: z.string(),
  audio_bytes: z.number(),
  audio_sample_rate: z.number(),
  audio_channels: z.number(),
  audio_duration_ms: z.number(),
  /** Keys this call wrote (others existed already); what a compensation may remove. */
  written_keys: z.array(z.string()),
});
export type StagedMedia = z.infer<typeof StagedMedia>;

/**
 * Fetches a VOD, checks it is whole media with audio, demuxes 16 kHz mono FLAC, and stores both in
 * the lake under content-addressed keys. Nothing is uploaded until both checks pass, so a bad file
 * leaves no object behind; a failure or cancellation during or after the uploads removes what this
 * call uploaded; a re-run uploads nothing new.
 *
 * @example
 * await stageMedia({ vod_id: 'v1', video: './sample/stream.mp4' }, deps);
 */
export async function stageMedia(raw: StageMediaInput, deps: LakeDeps, ctx: RunContext = {}): Promise<StagedMedia> {
  const input = StageMediaInput.parse(raw);
  const work = join(deps.workDir, 'media', input.vod_id);
  await mkdir(work, { recursive: true });
  const report = (stage: string, extra: Record<string, unknown> = {}) => ctx.progress?.({ stage, ...extra });

  const fetched = await fetchSource(input.video, work, { signal: ctx.signal, onBytes: (bytes) => report('fetch', { bytes }) });
  const info = await probeMedia(fetched.path, input.video, ctx.signal);
  const video = await hashFile(fetched.path, (done, total) => report('hash', { done, total }));
  const audioPath = join(work, `${video.sha256}.flac`);
  try {
    const audioInfo = await demuxAudio(fetched.path, audioPath, info.duration_ms, {
      input: input.video,
      signal: ctx.signal,
      onProgress: (doneMs) => report('demux', { done_ms: doneMs, total_ms: info.duration_ms }),
    });
    const audio = await hashFile(audioPath);
    const videoKey = objectKeys.vod(input.vod_id, video.sha256, extensionOf(fetched.name));
    const audioKey = objectKeys.audio(input.vod_id, audio.sha256);
    report('upload');
    const uploads = await uploadFiles(
      deps.store,
      [{ key: videoKey, path: fetched.path }, { key: audioKey, path: audioPath, contentType: 'audio/flac' }],
      {
        signal: ctx.signal,
        onBytes: (key, done, total) => report('upload', { key, done, total }),
        after: () => failIfAsked(input.test_fail_at, 'media-uploaded'),
      },
    );
    return {
      vod_id: input.vod_id,
      video_source: input.video,
      video_key: videoKey,
      video_sha256: video.sha256,
      video_bytes: video.bytes,
      duration_ms: info.duration_ms,
      container: info.container,
      video_codec: info.video_codec,
      audio_codec: info.audio_codec,
      title: info.title,
      created_at: info.created_at,
      audio_key: audioKey,
      audio_sha256: audio.sha256,
      audio_bytes: audio.bytes,
      audio_sample_rate: audioInfo.sample_rate ?? 16_000,
      audio_channels: audioInfo.channels ?? 1,
      audio_duration_ms: audioInfo.duration_ms,
      written_keys: uploads.written,
    };
  } finally {
    await rm(audioPath, { force: true });
    if (fetched.source.kind !== 'file') await rm(fetched.path, { force: true });
  }
}
