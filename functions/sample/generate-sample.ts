import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { encodeSampleVideo } from './encode-sample-video.ts';
import { LagStep, MessageCategory } from './ground-truth.ts';
import { estimateWordDurationMs, layOutUtterances } from './lay-out-utterances.ts';
import { mixSpeech } from './mix-speech.ts';
import { simulateStream, DEFAULT_VIEWERS } from './simulate-stream.ts';
import { clipKey, speakWords } from './speak-words.ts';
import type { Voice } from './streamer-script.ts';
import { durationMs as clipDurationMs, encodeWav, type Pcm } from './wav.ts';

export const GenerateSampleInput = z.object({
  outDir: z.string().min(1),
  seed: z.number().int().default(1),
  durationMs: z.number().int().min(5_000).max(6 * 3_600_000).default(180_000),
  lagSchedule: z.array(LagStep).min(1).default([{ from_ms: 0, lag_ms: 5000 }]),
  wholeSecondOffsets: z.boolean().default(false),
  viewers: z.number().int().min(1).default(DEFAULT_VIEWERS),
});
export type GenerateSampleInput = z.input<typeof GenerateSampleInput>;

export const GenerateSampleOutput = z.object({
  name: z.string(),
  vod_id: z.string(),
  seed: z.number().int(),
  duration_ms: z.number().int(),
  lag_schedule: z.array(LagStep),
  whole_second_offsets: z.boolean(),
  files: z.object({ video: z.string(), chat: z.string(), truth: z.string(), transcript: z.string() }),
  video_sha256: z.string(),
  utterances: z.number().int(),
  words: z.number().int(),
  messages: z.number().int(),
  by_category: z.record(MessageCategory, z.number().int()),
});
export type GenerateSampleOutput = z.infer<typeof GenerateSampleOutput>;

export interface GenerateSampleProgress {
  stage: 'speech' | 'video';
  done: number;
  total: number;
}

const SAMPLE_RATE = 22_050;

/** The file stem for a seed: stable, so the demo and tests can name the files in advance. */
export const sampleName = (seed: number): string => `dougpt-sample-seed${seed}`;

/**
 * Speaks every word the layout needs. Real lengths can pull later lines into the stream that the
 * previous pass did not reach, so lay out again until no word is missing (the script's vocabulary
 * is finite, so this ends; usually after two passes).
 */
async function speakScript(
  seed: number,
  durationMs: number,
  hooks: { signal?: AbortSignal; onProgress?: (p: GenerateSampleProgress) => void },
): Promise<Map<string, Pcm>> {
  const clips = new Map<string, Pcm>();
  for (;;) {
    const missing = new Map<string, { word: string; voice: Voice }>();
    layOutUtterances({
      seed,
      durationMs,
      wordDurationMs: (word, voice) => {
        const clip = clips.get(clipKey(word, voice));
        if (clip) return clipDurationMs(clip);
        missing.set(clipKey(word, voice), { word, voice });
        return estimateWordDurationMs(word, voice);
      },
    });
    if (missing.size === 0) return clips;
    const before = clips.size;
    const spoken = await speakWords([...missing.values()], {
      signal: hooks.signal,
      onWord: (n) => hooks.onProgress?.({ stage: 'speech', done: before + n, total: before + missing.size }),
    });
    for (const [key, clip] of spoken) clips.set(key, clip);
  }
}

/**
 * Writes the bundled synthetic sample to `outDir`: `<name>.mp4` (espeak-ng speech over a test
 * pattern), `<name>.chat.json` (TwitchDownloader format), `<name>.truth.json` (ground truth) and
 * `<name>.transcript.json` (ground-truth transcript). Same input, same chat/truth/transcript bytes
 * and the same audio samples.
 *
 * @example
 * const out = await generateSample({ outDir: 'out/sample', seed: 1, durationMs: 180_000 });
 * out.files.chat; // 'out/sample/dougpt-sample-seed1.chat.json'
 */
export async function generateSample(
  rawInput: GenerateSampleInput,
  hooks: { signal?: AbortSignal; onProgress?: (p: GenerateSampleProgress) => void } = {},
): Promise<GenerateSampleOutput> {
  const parsed = GenerateSampleInput.safeParse(rawInput);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`generateSample input ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`);
  }
  const input = parsed.data;
  const clips = await speakScript(input.seed, input.durationMs, hooks);
  const stream = simulateStream({
    seed: input.seed,
    durationMs: input.durationMs,
    lagSchedule: input.lagSchedule,
    wholeSecondOffsets: input.wholeSecondOffsets,
    viewers: input.viewers,
    wordDurationMs: (word, voice) => {
      const clip = clips.get(clipKey(word, voice));
      if (!clip) throw new Error(`word "${word}" (${voice}) was not spoken`);
      return clipDurationMs(clip);
    },
  });
  const speech = mixSpeech({ utterances: stream.utterances, clips, durationMs: input.durationMs, sampleRate: SAMPLE_RATE });

  const name = sampleName(input.seed);
  const files = {
    video: join(input.outDir, `${name}.mp4`),
    chat: join(input.outDir, `${name}.chat.json`),
    truth: join(input.outDir, `${name}.truth.json`),
    transcript: join(input.outDir, `${name}.transcript.json`),
  };
  await mkdir(input.outDir, { recursive: true });
  const work = await mkdtemp(join(tmpdir(), 'dougpt-sample-'));
  try {
    const wavPath = join(work, 'speech.wav');
    await writeFile(wavPath, encodeWav(speech));
    hooks.onProgress?.({ stage: 'video', done: 0, total: 1 });
    // Encode beside the target and rename, so an interrupted run never leaves a half-written mp4.
    const partial = join(input.outDir, `.${name}.mp4.partial`);
    try {
      await encodeSampleVideo({ wavPath, outPath: partial, durationMs: input.durationMs, signal: hooks.signal });
      await rename(partial, files.video);
    } finally {
      await rm(partial, { force: true });
    }
    hooks.onProgress?.({ stage: 'video', done: 1, total: 1 });
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  // TwitchDownloader writes compact JSON; the truth and transcript are for people to read too.
  await writeFile(files.chat, JSON.stringify(stream.chat));
  await writeFile(files.truth, `${JSON.stringify(stream.truth, null, 2)}\n`);
  await writeFile(files.transcript, `${JSON.stringify(stream.transcript, null, 2)}\n`);

  const byCategory = Object.fromEntries(MessageCategory.options.map((c) => [c, 0])) as Record<MessageCategory, number>;
  for (const m of stream.truth.messages) byCategory[m.category] += 1;
  return GenerateSampleOutput.parse({
    name,
    vod_id: stream.vodId,
    seed: input.seed,
    duration_ms: input.durationMs,
    lag_schedule: input.lagSchedule,
    whole_second_offsets: input.wholeSecondOffsets,
    files,
    video_sha256: createHash('sha256').update(await readFile(files.video)).digest('hex'),
    utterances: stream.utterances.length,
    words: stream.transcript.words.length,
    messages: stream.truth.messages.length,
    by_category: byCategory,
  });
}
