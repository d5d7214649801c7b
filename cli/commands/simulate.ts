import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import type { Command } from 'commander';
import cliProgress from 'cli-progress';
import { UserError } from '../errors.ts';
import { printJson } from '../output.ts';
import { addModelOptions, intFlag, numberFlag, openStackFromFlags, type ModelFlags } from './reply.ts';

interface SimulateFlags extends ModelFlags {
  transcript?: string;
  vod?: string;
  vodId?: string;
  pacing?: string;
  pairs?: string[];
  rateScale: string;
  seed: string;
  maxMessages?: string;
  maxTokens?: string;
  records?: string;
  parallel?: string;
  out: string;
  json?: boolean;
}

interface PacingFitFlags {
  chat?: string[];
  pairs?: string[];
  until: string;
  out?: string;
  json?: boolean;
}

interface PacingScoreFlags {
  pacing: string;
  chat: string;
  transcript?: string;
  from: string;
  json?: boolean;
}

/** A training run id (`dougpt train`'s hash), as opposed to a path. */
const RUN_ID = /^[0-9a-f]{16}$/;

/** Turns the simulation's input errors into one-line user errors. */
async function asUserErrors<T>(work: () => Promise<T>): Promise<T> {
  const { SimulateInputError } = await import('../../functions/simulate/fit-pacing-files.ts');
  try {
    return await work();
  } catch (error) {
    if (error instanceof SimulateInputError) throw new UserError(error.message, 2);
    throw error;
  }
}

function pct(x: number | null): string {
  return x === null ? 'n/a' : x.toFixed(3);
}

