import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { generateSample, GenerateSampleOutput } from '../../../functions/sample/generate-sample.ts';
import { GroundTruth } from '../../../functions/sample/ground-truth.ts';
import { TwitchDownloaderChatFile } from '../../../functions/sample/twitch-downloader-chat-file.ts';
import { Transcript } from '../../../functions/transcribe/transcript.ts';

const haveTools = [['ffmpeg', '-version'], ['ffprobe', '-version'], ['espeak-ng', '--version']].every(
  ([tool, flag]) => spawnSync(tool as string, [flag as string]).status === 0,
);
const SAMPLE_RATE = 22_050;
const DURATION_MS = 20_000;

async function decodeAudio(path: string): Promise<Int16Array> {
  const { stdout } = await execa('ffmpeg', ['-v', 'error', '-i', path, '-map', '0:a:0', '-f', 's16le', '-ac', '1', '-ar', String(SAMPLE_RATE), '-'], {
    encoding: 'buffer',
  });
  return new Int16Array(stdout.buffer, stdout.byteOffset, stdout.byteLength / 2);
}

function rms(samples: Int16Array, fromMs: number, toMs: number): number {
  const a = Math.max(0, Math.round((fromMs * SAMPLE_RATE) / 1000));
  const b = Math.min(samples.length, Math.round((toMs * SAMPLE_RATE) / 1000));
  let sum = 0;
  for (let i = a; i < b; i++) sum += (samples[i] as number) ** 2;
  return Math.sqrt(sum / Math.max(1, b - a));
}

describe.skipIf(!haveTools)('generateSample (espeak-ng + ffmpeg)', () => {
  let dirs: string[] = [];
  let first: GenerateSampleOutput;
  let second: GenerateSampleOutput;

  beforeAll(async () => {
    dirs = [await mkdtemp(join(tmpdir(), 'dougpt-sample-a-')), await mkdtemp(join(tmpdir(), 'dougpt-sample-b-'))];
    const input = { seed: 3, durationMs: DURATION_MS, lagSchedule: [{ from_ms: 0, lag_ms: 4000 }, { from_ms: 10_000, lag_ms: 7000 }] };
    first = await generateSample({ ...input, outDir: dirs[0]! });
    second = await generateSample({ ...input, outDir: dirs[1]! });
  }, 120_000);

  afterAll(async () => {
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  });

  it('writes the same chat, truth and transcript bytes and the same audio samples twice', async () => {
    for (const key of ['chat', 'truth', 'transcript'] as const) {
      expect(await readFile(second.files[key], 'utf8')).toBe(await readFile(first.files[key], 'utf8'));
    }
    const hash = async (path: string): Promise<string> => createHash('sha256').update(await decodeAudio(path)).digest('hex');
    expect(await hash(second.files.video)).toBe(await hash(first.files.video));
  });

  it('writes files that parse with their schemas and agree with the summary', async () => {
    const chat = TwitchDownloaderChatFile.parse(JSON.parse(await readFile(first.files.chat, 'utf8')));
    const truth = GroundTruth.parse(JSON.parse(await readFile(first.files.truth, 'utf8')));
    const transcript = Transcript.parse(JSON.parse(await readFile(first.files.transcript, 'utf8')));
    expect(chat.comments.length).toBe(first.messages);
    expect(truth.messages.length).toBe(first.messages);
    expect(truth.utterances.length).toBe(first.utterances);
    expect(transcript.words.length).toBe(first.words);
    expect(chat.video.id).toBe(first.vod_id);
    expect(first.by_category.reaction).toBeGreaterThan(0);
  });

  it('has an AAC audio stream and a video stream of the requested length', async () => {
    const { stdout } = await execa('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_type,codec_name,duration', '-of', 'json', first.files.video]);
    const streams = (JSON.parse(stdout) as { streams: Array<{ codec_type: string; codec_name: string; duration: string }> }).streams;
    const audio = streams.find((s) => s.codec_type === 'audio');
    expect(audio?.codec_name).toBe('aac');
    expect(Math.abs(Number(audio?.duration) * 1000 - DURATION_MS)).toBeLessThan(100);
    expect(streams.some((s) => s.codec_type === 'video')).toBe(true);
    const decoded = await decodeAudio(first.files.video);
    expect(Math.abs((decoded.length / SAMPLE_RATE) * 1000 - DURATION_MS)).toBeLessThan(100);
  });

  it('places every word where the audio speaks it, in order and inside the stream', async () => {
    const truth = GroundTruth.parse(JSON.parse(await readFile(first.files.truth, 'utf8')));
    const audio = await decodeAudio(first.files.video);
    const speech = rms(audio, truth.utterances[0]!.start_ms, truth.utterances.at(-1)!.end_ms);
    expect(truth.utterances.length).toBeGreaterThan(2);
    let previousEnd = 0;
    for (const u of truth.utterances) {
      for (const w of u.words) {
        expect(w.start_ms).toBeGreaterThanOrEqual(previousEnd);
        expect(w.end_ms).toBeGreaterThan(w.start_ms);
        // Each word's interval carries sound.
        expect(rms(audio, w.start_ms, w.end_ms)).toBeGreaterThan(speech * 0.3);
        previousEnd = w.end_ms;
      }
    }
    expect(previousEnd).toBeLessThanOrEqual(DURATION_MS);
    // The pauses between lines are silent up to 30 ms from the word edges: the truth is that tight.
    const silentBefore = rms(audio, 0, truth.utterances[0]!.start_ms - 30);
    expect(silentBefore).toBeLessThan(speech * 0.02);
    for (let i = 1; i < truth.utterances.length; i++) {
      const gapFrom = truth.utterances[i - 1]!.end_ms + 30;
      const gapTo = truth.utterances[i]!.start_ms - 30;
      if (gapTo - gapFrom > 50) expect(rms(audio, gapFrom, gapTo)).toBeLessThan(speech * 0.02);
    }
  });
});
