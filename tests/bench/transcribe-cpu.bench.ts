/**
 * CPU transcription benchmark: both engines on the same held-out espeak-ng speech whose word times are known,
 * in sentences no sample script uses, spoken two ways:
 * - connected: each sentence spoken whole (words run together, as people speak), 700 ms between sentences; the
 *   true word starts come from libespeak-ng's word events (gpu-runner/tests/timed_speech.py);
 * - words: each word rendered alone, silence trimmed, joined with 120 ms gaps (how the bundled sample speaks).
 *
 *   npx tsx tests/bench/transcribe-cpu.bench.ts [--minutes 10] [--runs 1] [--speech connected,words] [--only NAME,...]
 *
 * Configurations, run one after another on the same audio, `--runs` times each:
 * - pocketsphinx: its defaults (120 s chunks, one worker process per core);
 * - whisper: the CPU default, `auto` (the embedded tiny.en, int8, Silero VAD, one process on every core);
 * - whisper-2proc: the same model in two worker processes of one thread, each decoding half the audio;
 * - whisper-novad: one process, VAD off (whether the VAD pays);
 * - whisper-raw: one process, Whisper's own word times (no forced-alignment re-timing).
 * RTF is the job's wall time over the audio's duration, Python start and model load included; the median over
 * the runs is reported with the load average, as the machine may be shared. Peak RSS is the job process's
 * plus, when chunks were decoded in worker processes, the largest worker's times the number of workers. WER and word-start error are after normalisation
 * (`scoreWords`). Prints the figures, then one JSON line. Goals (CPU default): RTF <= 0.25, peak RSS < 1.5 GiB,
 * WER <= 0.25, start error median <= 100 ms and p90 <= 250 ms.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { execa } from 'execa';
import { runGpuJob } from '../../functions/gpu-jobs.ts';
import { scoreWords, type TimedWord } from '../../functions/transcribe/score-words.ts';
import { Transcript } from '../../functions/transcribe/transcript.ts';
import { REPO_ROOT } from '../../infra/paths.ts';

/** Held out: streamer-like lines no sample script or chat simulator uses. */
const SENTENCES = [
  'we are going to play a video game tonight with chat',
  'thank you so much for the subscription',
  'welcome back everybody',
  'what do you think we should do next',
  'that was a really good idea',
  'let me know in the chat if you can hear me',
  'this is the best stream we have ever done',
  'the penguin is sliding down the mountain',
  'we need to find the key before the timer runs out',
  'somebody just donated five dollars and asked for a song',
  'i am not going to jump into the lava again',
  'the boss has three phases and the last one is the worst',
  'my computer is making a very strange noise',
  'please stop spamming the same emote in the chat',
  'we almost had it but the rope broke at the last second',
  'today we are building a castle out of cheese',
  'the moderators are doing an amazing job tonight',
  'i think the bridge is going to collapse',
  'can someone explain how this puzzle works',
  'we lost all of our money at the casino',
  'the raid is coming in from another channel',
  'i promise this is the final attempt',
  'look at the size of that chicken',
  'we have to beat the record by midnight',
  'the water level is rising very quickly',
  'i forgot to save the game before the fight',
  'who keeps changing the settings on my microphone',
  'the audience voted for the harder difficulty',
  'this car has no brakes and no steering',
  'we will take a short break and come right back',
];
const RATE = 16_000;
const WORD_GAP_MS = 120;
const SENTENCE_GAP_MS = 600;

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    runs: { type: 'string', default: '1' },
    only: { type: 'string' },
    speech: { type: 'string', default: 'connected,words' },
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

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/** `minutes` of audio from the sentence pool (a fixed shuffle, repeated as needed). */
function script(minutes: number, wordsPerSecond: number): string[] {
  const sentences: string[] = [];
  for (let n = 0, words = 0; words < minutes * 60 * wordsPerSecond; n++) {
    const sentence = SENTENCES[(n * 7) % SENTENCES.length]!;
    sentences.push(sentence);
    words += sentence.split(' ').length;
  }
  return sentences;
}

