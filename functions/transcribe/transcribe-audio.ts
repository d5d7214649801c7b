import { readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import type { runGpuJob, RunGpuJobOptions } from '../gpu-jobs.ts';
import type { ProgressEvent } from './transcribe-events.ts';
import { addWordNorms } from './add-word-norms.ts';
import { importCaptions } from './import-captions.ts';
import { Transcript } from './transcript.ts';

export const TRANSCRIBE_BACKENDS = ['auto', 'faster-whisper', 'pocketsphinx', 'captions'] as const;

export const TranscribeAudioInput = z
  .object({
    audio: z.string().min(1),
    out: z.string().min(1),
    backend: z.enum(TRANSCRIBE_BACKENDS).default('auto'),
    /** backend 'captions': the caption or Whisper JSON file to import instead of recognising speech. */
    captions: z.string().min(1).optional(),
    model: z.string().min(1).optional(),
    device: z.enum(['auto', 'cpu', 'cuda']).optional(),
    compute_type: z.string().min(1).optional(),
    /** Spoken language (ISO code); English-only models (tiny.en, the CPU default) refuse any other. */
    language: z.string().min(1).optional(),
    chunk_s: z.number().positive().optional(),
    overlap_s: z.number().nonnegative().optional(),
    /** Where finished chunks are kept so a rerun resumes (see resume_from_chunk). */
    chunk_dir: z.string().min(1).optional(),
    resume_from_chunk: z.number().int().nonnegative().default(0),
  })
  .refine((v) => v.backend !== 'captions' || v.captions !== undefined, {
    message: "backend 'captions' needs captions (a .vtt, .srt, .json3 or Whisper JSON file)",
    path: ['captions'],
  });
export type TranscribeAudioInput = z.input<typeof TranscribeAudioInput>;

export const TranscribeAudioOutput = z.object({
  out: z.string(),
  backend: z.string(),
  model: z.string().nullable(),
  words: z.number().int(),
  segments: z.number().int(),
  duration_ms: z.number().int().nullable(),
  chunks: z.number().int(),
  resumed_chunks: z.number().int(),
});
export type TranscribeAudioOutput = z.infer<typeof TranscribeAudioOutput>;

/** The TranscribeJob JSON the Python side reads (gpu-runner/src/dougpt_gpu/transcribe/job.py). */
export function toTranscribeJob(input: z.output<typeof TranscribeAudioInput>): Record<string, unknown> {
  const whisper: Record<string, unknown> = {};
  if (input.model !== undefined) whisper.model = input.model;
  if (input.device !== undefined) whisper.device = input.device;
  if (input.compute_type !== undefined) whisper.compute_type = input.compute_type;
  if (input.language !== undefined) whisper.language = input.language;
  const chunking: Record<string, unknown> = {};
  if (input.chunk_s !== undefined) chunking.chunk_s = input.chunk_s;
  if (input.overlap_s !== undefined) chunking.overlap_s = input.overlap_s;
  return {
    audio: input.audio,
    out: input.out,
    backend: input.backend,
    whisper,
    chunking,
    chunk_dir: input.chunk_dir ?? null,
    resume_from_chunk: input.resume_from_chunk,
  };
}

function jobMounts(input: z.output<typeof TranscribeAudioInput>): string[] {
  const dirs = [dirname(resolve(input.audio)), dirname(resolve(input.out))];
  if (input.chunk_dir) dirs.push(resolve(input.chunk_dir));
  if (input.model && (isAbsolute(input.model) || input.model.startsWith('.'))) dirs.push(resolve(input.model));
  return dirs;
}

async function writeAtomically(path: string, value: unknown): Promise<void> {
  const temp = `${path}.${process.pid}.tmp`;
  await writeFile(temp, JSON.stringify(value));
  await rename(temp, path);
}

/**
 * Transcribes one audio file to a Transcript JSON file (words with norms): imports captions in-process, or runs
 * the Python `transcribe` job through the injected runner. Throws RunnerError (kind 'bad-input' for unusable
 * input) or CaptionFormatError.
 *
 * @example
 * await transcribeAudio({ input: { audio: 'a.flac', out: 'a.json' }, runJob: runGpuJob, mode: 'process' });
 */
export async function transcribeAudio(args: {
  input: TranscribeAudioInput;
  runJob: typeof runGpuJob;
  mode: 'process' | 'container';
  /** container mode: engine and image; the audio, output, chunk and model folders are mounted. */
  container?: Omit<NonNullable<RunGpuJobOptions<'transcribe'>['container']>, 'mounts'>;
  signal?: AbortSignal;
  onProgress?: (event: ProgressEvent) => void;
}): Promise<TranscribeAudioOutput> {
  const input = TranscribeAudioInput.parse(args.input);
  if (input.backend === 'captions') {
    const transcript = await importCaptions({ path: input.captions! });
    await writeAtomically(input.out, transcript);
    const last = transcript.words.at(-1);
    return {
      out: input.out,
      backend: transcript.backend,
      model: null,
      words: transcript.words.length,
      segments: transcript.segments.length,
      duration_ms: last ? last.end_ms : null,
      chunks: 0,
      resumed_chunks: 0,
    };
  }
  const result = await args.runJob({
    job: 'transcribe',
    input: toTranscribeJob({ ...input, audio: resolve(input.audio), out: resolve(input.out) }),
    mode: args.mode,
    container: args.container && { ...args.container, mounts: jobMounts(input) },
    signal: args.signal,
    onProgress: args.onProgress,
  });
  // Norms are computed in one place (TypeScript) for every backend, so captions and ASR match the same way.
  const transcript = addWordNorms(Transcript.parse(JSON.parse(await readFile(result.out, 'utf8'))));
  await writeAtomically(result.out, transcript);
  return {
    out: result.out,
    backend: result.backend,
    model: result.model,
    words: result.words,
    segments: result.segments,
    duration_ms: result.duration_ms,
    chunks: result.chunks,
    resumed_chunks: result.resumed_chunks,
  };
}
