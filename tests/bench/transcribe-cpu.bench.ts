/**
 * CPU transcription benchmark: real-time factor, WER and word-start error of the pocketsphinx path on
 * espeak-ng speech whose word times are known (each word rendered alone, silence trimmed, concatenated with
 * fixed gaps).
 *
 *   npx tsx tests/bench/transcribe-cpu.bench.ts [--runs N] [--workers N] [--frame-skip N] [--repeat N]
 *
 * Runs two configurations on the same audio, alternating, `--runs` times each (default 3):
 * - baseline: one process, 600 s chunks (the audio is one chunk), as before parallel decoding;
 * - default: the runner's defaults (pocketsphinx chunks of at most 120 s, one worker process per core;
 *   `--workers N` sets the worker count).
 * RTF is the job's wall time, Python start included, over the audio's duration; the median over the runs is
 * reported with the load average, as the machine may be shared. WER and word-start error are given over all
 * words and over the words inside the default plan's chunk overlaps (the seams), for both configurations.
 * Prints the figures, then one JSON line.
 */
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { execa } from 'execa';
import { z } from 'zod';
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

const { values } = parseArgs({
  options: {
    'frame-skip': { type: 'string' },
    repeat: { type: 'string', default: '4' },
    runs: { type: 'string', default: '3' },
    workers: { type: 'string' },
  },
});

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

/** Chunk bounds as gpu-runner's plan_chunks cuts them (equal lengths, neighbours sharing `overlapMs`). */
function planChunks(totalMs: number, chunkMs: number, overlapMs: number): Array<{ start: number; end: number }> {
  const span = totalMs - overlapMs;
  const count = Math.max(1, Math.ceil(span / (chunkMs - overlapMs)));
  if (count === 1) return [{ start: 0, end: totalMs }];
  const starts = Array.from({ length: count }, (_, i) => Math.floor((i * span) / count));
  return starts.map((start, i) => ({ start, end: i + 1 < count ? starts[i + 1]! + overlapMs : totalMs }));
}

interface Scored {
  wer: number;
  words_hyp: number;
  matched_words: number;
  median_start_error_ms: number;
  p90_start_error_ms: number | null;
}

function score(ref: Array<{ word: string; start_ms: number }>, words: Array<{ word: string; start_ms: number }>): Scored {
  const hyp = words.map((w) => w.word.toLowerCase());
  const { edits, matches } = align(ref.map((w) => w.word), hyp);
  const startErrors = matches.map(([i, j]) => Math.abs(words[j]!.start_ms - ref[i]!.start_ms));
  return {
    wer: Number((edits / ref.length).toFixed(3)),
    words_hyp: hyp.length,
    matched_words: matches.length,
    median_start_error_ms: median(startErrors),
    p90_start_error_ms: [...startErrors].sort((a, b) => a - b)[Math.floor(startErrors.length * 0.9)] ?? null,
  };
}