async function wordByWord(minutes: number, out: string): Promise<{ reference: TimedWord[]; durationS: number }> {
  const cache = new Map<string, Buffer>();
  const parts: Buffer[] = [];
  const reference: TimedWord[] = [];
  let bytes = 0;
  for (const sentence of script(minutes, 2.27)) {
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
  writeFileSync(out, wavFile(Buffer.concat(parts)));
  return { reference, durationS: bytes / 2 / RATE };
}

async function connected(minutes: number, out: string): Promise<{ reference: TimedWord[]; durationS: number }> {
  const wordsFile = `${out}.words.json`;
  await execa(join(REPO_ROOT, '.venv', 'bin', 'python'), [join(REPO_ROOT, 'gpu-runner', 'tests', 'timed_speech.py'), '--out', out, '--words', wordsFile], {
    input: script(minutes, 2.7).join('\n'),
  });
  const reference = JSON.parse(readFileSync(wordsFile, 'utf8')) as TimedWord[];
  return { reference, durationS: (readFileSync(out).length - 44) / 2 / RATE };
}

const minutes = Number(values.minutes);
const runs = Number(values.runs);
const dir = mkdtempSync(join(tmpdir(), 'transcribe-bench-'));
try {
  const kinds = values.speech.split(',');
  const results: Record<string, unknown> = {};
  const lines: string[] = [];
  for (const kind of kinds) {
    const audio = join(dir, `${kind}.wav`);
    const { reference, durationS } = kind === 'words' ? await wordByWord(minutes, audio) : await connected(minutes, audio);
    const half = Math.ceil(durationS / 2) + 30;
    const configs: Record<string, Record<string, unknown>> = {
      pocketsphinx: { backend: 'pocketsphinx' },
      whisper: { backend: 'auto' },
      'whisper-2proc': { backend: 'auto', whisper: { workers: 2, cpu_threads: 1 }, chunking: { chunk_s: half, overlap_s: 30 } },
      'whisper-novad': { backend: 'auto', vad: { enabled: false } },
      'whisper-raw': { backend: 'auto', whisper: { retime: false } },
    };
    const names = values.only ? values.only.split(',') : Object.keys(configs);
    const measured: Record<string, { rtf: number[]; load: number[]; rss: number[]; words?: TimedWord[]; backend?: string; model?: string | null; chunks?: number }> = {};
    for (let run = 0; run < runs; run++) {
      for (const name of names) {
        const m = (measured[name] ??= { rtf: [], load: [], rss: [] });
        const loadBefore = loadavg()[0]!;
        const started = performance.now();
        const result = await runGpuJob({ job: 'transcribe', input: { audio, out: join(dir, `${kind}-${name}.json`), ...configs[name] }, mode: 'process' });
        const wallS = (performance.now() - started) / 1000;
        const transcript = Transcript.parse(JSON.parse(readFileSync(result.out, 'utf8')));
        const workers = result.workers ?? 1;
        m.rtf.push(wallS / durationS);
        m.load.push((loadBefore + loadavg()[0]!) / 2);
        m.rss.push((result.peak_rss_mb ?? 0) + (workers > 1 ? (result.peak_rss_worker_mb ?? 0) * workers : 0));
        m.words = transcript.words;
        m.backend = result.backend;
        m.model = result.model;
        m.chunks = result.chunks;
        process.stderr.write(`${kind} run ${run + 1}/${runs} ${name}: RTF ${(wallS / durationS).toFixed(3)} (load ${loadBefore.toFixed(1)})\n`);
      }
    }
    const figures = Object.fromEntries(
      names.map((name) => {
        const m = measured[name]!;
        return [name, {
          job: configs[name],
          backend: m.backend,
          model: m.model,
          chunks: m.chunks,
          rtf: Number(median(m.rtf).toFixed(3)),
          rtf_runs: m.rtf.map((x) => Number(x.toFixed(3))),
          load_avg: Number(median(m.load).toFixed(1)),
          peak_rss_mb: Math.round(Math.max(...m.rss)),
          ...scoreWords(reference, m.words ?? []),
        }];
      }),
    );
    results[kind] = { audio_s: Number(durationS.toFixed(1)), words_ref: reference.length, figures };
    lines.push(`${kind} speech: ${durationS.toFixed(1)} s, ${reference.length} reference words (held-out espeak-ng en-us), ${cpus().length} CPUs`);
    for (const name of names) {
      const f = figures[name]!;
      lines.push(`  ${name} (${f.backend} ${f.model}, ${f.chunks} chunk(s)): RTF ${f.rtf} (load ${f.load_avg}), peak RSS ${f.peak_rss_mb} MiB, WER ${f.wer}, start error median ${f.median_start_error_ms} ms, p90 ${f.p90_start_error_ms} ms (${f.matched_words}/${f.words_ref} words matched)`);
    }
  }
  process.stdout.write([...lines, JSON.stringify({ bench: 'transcribe-cpu', runs, cpus: cpus().length, ...results })].join('\n') + '\n');
} finally {
  rmSync(dir, { recursive: true, force: true });
}
