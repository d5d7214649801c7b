import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runGpuJob } from '../gpu-jobs.ts';
import { transcribeAudio } from '../transcribe/transcribe-audio.ts';
import { Transcript } from '../transcribe/transcript.ts';

/**
 * The streamer's words in an audio clip, for `dougpt reply --audio`: transcribed as `dougpt transcribe`
 * does (`auto`: Whisper on a GPU, the embedded tiny.en on a CPU, else pocketsphinx; or the `backend`
 * given), the last `maxMs` of speech joined into one context.
 *
 * @example
 * const context = await contextFromAudio('clip.wav'); // 'okay chat we are going left'
 */
export async function contextFromAudio(path: string, options: { backend?: 'auto' | 'pocketsphinx' | 'faster-whisper'; maxMs?: number; signal?: AbortSignal } = {}): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'dougpt-reply-audio-'));
  try {
    const out = join(dir, 'transcript.json');
    await transcribeAudio({ input: { audio: path, out, backend: options.backend ?? 'auto' }, runJob: runGpuJob, mode: 'process', signal: options.signal });
    const { words } = Transcript.parse(JSON.parse(await readFile(out, 'utf8')));
    const end = words.at(-1)?.end_ms ?? 0;
    const from = end - (options.maxMs ?? 30_000);
    return words
      .filter((w) => w.start_ms >= from)
      .map((w) => w.word)
      .join(' ');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
