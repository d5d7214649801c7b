import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { EvalSummary, metricValue } from '../../functions/eval/eval-events.ts';
import { loadConfig } from '../../infra/config.ts';
import { demoLosses, demoLossText } from '../demo-losses.ts';
import { printJson } from '../output.ts';

interface DemoOptions {
  out?: string;
  seed: string;
  durationS: string;
  evalLimit?: string;
  rankingCandidates: string;
  json?: boolean;
}

interface HeldOut {
  context: string;
  real: string;
}

/** The first few held-out contexts of a dataset export (distinct contexts, with their real reply). */
function heldOutContexts(datasetDir: string, count: number): HeldOut[] {
  const lines = readFileSync(join(datasetDir, 'sft', 'test.jsonl'), 'utf8').split('\n').filter(Boolean);
  const seen = new Set<string>();
  const out: HeldOut[] = [];
  for (const line of lines) {
    const row = JSON.parse(line) as { context: string; completion: Array<{ content: string }> };
    if (seen.has(row.context) || row.context.split(' ').length < 6) continue;
    seen.add(row.context);
    out.push({ context: row.context, real: row.completion[0]?.content ?? '' });
    if (out.length === count) break;
  }
  return out;
}

/** `dougpt demo`: the whole pipeline on the bundled synthetic sample, ending in a trained adapter and its replies. */
export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('start the stack; make the synthetic sample; ingest, transcribe, align, build a dataset, train and evaluate an adapter through Temporal; print replies before and after training')
    .option('--out <dir>', 'where the sample is written (default: <state dir>/sample)')
    .option('--seed <n>', 'sample seed', '1')
    .option('--duration-s <n>', 'sample length in seconds', '300')
    .option('--eval-limit <n>', 'held-out examples the evaluation scores (default: the whole test split, which a promotion needs)')
    .option('--ranking-candidates <n>', 'candidates per example in the ranking test (dougpt eval: 100; fewer keep the demo short on a CPU)', '50')
    .option('--json', 'print the summary as JSON')
    .action(async (options: DemoOptions) => {
      const [{ up }, { generateSample }, { runIngestBatch }, { queryLake }, { runBuildDataset }, { runTrainAdapter }, { fetchServingAdapter }, { openReplyStack }, { fixedAdapterSource }, { createObjectStore }] =
        await Promise.all([
          import('../../infra/stack.ts'),
          import('../../functions/sample/generate-sample.ts'),
          import('../run-ingest-batch.ts'),
          import('../../catalog/query-lake.ts'),
          import('../run-build-dataset.ts'),
          import('../run-train-adapter.ts'),
          import('../../infra/registry-adapter-source.ts'),
          import('../../functions/reply/open-reply-stack.ts'),
          import('../../functions/reply/adapter-source.ts'),
          import('../../catalog/object-store.ts'),
        ]);
      const config = loadConfig();
      const started = Date.now();
      const lap = () => `${Math.round((Date.now() - started) / 1000)} s`;
      const say = (line: string) => process.stderr.write(`${line}\n`);
      say('starting the local stack …');
      await up(config, { onEvent: (service, state) => say(`  ${service}: ${state}`) });
      say(`making the synthetic sample … (${lap()})`);
      const sample = await generateSample({ outDir: options.out ?? join(config.paths.home, 'sample'), seed: Number(options.seed), durationMs: Number(options.durationS) * 1000 });
      say(`ingesting ${sample.vod_id} through Temporal (transcribe, align) … (${lap()})`);
      const batch = await runIngestBatch(config, { vods: [{ video: sample.files.video, chat: sample.files.chat, vod_id: sample.vod_id }] });
      if (batch.result.failed.length > 0) {
        process.stderr.write(`dougpt: ingest failed: ${batch.result.failed.map((f) => f.error).join('; ')}\n`);
        process.exitCode = 1;
        return;
      }
      const vod = `'${sample.vod_id}'`;
      const [counts] = await queryLake(
        config,
        `SELECT (SELECT count(*) FROM silver.chat_messages WHERE vod_id = ${vod}) chat_messages,
                (SELECT count(*) FROM silver.transcript_words WHERE vod_id = ${vod}) transcript_words,
                (SELECT count(*) FROM gold.pairs WHERE vod_id = ${vod} AND reject_reason IS NULL) pairs,
                (SELECT count(*) FROM gold.pairs WHERE vod_id = ${vod} AND tier = 2) pairs_tier2,
                (SELECT count(*) FROM gold.pairs WHERE vod_id = ${vod} AND reject_reason IS NOT NULL) align_rejects`,
      );
      say(`building the dataset … (${lap()})`);
      const datasetDir = join(config.paths.home, 'demo', 'dataset');
      const dataset = await runBuildDataset(config, { vod_ids: [sample.vod_id], out: datasetDir });
      const held = heldOutContexts(datasetDir, 3);

      say(`replies of the base model for ${held.length} held-out contexts … (${lap()})`);
      const replyAll = async (adapterDir: string | null) => {
        const stack = await openReplyStack({
          home: config.paths.home,
          ...(adapterDir ? { adapter: adapterDir } : { adapterSource: fixedAdapterSource(null) }),
        });
        try {
          const replies: string[][] = [];
          for (const h of held) replies.push((await stack.service.reply({ context: h.context, n: 2, seed: 7, stop: [], endpoint: 'cli' })).replies);
          return replies;
        } finally {
          await stack.close();
        }
      };
      const before = await replyAll(null);

      say(`training an adapter (cpu-smoke) and evaluating it through Temporal … (${lap()})`);
      const train = await runTrainAdapter(
        config,
        { dataset_id: dataset.summary.dataset_id, preset: 'cpu-smoke', promote: 'if-gates-pass', ...(options.evalLimit ? { eval_limit: Number(options.evalLimit) } : {}), eval_ranking_candidates: Number(options.rankingCandidates) },
        { onProgress: (line) => say(`  ${line}`) },
      );
      const run = train.result;
      const adapterDir = await fetchServingAdapter(config, run.run_id);
      say(`replies of the trained adapter … (${lap()})`);
      const after = await replyAll(adapterDir);
      let report: string | null = null;
      let evalSummary = null as EvalSummary | null;
      if (run.eval) {
        const store = createObjectStore(config);
        report = join(adapterDir, 'report.html');
        await store.getToFile(run.eval.report_key, report);
        const evalPath = join(adapterDir, 'eval.json');
        await store.getToFile(run.eval.eval_key, evalPath);
        evalSummary = EvalSummary.parse(JSON.parse(readFileSync(evalPath, 'utf8')));
      }

      const losses = demoLosses(JSON.parse(readFileSync(join(adapterDir, 'run.json'), 'utf8')), evalSummary);
      const summary = {
        vod_id: sample.vod_id,
        sample: sample.files,
        ingest_workflow_id: batch.workflow_id,
        lake_rows: counts,
        true_lag_ms: sample.lag_schedule,
        dataset: { dataset_id: dataset.summary.dataset_id, splits: dataset.summary.splits, out: datasetDir },
        training: { workflow_id: train.workflow_id, run_id: run.run_id, steps: run.steps, validation_loss: losses.validation_loss, selected_step: losses.selected_step, held_out_loss: losses.held_out, tokens_per_s: run.tokens_per_s, adapter_key: run.adapter_key, adapter_dir: adapterDir },
        evaluation: evalSummary
          ? { eval_id: run.eval?.eval_id, passed: evalSummary.gates.passed, failures: evalSummary.gates.failures.map((f) => f.message), base: evalSummary.base, adapter: evalSummary.adapter, lift_vs_base: evalSummary.lift_vs_base, popularity: evalSummary.popularity, report }
          : null,
        pacing: run.pacing ?? null,
        promoted: run.promotion_requested ? run.run_id : null,
        replies: held.map((h, i) => ({ context: h.context, real: h.real, base: before[i], adapter: after[i] })),
        seconds: Math.round((Date.now() - started) / 100) / 10,
        temporal_ui: `http://${config.host}:${config.ports.temporalUi}/namespaces/${config.temporalNamespace}/workflows`,
      };
      if (options.json) return printJson(summary);
      const w = (line: string) => process.stdout.write(`${line}\n`);
      const num = (v: number | null | undefined, d = 2) => (v === null || v === undefined ? 'n/a' : v.toFixed(d));
      w(`\nDougPT demo — ${sample.vod_id} (${Math.round(sample.duration_ms / 1000)} s, ${sample.messages} chat messages)`);
      w(`  ingest       ${batch.workflow_id}: ${String(counts?.chat_messages)} messages, ${String(counts?.transcript_words)} words, ${String(counts?.pairs)} pairs (${String(counts?.pairs_tier2)} tier 2), ${String(counts?.align_rejects)} rejected`);
      const s = dataset.summary.splits;
      w(`  dataset      ${dataset.summary.dataset_id}: train ${s.train}, validation ${s.validation}, test ${s.test} (split by ${dataset.summary.split_by})`);
      w(`  training     run ${run.run_id} (cpu-smoke): ${run.steps} steps, ${demoLossText(losses)}, ${num(run.tokens_per_s, 0)} tokens/s`);
      if (evalSummary) {
        const ci = (interval: [number, number] | null | undefined) => (interval ? ` [${num(interval[0], 3)}, ${num(interval[1], 3)}]` : '');
        const ranking = evalSummary.adapter.ranking;
        const blind = evalSummary.adapter.ranking_no_context;
        w(`  evaluation   ${run.eval?.eval_id} on ${evalSummary.n_examples} held-out examples: perplexity without end token ${num(metricValue(evalSummary.base, 'perplexity_no_eot'), 1)} (base) → ${num(metricValue(evalSummary.adapter, 'perplexity_no_eot'), 1)} (adapter)`);
        w(`  listening    R@10 among ${evalSummary.popularity.ranking.n_candidates} candidates: ${num(ranking?.r_at_10, 3)}${ci(ranking?.r_at_10_ci95)} with context, ${num(blind?.r_at_10, 3)}${ci(blind?.r_at_10_ci95)} without (popularity ${num(evalSummary.popularity.ranking.r_at_10, 3)}, random ${num(evalSummary.random.ranking.r_at_10, 3)}); lift over base ${num(evalSummary.lift_vs_base.value, 3)}${ci(evalSummary.lift_vs_base.ci95)} nats/token`);
        w(`  gates        ${evalSummary.gates.passed ? 'passed' : `failed: ${evalSummary.gates.failures.map((f) => f.message).join('; ')}`}`);
      }
      const pacing = run.pacing;
      if (pacing && 'key' in pacing) {
        const e = pacing.evaluation;
        const { describePacingEvaluation } = await import('../../functions/simulate/fit-run-pacing.ts');
        w(`  pacing       ${pacing.key}${e ? `: ${describePacingEvaluation(e)}` : ''}`);
      } else if (pacing) w(`  pacing       none: ${pacing.skipped}`);
      w(`  promoted     ${run.promotion_requested ? `${run.run_id} (gates passed)` : 'nothing (the gates decide; `dougpt promote <run_id> --force` overrides)'}`);
      w('  replies to held-out moments (real chat · base model · trained adapter):');
      for (const r of summary.replies) {
        w(`    streamer: “…${r.context.split(' ').slice(-14).join(' ')}”`);
        w(`      real    ${r.real}`);
        w(`      base    ${r.base.join('  |  ') || '(dropped by guardrails)'}`);
        w(`      adapter ${r.adapter.join('  |  ') || '(dropped by guardrails)'}`);
      }
      if (report) w(`  report       ${report}`);
      w(`  Temporal UI  ${summary.temporal_ui}\n  took         ${summary.seconds} s`);
      w(`  try: npx dougpt reply --adapter ${adapterDir} "chat should I go left or right"`);
    });
}