/** `dougpt simulate` and `dougpt pacing fit`: generated chat over a stream's timeline, and the pace it keeps. */
export function registerSimulateCommands(program: Command): void {
  const pacing = program.command('pacing').description('the pacing model: how fast chat speaks after the streamer says something');
  pacing
    .command('fit')
    .description('fit the pacing model: from chat logs (`dougpt-pacing/2`: chat excites itself, over a constant or speech-driven background), or from `dougpt align` outputs alone (`dougpt-pacing/1`: speech only)')
    .option('--chat <file...>', 'chat logs, any format `dougpt chat normalize` reads: fits the self-exciting model')
    .option('--pairs <align.json...>', 'with --chat: one `dougpt align` output per chat log, same order (the speech model becomes the background); alone: the speech-only model')
    .option('--until <fraction>', 'with --chat: fit on the first FRACTION of each log (score the rest with `pacing score --from`)', '1')
    .option('--out <pacing.json>', 'where the model goes')
    .option('--json', 'print the model (coefficients, features, fit figures) as JSON')
    .action(async (flags: PacingFitFlags) => {
      if (flags.chat) {
        const until = numberFlag('--until', flags.until, 0.01, 1);
        const { fitPacingFromChat } = await import('../../functions/simulate/pacing-chat-files.ts');
        const model = await asUserErrors(() => fitPacingFromChat({ chat: flags.chat as string[], pairs: flags.pairs ?? [], until, ...(flags.out ? { out: flags.out } : {}) }));
        if (flags.json) {
          // The embedded speech model's lexicon is thousands of words: its size stands in for it, as for `--pairs`.
          const baseline = model.baseline.kind === 'speech' ? { ...model.baseline, pacing: { ...model.baseline.pacing, lexicon: { ...model.baseline.pacing.lexicon, words: Object.keys(model.baseline.pacing.lexicon.words).length } } } : model.baseline;
          printJson({ ...model, baseline, out: flags.out ?? null });
          return;
        }
        const t = model.training;
        process.stderr.write(
          `pacing: ${t.streams.length} chat log(s), ${t.messages} messages over ${t.seconds.toFixed(0)} s, background ${model.baseline.kind} ${model.mu_per_s.toFixed(3)}/s, ` +
            `branching ratio ${model.branching_ratio.toFixed(3)}${model.clipped ? ' (clipped)' : ''}\n` +
            `  in-sample log-likelihood per second ${t.loglik_per_s} (constant rate ${t.constant_loglik_per_s})${t.converged ? '' : `, EM stopped after ${t.iterations} iterations`}\n` +
            (flags.out ? `  wrote ${flags.out}\n` : ''),
        );
        return;
      }
      if (!flags.pairs) throw new UserError('pacing fit: give --chat FILE… (or --pairs A.align.json… alone for the speech-only model)', 2);
      if (flags.until !== '1') throw new UserError('--until: only with --chat', 2);
      const pairs = flags.pairs;
      const { fitPacingFromFiles } = await import('../../functions/simulate/fit-pacing-files.ts');
      const model = await asUserErrors(() => fitPacingFromFiles({ pairs, ...(flags.out ? { out: flags.out } : {}) }));
      if (flags.json) {
        const { lexicon, ...rest } = model;
        printJson({ ...rest, lexicon: { ...lexicon, words: Object.keys(lexicon.words).length }, out: flags.out ?? null });
        return;
      }
      const e = model.evaluation;
      process.stderr.write(
        `pacing: ${model.training.vods.length} VOD(s), ${model.training.bins} s, base rate ${model.base_rate_per_s.toFixed(2)}/s, lag ${(model.lag_ms / 1000).toFixed(1)} s\n` +
          `  in-sample log-likelihood per second ${model.training.loglik_per_bin} (constant rate ${model.training.constant_loglik_per_bin})\n` +
          (e
            ? `  held out (${e.model.windows} × 10 s): corr ${pct(e.model.corr)} (constant ${pct(e.constant.corr)}), MAE ${e.model.mae} (constant ${e.constant.mae}) messages per 10 s, ` +
              `log-likelihood per second ${e.model.loglik_per_bin} (constant ${e.constant.loglik_per_bin})\n`
            : '  held out: no held-out block (the VODs are shorter than one 30 s block)\n') +
          (flags.out ? `  wrote ${flags.out}\n` : ''),
      );
    });

  pacing
    .command('score')
    .description('score a `dougpt-pacing/2` model on a chat log: log-likelihood per second of the arrivals, and per 10 s window the expected count against the one seen, beside a constant rate')
    .requiredOption('--pacing <pacing.json>', '`dougpt pacing fit --chat` output')
    .requiredOption('--chat <file>', 'a chat log, any format `dougpt chat normalize` reads')
    .option('--transcript <file>', "the stream's transcript (for a model fit with --pairs: the speech-driven background)")
    .option('--from <fraction>', 'score from this fraction of the log on; the messages before it are history (0.7 after `fit --until 0.7`)', '0')
    .option('--json', 'print the figures as JSON')
    .action(async (flags: PacingScoreFlags) => {
      const from = numberFlag('--from', flags.from, 0, 0.99);
      const { scorePacingOnChat } = await import('../../functions/simulate/pacing-chat-files.ts');
      const score = await asUserErrors(() => scorePacingOnChat({ pacing: flags.pacing, chat: flags.chat, ...(flags.transcript ? { transcript: flags.transcript } : {}), from }));
      if (flags.json) {
        printJson(score);
        return;
      }
      const row = (name: string, f: typeof score.model) => `  ${name.padEnd(16)} ${f.loglik_per_s.toFixed(4).padStart(9)} ${f.mae_10s.toFixed(3).padStart(8)} ${pct(f.corr_10s).padStart(8)}\n`;
      process.stdout.write(
        `${flags.chat}: ${score.messages} messages over ${score.seconds.toFixed(0)} s (from ${score.window.from_s} s)\n` +
          `  ${''.padEnd(16)} ${'ll/s'.padStart(9)} ${'MAE/10s'.padStart(8)} ${'corr'.padStart(8)}\n` +
          row('model', score.model) +
          row('constant', score.constant) +
          row('constant_oracle', score.constant_oracle),
      );
    });

  addModelOptions(
    program
      .command('simulate')
      .description("simulated chat over a stream: the pacing model decides when chat speaks, the reply model (as `dougpt reply`) what it says")
      .option('--transcript <file>', '`dougpt transcribe` output JSON')
      .option('--vod <vod_id>', "the VOD's newest transcript in the lake (the local stack must be up)")
      .option('--vod-id <id>', 'VOD id written into the chat file (default: --vod, else the transcript file name)')
      .option('--pacing <pacing.json>', 'pacing model, `pacing fit --chat` (self-exciting) or `--pairs` output (default: the adapter run folder\'s pacing.json, else fit from --pairs, else from the VOD\'s alignment in the lake)')
      .option('--pairs <align.json...>', 'fit the pacing model now from these `dougpt align` outputs')
      .option('--rate-scale <x>', 'multiply the chat rate (a bigger or smaller audience)', '1.0')
      .option('--seed <n>', 'fixes when chat speaks and what it says', '1')
      .option('--max-messages <n>', 'stop after this many messages')
      .option('--max-tokens <n>', 'tokens per message (default 16)')
      .option('--records <file.jsonl>', 'canonical chat records (default: OUT with .jsonl)')
      .option('--parallel <n>', 'engine sequences generating together, in lockstep (1..8, default 8); the text depends on it: a seed and this count fix it byte for byte'),
  )
    .requiredOption('--out <chat.json>', 'TwitchDownloader chat JSON')
    .option('--json', 'print a JSON summary')
    .addHelpText('after', '\nAn --adapter may be a run folder, a GGUF LoRA, or a run id (fetched from the lake).')
    .action(async (flags: SimulateFlags) => {
      if ((flags.transcript === undefined) === (flags.vod === undefined)) throw new UserError('give --transcript <file> or --vod <vod_id>, one of the two', 2);
      const seed = intFlag('--seed', flags.seed, 0, 2 ** 32 - 1);
      const rateScale = numberFlag('--rate-scale', flags.rateScale, 0.01, 100);
      const maxMessages = flags.maxMessages === undefined ? undefined : intFlag('--max-messages', flags.maxMessages, 1, 10_000_000);
      const maxTokens = flags.maxTokens === undefined ? undefined : intFlag('--max-tokens', flags.maxTokens, 1, 256);
      const parallelFlag = flags.parallel === undefined ? undefined : intFlag('--parallel', flags.parallel, 1, 8);
      const records = flags.records ?? flags.out.replace(/\.json$/i, '') + '.jsonl';
      const say = (line: string) => !flags.json && process.stderr.write(`simulate: ${line}\n`);
      const started = performance.now();
      const [{ readTranscriptFile, resolvePacing }, { simulateTranscript, SIM_STACK_OPTIONS, DEFAULT_SIM_SEQUENCES }] = await Promise.all([
        import('../../functions/simulate/simulate-inputs.ts'),
        import('../../functions/simulate/simulate-transcript.ts'),
      ]);

      const { transcript, vodId, alignment, adapter } = await asUserErrors(async () => {
        let adapterPath = flags.adapter;
        if (adapterPath && !existsSync(adapterPath) && RUN_ID.test(adapterPath)) {
          const [{ loadConfig }, { fetchServingAdapter }] = await Promise.all([import('../../infra/config.ts'), import('../../infra/registry-adapter-source.ts')]);
          adapterPath = await fetchAdapterWithPacing(loadConfig(), adapterPath, fetchServingAdapter);
        }
        if (flags.transcript) {
          const t = await readTranscriptFile(flags.transcript);
          return { transcript: t, vodId: flags.vodId ?? basename(flags.transcript).replace(/(\.transcript)?\.json$/i, ''), alignment: undefined, adapter: adapterPath };
        }
        const vod = flags.vod as string;
        const [{ loadConfig }, { openLake }, { newestTranscript, newestAlignment }] = await Promise.all([
          import('../../infra/config.ts'),
          import('../../catalog/lake.ts'),
          import('../../functions/simulate/lake-inputs.ts'),
        ]);
        const lake = await openLake(loadConfig(), { readOnly: true });
        try {
          const t = await newestTranscript(lake, vod);
          const a = flags.pacing || flags.pairs ? null : await newestAlignment(lake, vod);
          return { transcript: t.transcript, vodId: flags.vodId ?? vod, alignment: a?.file ?? null, adapter: adapterPath };
        } finally {
          lake.close();
        }
      });
      const { model, source } = await asUserErrors(() =>
        resolvePacing({ pacing: flags.pacing, pairs: flags.pairs, adapter, alignment: async () => alignment ?? null }),
      );
      const parallel = parallelFlag ?? DEFAULT_SIM_SEQUENCES;
      say(
        model.version === 'dougpt-pacing/2'
          ? `pacing ${source}: self-exciting, background ${model.baseline.kind} ${model.mu_per_s.toFixed(3)}/s × ${rateScale}, branching ratio ${model.branching_ratio.toFixed(2)}, lag ${(model.lag_ms / 1000).toFixed(1)} s`
          : `pacing ${source}: base rate ${model.base_rate_per_s.toFixed(2)}/s × ${rateScale}, lag ${(model.lag_ms / 1000).toFixed(1)} s`,
      );

      const stack = await openStackFromFlags({ ...flags, adapter }, { ...SIM_STACK_OPTIONS, parallel, notice: (line) => say(line) });
      const showProgress = process.stderr.isTTY && !flags.json;
      const bar = new cliProgress.SingleBar({ stream: process.stderr, format: 'simulate [{bar}] {value}/{total} messages | {eta_formatted} left' }, cliProgress.Presets.shades_classic);
      try {
        const summary = await asUserErrors(() =>
          simulateTranscript({
            transcript,
            model,
            service: stack.service,
            sequences: parallel,
            vodId,
            seed,
            rateScale,
            maxMessages,
            maxTokens,
            chatOut: flags.out,
            recordsOut: records,
            onProgress: (done, total) => {
              if (!showProgress) return;
              if (done === 0) bar.start(total, 0);
              else bar.update(done);
            },
          }),
        );
        if (showProgress) bar.stop();
        const wallMs = Math.round(performance.now() - started);
        if (flags.json) {
          printJson({ ...summary, pacing: { source, version: model.version }, wall_ms: wallMs });
          return;
        }
        say(
          `${summary.messages} messages over ${(summary.duration_ms / 1000).toFixed(0)} s (${summary.dropped} dropped by the guardrails) in ${(wallMs / 1000).toFixed(1)} s → ${summary.files.chat}, ${summary.files.records} ` +
            `(normaliser: ${summary.normalized.accepted} accepted, ${summary.normalized.rejected} rejected)`,
        );
      } finally {
        if (showProgress) bar.stop();
        await stack.close();
      }
    });
}

/** Fetches a run's serving files from the lake, and its pacing.json when training saved one. */
async function fetchAdapterWithPacing(
  config: import('../../infra/config.ts').StackConfig,
  runId: string,
  fetchServingAdapter: (config: import('../../infra/config.ts').StackConfig, runId: string) => Promise<string>,
): Promise<string> {
  const dir = await fetchServingAdapter(config, runId);
  const [{ join }, { createObjectStore }, { PACING_FILE }] = await Promise.all([
    import('node:path'),
    import('../../catalog/object-store.ts'),
    import('../../functions/simulate/simulate-inputs.ts'),
  ]);
  const store = createObjectStore(config);
  const key = `gold/adapters/${runId}/${PACING_FILE}`;
  if (!existsSync(join(dir, PACING_FILE)) && (await store.exists(key))) await store.getToFile(key, join(dir, PACING_FILE));
  return dir;
}
