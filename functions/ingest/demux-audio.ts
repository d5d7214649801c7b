import { execa } from 'execa';
import { IngestInputError } from './ingest-error.ts';
import { probeMedia, type MediaInfo } from './probe-media.ts';

export const AUDIO_SAMPLE_RATE = 16_000;

/** How much shorter than the container the decoded audio may be before the file counts as truncated. */
export const TRUNCATION_TOLERANCE_MS = 1_500;

/**
 * Decodes the first audio stream into 16 kHz mono FLAC (what ASR wants), reporting progress in ms of
 * media time, and checks the whole stream decoded: a truncated file yields less audio than it claims.
 *
 * @example
 * const audio = await demuxAudio('/data/vod.mp4', '/tmp/vod.flac', info.duration_ms);
 */
export async function demuxAudio(
  videoPath: string,
  outPath: string,
  expectedMs: number,
  options: { input?: string; signal?: AbortSignal; onProgress?: (doneMs: number) => void } = {},
): Promise<MediaInfo> {
  const input = options.input ?? videoPath;
  const child = execa(
    'ffmpeg',
    ['-nostdin', '-v', 'error', '-y', '-i', videoPath, '-map', '0:a:0', '-vn', '-ac', '1', '-ar', String(AUDIO_SAMPLE_RATE),
      '-c:a', 'flac', '-map_metadata', '-1', '-fflags', '+bitexact', '-flags:a', '+bitexact', '-progress', 'pipe:1', outPath],
    { reject: false, cancelSignal: options.signal, buffer: { stdout: false } },
  );
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (text: string) => {
    const match = /out_time_us=(\d+)/.exec(text);
    if (match?.[1]) options.onProgress?.(Math.floor(Number(match[1]) / 1000));
  });
  const result = await child;
  if (options.signal?.aborted) throw options.signal.reason;
  if (result.exitCode !== 0) {
    const reason = String(result.stderr).trim().split('\n').pop() ?? 'ffmpeg failed';
    throw new IngestInputError('truncated', input, `audio could not be decoded (${reason})`);
  }
  const audio = await probeMedia(outPath, input, options.signal);
  if (audio.duration_ms + TRUNCATION_TOLERANCE_MS < expectedMs) {
    throw new IngestInputError('truncated', input, `truncated: ${audio.duration_ms} ms of audio decoded, container says ${expectedMs} ms`);
  }
  return audio;
}
