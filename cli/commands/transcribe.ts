import { type Command, Option } from 'commander';
import cliProgress from 'cli-progress';
import { CaptionFormatError } from '../../functions/transcribe/import-captions.ts';
import { transcribeAudio, TRANSCRIBE_BACKENDS } from '../../functions/transcribe/transcribe-audio.ts';
import { runGpuJob } from '../../functions/gpu-jobs.ts';
import { RunnerError } from '../../gpu-runner/worker/runner-error.ts';
import { UserError } from '../errors.ts';

interface TranscribeFlags {
  backend: (typeof TRANSCRIBE_BACKENDS)[number];
  model?: string;
  captions?: string;
  device?: 'auto' | 'cpu' | 'cuda';
  computeType?: string;
  language?: string;
  chunkS?: string;
  overlapS?: string;
  chunkDir?: string;
  resumeFromChunk?: string;
  out: string;
  json?: boolean;
}

function positiveNumber(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new UserError(`${flag}: not a non-negative number: ${value}`, 2);
  return n;
}

/** `dougpt transcribe <audio> --out FILE.json`: word-timed transcript via the gpu-runner, or imported captions. */
export function registerTranscribeCommand(program: Command): void {
  program
    .command('transcribe')
    .description('transcribe audio to word-timed JSON (faster-whisper, pocketsphinx) or import captions')
    .argument('<audio>', 'audio or video file (anything ffmpeg reads)')
    .addOption(new Option('--backend <name>', 'recogniser').choices(TRANSCRIBE_BACKENDS).default('auto'))
    .option('--model <name|path>', 'faster-whisper model: a name (large-v3, small.en; tiny.en is the embedded one) or a CTranslate2 model dir (default: large-v3 on a GPU, the embedded tiny.en on a CPU)')
    .option('--captions <file>', 'with --backend captions: .vtt, .srt, .json3 or Whisper/WhisperX JSON to import')
    .addOption(new Option('--device <device>', 'faster-whisper device').choices(['auto', 'cpu', 'cuda']))
    .option('--compute-type <type>', 'faster-whisper compute type (int8, float16, int8_float16, float32; default: int8 on a CPU, float16 on a GPU)')
    .option('--language <code>', 'spoken language (default: detected; English-only models such as tiny.en accept only en)')
    .option('--chunk-s <seconds>', 'chunk length for long audio (default: 120 on a CPU, one chunk per core at a time; 600 for faster-whisper on a GPU)')
    .option('--overlap-s <seconds>', 'overlap between chunks (default: 15 for faster-whisper on a CPU, 30 on a GPU, 10 for pocketsphinx)')
    .option('--chunk-dir <dir>', 'keep finished chunks here, so a rerun with --resume-from-chunk skips them')
    .option('--resume-from-chunk <n>', 'take chunks before n from --chunk-dir')
    .requiredOption('--out <file.json>', 'transcript JSON to write')
    .option('--json', 'print a JSON summary on stdout')
    .action(async (audio: string, flags: TranscribeFlags) => {
      if (flags.backend === 'captions' && !flags.captions) throw new UserError('--backend captions needs --captions FILE', 2);
      const showProgress = process.stderr.isTTY && !flags.json;
      const bar = new cliProgress.SingleBar(
        { stream: process.stderr, format: 'transcribe [{bar}] {percentage}% | chunk {chunk}/{chunks}' },
        cliProgress.Presets.shades_classic,
      );
      let started = false;
      try {
        const result = await transcribeAudio({
          input: {
            audio,
            out: flags.out,
            backend: flags.backend,
            captions: flags.captions,
            model: flags.model,
            device: flags.device,
            compute_type: flags.computeType,
            language: flags.language,
            chunk_s: positiveNumber('--chunk-s', flags.chunkS),
            overlap_s: positiveNumber('--overlap-s', flags.overlapS),
            chunk_dir: flags.chunkDir,
            resume_from_chunk: positiveNumber('--resume-from-chunk', flags.resumeFromChunk),
          },
          runJob: runGpuJob,
          mode: 'process',
          onProgress: (event) => {
            if (!showProgress) return;
            const payload = { chunk: event.chunk + 1, chunks: event.chunks };
            if (!started) bar.start(event.total_ms, 0, payload);
            started = true;
            bar.update(event.done_ms, payload);
          },
        });
        if (started) bar.stop();
        if (flags.json) process.stdout.write(`${JSON.stringify(result)}\n`);
        else process.stderr.write(`${result.out}: ${result.words} words, ${result.segments} segments (${result.backend}${result.model ? ` ${result.model}` : ''})\n`);
      } catch (error) {
        if (started) bar.stop();
        if (error instanceof RunnerError && error.kind === 'bad-input') throw new UserError(error.message.replace(/^transcribe: /, ''), 2);
        if (error instanceof CaptionFormatError) throw new UserError(error.message, 2);
        throw error;
      }
    });
}
