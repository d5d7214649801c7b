import { execa } from 'execa';
import { toolError } from './sample-tool-error.ts';

/** Small and cheap: the video only has to exist and show time passing (testsrc draws a running counter). */
const VIDEO = { size: '320x180', fps: 10 } as const;

/**
 * Muxes a speech WAV with a generated test-pattern video into an H.264/AAC mp4 of exactly
 * `durationMs`. Bit-exact flags and no metadata keep the file free of versions and dates, so the
 * same input gives the same bytes with the same ffmpeg build.
 *
 * @example
 * await encodeSampleVideo({ wavPath: '/tmp/speech.wav', outPath: 'out/sample.mp4', durationMs: 180_000 });
 */
export async function encodeSampleVideo(opts: {
  wavPath: string;
  outPath: string;
  durationMs: number;
  signal?: AbortSignal;
}): Promise<void> {
  const seconds = (opts.durationMs / 1000).toFixed(3);
  const args = [
    '-hide_banner', '-nostdin', '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', `testsrc=size=${VIDEO.size}:rate=${VIDEO.fps}:duration=${seconds}`,
    '-i', opts.wavPath,
    '-map', '0:v:0', '-map', '1:a:0',
    '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '32', '-pix_fmt', 'yuv420p', '-threads', '1',
    // The fast AAC coder is several times quicker than the default and plenty for synthetic speech.
    '-c:a', 'aac', '-aac_coder', 'fast', '-b:a', '64k',
    '-t', seconds,
    '-map_metadata', '-1', '-map_chapters', '-1',
    '-fflags', '+bitexact', '-flags:v', '+bitexact', '-flags:a', '+bitexact',
    '-movflags', '+faststart',
    '-f', 'mp4', opts.outPath,
  ];
  try {
    await execa('ffmpeg', args, { cancelSignal: opts.signal });
  } catch (error) {
    throw toolError('ffmpeg', error);
  }
}
