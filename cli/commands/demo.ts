import { join } from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../../infra/config.ts';
import { printJson } from '../output.ts';

interface DemoOptions {
  out?: string;
  seed: string;
  json?: boolean;
}

/** `dougpt demo`: the whole pipeline so far on the bundled synthetic sample. */
export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('start the stack, make the synthetic sample, ingest, transcribe and align it through Temporal, print a summary')
    .option('--out <dir>', 'where the sample is written (default: <state dir>/sample)')
    .option('--seed <n>', 'sample seed', '1')
    .option('--json', 'print the summary as JSON')
    .action(async (options: DemoOptions) => {
      const [{ up }, { generateSample }, { runIngestBatch }, { queryLake }] = await Promise.all([
        import('../../infra/stack.ts'),
        import('../../functions/sample/generate-sample.ts'),
        import('../run-ingest-batch.ts'),
        import('../../catalog/query-lake.ts'),
      ]);
      const config = loadConfig();
      const started = Date.now();
      const say = (line: string) => process.stderr.write(`${line}\n`);
      say('starting the local stack …');
      await up(config, { onEvent: (service, state) => say(`  ${service}: ${state}`) });
      say('making the synthetic sample …');
      const sample = await generateSample({ outDir: options.out ?? join(config.paths.home, 'sample'), seed: Number(options.seed) });
      say(`ingesting ${sample.vod_id} through Temporal …`);
      const batch = await runIngestBatch(config, { vods: [{ video: sample.files.video, chat: sample.files.chat, vod_id: sample.vod_id }] });
      const [counts] = await queryLake(
        config,
        `SELECT (SELECT count(*) FROM bronze.vod_manifest WHERE vod_id = '${sample.vod_id}') vod_manifest,
                (SELECT count(*) FROM silver.audio WHERE vod_id = '${sample.vod_id}') audio,
                (SELECT count(*) FROM silver.chat_messages WHERE vod_id = '${sample.vod_id}') chat_messages,
                (SELECT count(*) FROM silver.chat_rejects WHERE vod_id = '${sample.vod_id}') chat_rejects,
                (SELECT count(*) FROM silver.chat_messages WHERE vod_id = '${sample.vod_id}' AND (is_bot OR is_command)) bots_and_commands,
                (SELECT count(*) FROM silver.transcript_words WHERE vod_id = '${sample.vod_id}') transcript_words,
                (SELECT count(*) FROM silver.chat_offsets WHERE vod_id = '${sample.vod_id}') chat_offsets,
                (SELECT count(*) FROM gold.pairs WHERE vod_id = '${sample.vod_id}' AND reject_reason IS NULL) pairs,
                (SELECT count(*) FROM gold.pairs WHERE vod_id = '${sample.vod_id}' AND tier = 2) pairs_tier2,
                (SELECT count(*) FROM gold.pairs WHERE vod_id = '${sample.vod_id}' AND reject_reason IS NOT NULL) align_rejects`,
      );
      const summary = {
        vod_id: sample.vod_id,
        sample: sample.files,
        workflow_id: batch.workflow_id,
        succeeded: batch.result.succeeded.length,
        processed: batch.result.succeeded[0]?.processed ?? null,
        true_lag_ms: sample.lag_schedule,
        failed: batch.result.failed,
        lake_rows: counts,
        seconds: Math.round((Date.now() - started) / 100) / 10,
        temporal_ui: `http://${config.host}:${config.ports.temporalUi}/namespaces/${config.temporalNamespace}/workflows`,
      };
      if (options.json) printJson(summary);
      else {
        process.stdout.write(`\nDougPT demo — ${sample.vod_id} (${Math.round(sample.duration_ms / 1000)} s, ${sample.messages} chat messages)\n`);
        process.stdout.write(`  workflow     ${batch.workflow_id}: ${summary.succeeded} VOD ingested, ${summary.failed.length} failed\n`);
        for (const [table, n] of Object.entries(counts ?? {})) process.stdout.write(`  ${table.padEnd(18)} ${String(n)}\n`);
        const processed = summary.processed;
        if (processed) {
          const truth = sample.lag_schedule.map((step) => `${step.lag_ms} ms from ${step.from_ms} ms`).join(', ');
          process.stdout.write(`  chat lag     estimated median ${processed.median_lag_ms} ms over ${processed.segments} segment(s); simulated lag ${truth} plus reaction time\n`);
        }
        process.stdout.write(`  Temporal UI  ${summary.temporal_ui}\n  took         ${summary.seconds} s\n`);
        process.stdout.write(`  try: npx dougpt sql "select kind, count(*) from silver.chat_messages group by 1"\n`);
      }
      if (summary.failed.length > 0) process.exitCode = 1;
    });
}
