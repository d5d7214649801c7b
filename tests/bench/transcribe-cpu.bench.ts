/**
 * CPU transcription benchmark: real-time factor, WER and word-start error of the pocketsphinx path on
 * espeak-ng speech whose word times are known (each word rendered alone, silence trimmed, concatenated with
 * fixed gaps).
 *
 *   npx tsx tests/bench/transcribe-cpu.bench.ts [--frame-skip N] [--repeat N]
 *
 * Prints the figures, then one JSON line.
 */
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { execa } from 'execa';
import { runGpuJob } from '../../gpu-runner/worker/run-gpu-job.ts';
import { Transcript } from '../../functions/transcribe/transcript.ts';

const SENTENCES = [
  'we are going to play a video game tonight with chat',
  'thank you so much for the subscription',
  'welcome back everybody',
  'what do you think we should do next',
  'that was a really good idea',
  'let me know in the chat if you can hear me',
  'okay we have to go right now',
  'this is the best stream we have ever done',
];
const RATE = 16_000;
const WORD_GAP_MS = 120;
const SENTENCE_GAP_MS = 600;

const { values } = parseArgs({ options: { 'frame-skip': { type: 'string' }, repeat: { type: 'string', default: '4' } } });

async function renderWord(word: string): Promise<Buffer> {
  const trim = 'silenceremove=start_periods=1:start_threshold=-50dB';
  const speech = await execa('espeak-ng', ['-v', 'en-us', '-s', '150', '--stdout', word], { encoding: 'buffer' });
  const pcm = await execa(
    'ffmpeg',
    ['-v', 'error', '-i', '-', '-af', `${trim},areverse,${trim},areverse`, '-ac', '1', '-ar', String(RATE), '-f', 's16le', '-'],
    { input: speech.stdout, encoding: 'buffer' },
  );
  return Buffer.from(pcm.stdout);
}

function wavFile(pcm: Buffer): Buffer {
  const header = Buffer.alloc(44);
  header.write('RIFF', 0);
  header.writeUInt32LE(36 + pcm.length, 4);
  header.write('WAVEfmt ', 8);
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(RATE, 24);
  header.writeUInt32LE(RATE * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36);
  header.writeUInt32LE(pcm.length, 40);
  return Buffer.concat([header, pcm]);
}

const silence = (ms: number): Buffer => Buffer.alloc(Math.round((ms * RATE) / 1000) * 2);
const bytesToMs = (bytes: number): number => Math.round((bytes / 2 / RATE) * 1000);

/** Levenshtein alignment; returns the edit count and the (ref, hyp) index pairs of equal words. */
function align(ref: string[], hyp: string[]): { edits: number; matches: Array<[number, number]> } {
  const d = Array.from({ length: ref.length + 1 }, (_, i) => Array.from({ length: hyp.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= ref.length; i++)
    for (let j = 1; j <= hyp.length; j++)
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (ref[i - 1] === hyp[j - 1] ? 0 : 1));
  const matches: Array<[number, number]> = [];
  for (let i = ref.length, j = hyp.length; i > 0 && j > 0; ) {
    if (ref[i - 1] === hyp[j - 1] && d[i]![j] === d[i - 1]![j - 1]) {
      matches.push([i - 1, j - 1]);
      i--, j--;
    } else if (d[i]![j] === d[i - 1]![j - 1]! + 1) i--, j--;
    else if (d[i]![j] === d[i - 1]![j]! + 1) i--;
    else j--;
  }
  return { edits: d[ref.length]![hyp.length]!, matches: matches.reverse() };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

const frameSkip = values['frame-skip'] === undefined ? undefined : Number(values['frame-skip']);
const dir = mkdtempSync(join(tmpdir(), 'transcribe-bench-'));
try {
  const cache = new Map<string, Buffer>();
  const parts: Buffer[] = [];
  const reference: Array<{ word: string; start_ms: number }> = [];
  let bytes = 0;
  for (let r = 0; r < Number(values.repeat); r++) {
    for (const sentence of SENTENCES) {
      for (const word of sentence.split(' ')) {
        if (!cache.has(word)) cache.set(word, await renderWord(word));
        reference.push({ word, start_ms: bytesToMs(bytes) });
        for (const part of [cache.get(word)!, silence(WORD_GAP_MS)]) {
          parts.push(part);
          bytes += part.length;
        }
      }
      parts.push(silence(SENTENCE_GAP_MS));
      bytes += silence(SENTENCE_GAP_MS).length;
    }
  }
  const audio = join(dir, 'speech.wav');
  writeFileSync(audio, wavFile(Buffer.concat(parts)));
  const durationS = bytes / 2 / RATE;

  const started = performance.now();
  const result = await runGpuJob({
    job: 'transcribe',
    input: { audio, out: join(dir, 'out.json'), backend: 'pocketsphinx', pocketsphinx: frameSkip === undefined ? {} : { frame_skip: frameSkip } },
    mode: 'process',
  });
  const wallS = (performance.now() - started) / 1000;
  const transcript = Transcript.parse(JSON.parse(readFileSync(result.out, 'utf8')));
  const hyp = transcript.words.map((w) => w.word.toLowerCase());
  const { edits, matches } = align(reference.map((w) => w.word), hyp);
  const startErrors = matches.map(([i, j]) => Math.abs(transcript.words[j]!.start_ms - reference[i]!.start_ms));
  const figures = {
    bench: 'transcribe-cpu',
    backend: result.backend,
    model: result.model,
    frame_skip: frameSkip ?? 'default',
    audio_s: Number(durationS.toFixed(1)),
    words_ref: reference.length,
    words_hyp: hyp.length,
    rtf_job: Number((result.elapsed_s / durationS).toFixed(3)),
    rtf_wall: Number((wallS / durationS).toFixed(3)),
    wer: Number((edits / reference.length).toFixed(3)),
    matched_words: matches.length,
    median_start_error_ms: median(startErrors),
    p90_start_error_ms: [...startErrors].sort((a, b) => a - b)[Math.floor(startErrors.length * 0.9)] ?? null,
    cpus: (await import('node:os')).cpus().length,
  };
  process.stdout.write(
    [
      `audio ${figures.audio_s} s, ${figures.words_ref} reference words (espeak-ng en-us, word by word)`,
      `RTF ${figures.rtf_job} (job) / ${figures.rtf_wall} (wall incl. Python start) on ${figures.cpus} CPUs, goal <= 0.3`,
      `WER ${figures.wer} (${figures.words_hyp} words recognised)`,
      `word start error: median ${figures.median_start_error_ms} ms, p90 ${figures.p90_start_error_ms} ms over ${figures.matched_words} matched words`,
      JSON.stringify(figures),
    ].join('\n') + '\n',
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