const frameSkip = values['frame-skip'] === undefined ? undefined : Number(values['frame-skip']);
const workers = values.workers === undefined ? undefined : Number(values.workers);
const runs = Number(values.runs);
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

  const sphinx = { ...(frameSkip === undefined ? {} : { frame_skip: frameSkip }) };
  const configs = {
    baseline: { pocketsphinx: { ...sphinx, workers: 1 }, chunking: { chunk_s: 600, overlap_s: 30 } },
    default: { pocketsphinx: { ...sphinx, ...(workers === undefined ? {} : { workers }) } },
  } as const;
  type Name = keyof typeof configs;
  const measured: Record<Name, { rtf: number[]; rtfJob: number[]; load: number[]; words?: Transcript['words']; config?: unknown; chunks?: number; same: boolean }> = {
    baseline: { rtf: [], rtfJob: [], load: [], same: true },
    default: { rtf: [], rtfJob: [], load: [], same: true },
  };
  for (let run = 0; run < runs; run++) {
    for (const name of Object.keys(configs) as Name[]) {
      const loadBefore = loadavg()[0]!;
      const started = performance.now();
      const result = await runGpuJob({
        job: 'transcribe',
        input: { audio, out: join(dir, `${name}.json`), backend: 'pocketsphinx', ...configs[name] },
        mode: 'process',
      });
      const wallS = (performance.now() - started) / 1000;
      const transcript = Transcript.parse(JSON.parse(readFileSync(result.out, 'utf8')));
      const m = measured[name];
      m.rtf.push(wallS / durationS);
      m.rtfJob.push(result.elapsed_s / durationS);
      m.load.push((loadBefore + loadavg()[0]!) / 2);
      if (m.words !== undefined && JSON.stringify(m.words) !== JSON.stringify(transcript.words)) m.same = false;
      m.words = transcript.words;
      m.config = transcript.config;
      m.chunks = result.chunks;
      process.stderr.write(`run ${run + 1}/${runs} ${name}: RTF ${(wallS / durationS).toFixed(3)} (load ${loadBefore.toFixed(1)})\n`);
    }
  }

  const chunking = z.object({ chunk_s: z.number(), overlap_s: z.number() }).parse((measured.default.config as { chunking: unknown }).chunking);
  const plan = planChunks(Math.round(durationS * 1000), chunking.chunk_s * 1000, chunking.overlap_s * 1000);
  const seams = plan.slice(1).map((chunk, i) => ({ start: chunk.start, end: plan[i]!.end }));
  const inSeam = (ms: number): boolean => seams.some((s) => ms >= s.start && ms < s.end);
  const seamRef = reference.filter((w) => inSeam(w.start_ms));
  const figuresOf = (name: Name) => {
    const m = measured[name];
    const words = m.words ?? [];
    return {
      job: configs[name],
      chunks: m.chunks,
      rtf_wall: Number(median(m.rtf).toFixed(3)),
      rtf_wall_runs: m.rtf.map((x) => Number(x.toFixed(3))),
      rtf_job: Number(median(m.rtfJob).toFixed(3)),
      load_avg: Number(median(m.load).toFixed(1)),
      same_words_every_run: m.same,
      ...score(reference, words),
      seam: score(seamRef, words.filter((w) => inSeam(w.start_ms))),
    };
  };
  const figures = { baseline: figuresOf('baseline'), default: figuresOf('default') };
  const summary = {
    bench: 'transcribe-cpu',
    backend: 'pocketsphinx',
    frame_skip: frameSkip ?? 'default',
    audio_s: Number(durationS.toFixed(1)),
    words_ref: reference.length,
    seam_windows_ms: seams,
    seam_words_ref: seamRef.length,
    runs,
    cpus: cpus().length,
    ...figures,
  };
  const line = (name: Name): string[] => {
    const f = figures[name];
    return [
      `${name}: RTF ${f.rtf_wall} (median wall incl. Python start over ${runs} runs; job alone ${f.rtf_job}), ${f.chunks} chunk(s), load avg ${f.load_avg}`,
      `  WER ${f.wer} (${f.words_hyp} words recognised); word start error median ${f.median_start_error_ms} ms, p90 ${f.p90_start_error_ms} ms over ${f.matched_words} matched words`,
      `  at the seams: WER ${f.seam.wer}, ${f.seam.matched_words}/${seamRef.length} words matched, start error median ${f.seam.median_start_error_ms} ms${f.same_words_every_run ? '' : '; WORDS DIFFERED BETWEEN RUNS'}`,
    ];
  };
  process.stdout.write(
    [
      `audio ${summary.audio_s} s, ${reference.length} reference words (espeak-ng en-us, word by word), ${summary.cpus} CPUs, goal RTF <= 0.3`,
      ...line('baseline'),
      ...line('default'),
      JSON.stringify(summary),
    ].join('\n') + '\n',
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
