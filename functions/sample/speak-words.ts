import { execa } from 'execa';
import { toolError } from './sample-tool-error.ts';
import type { Voice } from './streamer-script.ts';
import { parseWav, trimSilence, type Pcm } from './wav.ts';

/** espeak-ng settings per voice: fixed, so every run speaks every word identically. */
const VOICE_ARGS: Record<Voice, string[]> = {
  normal: ['-v', 'en-us', '-s', '165', '-p', '45'],
  yell: ['-v', 'en-us', '-s', '185', '-p', '72', '-a', '130'],
};

/** Map key of a spoken word: the same word yelled is a different clip. */
export const clipKey = (word: string, voice: Voice): string => `${voice}|${word}`;

/**
 * Speaks one word with espeak-ng and trims the silence around it.
 *
 * @example
 * const pcm = await speakWord('bird', 'yell'); // 22050 Hz mono
 */
export async function speakWord(word: string, voice: Voice, signal?: AbortSignal): Promise<Pcm> {
  try {
    const { stdout } = await execa('espeak-ng', [...VOICE_ARGS[voice], '-z', '--stdout', word], {
      encoding: 'buffer',
      cancelSignal: signal,
    });
    const clip = trimSilence(parseWav(stdout));
    if (clip.samples.length === 0) throw new Error(`espeak-ng produced silence for "${word}"`);
    return clip;
  } catch (error) {
    if (error instanceof Error && error.message.startsWith('espeak-ng produced')) throw error;
    throw toolError('espeak-ng', error);
  }
}

/**
 * Speaks many words, two espeak-ng processes at a time, reporting each finished word.
 *
 * @example
 * const clips = await speakWords([{ word: 'bird', voice: 'normal' }], { onWord: (n) => bar.update(n) });
 */
export async function speakWords(
  words: ReadonlyArray<{ word: string; voice: Voice }>,
  opts: { concurrency?: number; signal?: AbortSignal; onWord?: (done: number) => void } = {},
): Promise<Map<string, Pcm>> {
  const clips = new Map<string, Pcm>();
  let next = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    while (next < words.length) {
      const { word, voice } = words[next++] as { word: string; voice: Voice };
      clips.set(clipKey(word, voice), await speakWord(word, voice, opts.signal));
      opts.onWord?.(++done);
    }
  };
  await Promise.all(Array.from({ length: Math.min(opts.concurrency ?? 2, words.length) }, worker));
  return clips;
}
