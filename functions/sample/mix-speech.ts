import type { Utterance } from './ground-truth.ts';
import { clipKey } from './speak-words.ts';
import type { Pcm } from './wav.ts';

/**
 * Lays every word's clip onto one silent track at the sample nearest its ground-truth start, so
 * the audio says exactly what the truth file claims, where it claims it.
 *
 * @example
 * const track = mixSpeech({ utterances, clips, durationMs: 180_000, sampleRate: 22050 });
 */
export function mixSpeech(opts: {
  utterances: readonly Utterance[];
  clips: ReadonlyMap<string, Pcm>;
  durationMs: number;
  sampleRate: number;
}): Pcm {
  const samples = new Int16Array(Math.round((opts.durationMs * opts.sampleRate) / 1000));
  for (const u of opts.utterances) {
    for (const w of u.words) {
      const clip = opts.clips.get(clipKey(w.word, u.voice));
      if (!clip) throw new Error(`no audio for word "${w.word}" (${u.voice})`);
      if (clip.sampleRate !== opts.sampleRate) throw new Error(`clip "${w.word}" is ${clip.sampleRate} Hz, track is ${opts.sampleRate} Hz`);
      const at = Math.round((w.start_ms * opts.sampleRate) / 1000);
      if (at + clip.samples.length > samples.length) throw new Error(`word "${w.word}" at ${w.start_ms} ms runs past the end`);
      samples.set(clip.samples, at);
    }
  }
  return { sampleRate: opts.sampleRate, samples };
}
