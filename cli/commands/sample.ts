import { Presets, SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { generateSample, type GenerateSampleOutput, type GenerateSampleProgress } from '../../functions/sample/generate-sample.ts';
import { parseLagSchedule, type LagStep } from '../../functions/sample/ground-truth.ts';
import { SampleToolError } from '../../functions/sample/sample-tool-error.ts';
import { UserError } from '../errors.ts';
import { printJson } from '../output.ts';

interface SampleOptions {
  out: string;
  seed: string;
  durationS: string;
  lagS?: string;
  lagSchedule?: string;
  wholeSecondOffsets?: boolean;
  json?: boolean;
}

function parseNumber(flag: string, value: string, check: (n: number) => boolean, expect: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || !check(n)) throw new UserError(`${flag} ${value}: expected ${expect}`, 2);
  return n;
}

function lagScheduleOf(options: SampleOptions): LagStep[] {
  if (options.lagS !== undefined && options.lagSchedule !== undefined) {
    throw new UserError('--lag-s and --lag-schedule: give one of them', 2);
  }
  if (options.lagSchedule !== undefined) {
    try {
      return parseLagSchedule(options.lagSchedule);
    } catch (error) {
      throw new UserError(`--lag-schedule "${options.lagSchedule}": ${(error as Error).message}`, 2);
    }
  }
  const lagS = parseNumber('--lag-s', options.lagS ?? '5', (n) => n >= 0 && n <= 120, 'seconds between 0 and 120');
  return [{ from_ms: 0, lag_ms: Math.round(lagS * 1000) }];
}

const clock = (ms: number): string => {
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
};

function printSummary(out: GenerateSampleOutput): void {
  const categories = Object.entries(out.by_category)
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1])
    .map(([c, n]) => `${n} ${c}`)
    .join(', ');
  const lag = out.lag_schedule.map((s) => `${s.lag_ms / 1000} s from ${clock(s.from_ms)}`).join(', ');
  process.stdout.write(
    [
      `wrote ${out.name}: vod ${out.vod_id}, ${clock(out.duration_ms)} long, seed ${out.seed}`,
      `  video       ${out.files.video}`,
      `  chat        ${out.files.chat} (${out.messages} messages: ${categories})`,
      `  truth       ${out.files.truth}`,
      `  transcript  ${out.files.transcript} (${out.utterances} utterances, ${out.words} words)`,
      `  chat lag    ${lag}${out.whole_second_offsets ? '; offsets in whole seconds' : ''}`,
      '',
    ].join('\n'),
  );
}

/** Progress on stderr: a bar on a terminal, plain stage lines otherwise (none with --json). */
function progressReporter(json: boolean): { onProgress: (p: GenerateSampleProgress) => void; stop: () => void } {
  if (process.stderr.isTTY) {
    const bar = new SingleBar({ stream: process.stderr, format: '{stage} [{bar}] {value}/{total}', hideCursor: true }, Presets.shades_classic);
    let stage = '';
    return {
      onProgress: (p) => {
        if (p.stage !== stage) {
          if (stage) bar.stop();
          stage = p.stage;
          bar.start(p.total, p.done, { stage: p.stage === 'speech' ? 'speaking words' : 'encoding video' });
        }
        bar.setTotal(p.total);
        bar.update(p.done);
      },
      stop: () => bar.stop(),
    };
  }
  let stage = '';
  return {
    onProgress: (p) => {
      if (json || p.stage === stage) return;
      stage = p.stage;
      process.stderr.write(p.stage === 'speech' ? 'speaking words with espeak-ng …\n' : 'encoding video with ffmpeg …\n');
    },
    stop: () => {},
  };
}

/** `dougpt sample --out DIR`: writes the synthetic sample stream (video, chat, ground truth, transcript). */
export function registerSampleCommand(program: Command): void {
  program
    .command('sample')
    .description('write the synthetic sample stream: espeak-ng speech video, TwitchDownloader chat with known lag, ground truth')
    .requiredOption('--out <dir>', 'directory to write <name>.mp4, .chat.json, .truth.json and .transcript.json into')
    .option('--seed <n>', 'seed; the same seed writes the same files', '1')
    .option('--duration-s <n>', 'stream length in seconds (5 to 21600)', '180')
    .option('--lag-s <n>', 'chat lag in seconds for the whole stream (default 5)')
    .option('--lag-schedule <steps>', 'chat lag that changes mid-stream: "FROM_S:LAG_S,…", e.g. "0:4,90:9"')
    .option('--whole-second-offsets', 'write content_offset_seconds as whole seconds, as Twitch has since late 2022')
    .option('--json', 'print the summary as JSON')
    .action(async (options: SampleOptions) => {
      const seed = parseNumber('--seed', options.seed, Number.isSafeInteger, 'an integer');
      const durationS = parseNumber('--duration-s', options.durationS, (n) => n >= 5 && n <= 21_600, 'seconds between 5 and 21600');
      const lagSchedule = lagScheduleOf(options);
      const progress = progressReporter(Boolean(options.json));
      let out: GenerateSampleOutput;
      try {
        out = await generateSample(
          {
            outDir: options.out,
            seed,
            durationMs: Math.round(durationS * 1000),
            lagSchedule,
            wholeSecondOffsets: Boolean(options.wholeSecondOffsets),
          },
          { onProgress: progress.onProgress },
        );
      } catch (error) {
        if (error instanceof SampleToolError) throw new UserError(error.message, 1);
        throw error;
      } finally {
        progress.stop();
      }
      if (options.json) printJson(out);
      else printSummary(out);
    });
}
