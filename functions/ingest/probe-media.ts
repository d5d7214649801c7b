import { execa } from 'execa';
import { z } from 'zod';
import { IngestInputError } from './ingest-error.ts';

const FfprobeStream = z.object({
  codec_type: z.string().optional(),
  codec_name: z.string().optional(),
  sample_rate: z.string().optional(),
  channels: z.number().optional(),
  duration: z.string().optional(),
});
const FfprobeOutput = z.object({
  streams: z.array(FfprobeStream).default([]),
  format: z
    .object({
      format_name: z.string().optional(),
      duration: z.string().optional(),
      tags: z.record(z.string(), z.string()).optional(),
    })
    .optional(),
});

export interface MediaInfo {
  container: string;
  duration_ms: number;
  video_codec: string | null;
  audio_codec: string | null;
  sample_rate: number | null;
  channels: number | null;
  title: string | null;
  /** The container's creation time, when it records one (ISO-8601). */
  created_at: string | null;
}

/** Reads what ffprobe printed (`-show_format -show_streams -of json`); throws when it is no usable media. */
export function parseFfprobe(json: unknown, input: string): MediaInfo {
  const parsed = FfprobeOutput.safeParse(json);
  if (!parsed.success) throw new IngestInputError('not-media', input, 'ffprobe output not understood');
  const { streams, format } = parsed.data;
  const video = streams.find((s) => s.codec_type === 'video');
  const audio = streams.find((s) => s.codec_type === 'audio');
  if (!video && !audio) throw new IngestInputError('not-media', input, 'not a media file (no audio or video stream)');
  if (!audio) throw new IngestInputError('no-audio', input, 'has no audio stream to transcribe');
  const seconds = Number(format?.duration ?? audio.duration ?? Number.NaN);
  if (!Number.isFinite(seconds) || seconds <= 0) throw new IngestInputError('truncated', input, 'media has no duration (truncated?)');
  const tags = format?.tags ?? {};
  const created = tags.creation_time ?? null;
  return {
    container: format?.format_name ?? 'unknown',
    duration_ms: Math.round(seconds * 1000),
    video_codec: video?.codec_name ?? null,
    audio_codec: audio.codec_name ?? null,
    sample_rate: audio.sample_rate ? Number(audio.sample_rate) : null,
    channels: audio.channels ?? null,
    title: tags.title ?? null,
    created_at: created && !Number.isNaN(Date.parse(created)) ? new Date(created).toISOString() : null,
  };
}

/**
 * Probes a media file with ffprobe.
 *
 * @example
 * const info = await probeMedia('/data/vod.mp4'); // info.duration_ms
 */
export async function probeMedia(path: string, input = path, signal?: AbortSignal): Promise<MediaInfo> {
  const result = await execa('ffprobe', ['-v', 'error', '-show_format', '-show_streams', '-of', 'json', path], {
    reject: false,
    cancelSignal: signal,
  });
  if (signal?.aborted) throw signal.reason;
  if (result.exitCode !== 0) {
    const reason = result.stderr.trim().split('\n').pop() ?? 'ffprobe failed';
    const truncated = /moov atom not found|Invalid data found|End of file/i.test(reason);
    throw new IngestInputError(truncated ? 'truncated' : 'not-media', input, `not readable media (${reason.replace(/^.*?: /, '')})`);
  }
  return parseFfprobe(JSON.parse(result.stdout), input);
}
