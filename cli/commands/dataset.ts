import type { Command } from 'commander';
import { UserError } from '../errors.ts';
import { printJson } from '../output.ts';

interface BuildFlags {
  pairs?: string[];
  vod?: string[];
  optOut?: string;
  splitBy?: string;
  config?: string;
  out?: string;
  json?: boolean;
}

/** What `--json` prints: one summary object. */
function publicSummary(s: { dataset_id: string; split_by: string; splits: object; dpo_splits: object; dpo_negatives: object; vods: number; filtered: object; capped: object; prompt_spec: object }, out: string | null, extra: object = {}) {
  return { dataset_id: s.dataset_id, split_by: s.split_by, splits: s.splits, dpo: s.dpo_splits, dpo_negatives: s.dpo_negatives, vods: s.vods, filtered: s.filtered, capped: s.capped, prompt_spec: s.prompt_spec, out, ...extra };
}

/** `dougpt dataset build | diff`: versioned training data from aligned pairs. */
export function registerDatasetCommand(program: Command): void {
  const dataset = program.command('dataset').description('build and compare training datasets (streamer context → chat reply)');

  dataset
    .command('build')
    .description('build a dataset version from alignment files (--pairs) or from the lake (default), with SFT and DPO exports')
    .option('--pairs <align.json...>', '`dougpt align` output files, one per VOD (no server needed)')
    .option('--vod <id...>', 'lake mode: only these VODs (default: every VOD with an alignment)')
    .option('--opt-out <file>', 'viewers to leave out, one login per line')
    .option('--split-by <unit>', 'block (default: time blocks of each VOD) or vod (whole VODs; for large corpora)')
    .option('--config <file.json>', 'override dataset rules (min_tier, caps, block_s, …; see README)')
    .option('--out <dir>', 'export folder (required with --pairs; in lake mode a local copy)')
    .option('--json', 'print one summary object')
    .action(async (flags: BuildFlags) => {
      if (flags.splitBy !== undefined && flags.splitBy !== 'vod' && flags.splitBy !== 'block') throw new UserError(`--split-by: expected vod or block, got ${flags.splitBy}`, 2);
      const splitBy = flags.splitBy as 'vod' | 'block' | undefined;
      const say = (line: string) => !flags.json && process.stderr.write(`${line}\n`);
      const { DatasetInputError } = await import('../../functions/dataset/assemble-dataset.ts');
      try {
        if (flags.pairs && flags.pairs.length > 0) {
          if (flags.vod) throw new UserError('--vod selects lake VODs; with --pairs the files decide', 2);
          if (!flags.out) throw new UserError('--out <dir> is required with --pairs', 2);
          const { buildDatasetFromFiles } = await import('../../functions/dataset/build-dataset.ts');
          const summary = await buildDatasetFromFiles(
            { pairs: flags.pairs, out: flags.out, ...(flags.optOut ? { optOut: flags.optOut } : {}), ...(flags.config ? { config: flags.config } : {}), ...(splitBy ? { splitBy } : {}) },
            { onStage: (stage) => say(`dataset: ${stage} …`) },
          );
          report(summary, summary.out, flags.json);
          return;
        }
        const [{ loadConfig }, { runBuildDataset }] = await Promise.all([import('../../infra/config.ts'), import('../run-build-dataset.ts')]);
        const result = await runBuildDataset(loadConfig(), {
          ...(flags.vod ? { vod_ids: flags.vod } : {}),
          ...(flags.optOut ? { opt_out_file: flags.optOut } : {}),
          ...(flags.config ? { config_file: flags.config } : {}),
          ...(splitBy ? { split_by: splitBy } : {}),
          ...(flags.out ? { out: flags.out } : {}),
        }, { onStage: say });
        report(result.summary, result.out, flags.json, { export_key: result.export_key, workflow_id: result.workflow_id, created: result.created });
      } catch (error) {
        if (error instanceof DatasetInputError) throw new UserError(error.message, 2);
        throw error;
      }
    });

  dataset
    .command('diff')
    .description('examples added and removed between two dataset versions, per split and per VOD')
    .argument('<a>', 'dataset folder (or dataset id in the lake)')
    .argument('<b>', 'dataset folder (or dataset id in the lake)')
    .option('--json', 'print the diff as JSON')
    .action(async (a: string, b: string, flags: { json?: boolean }) => {
      const { diffDatasets, DatasetDiffError } = await import('../../functions/dataset/diff-datasets.ts');
      try {
        const diff = await diffDatasets(a, b);
        if (flags.json) return printJson(diff);
        process.stdout.write(`${diff.a} → ${diff.b}\n`);
        for (const [split, d] of Object.entries(diff.splits)) process.stdout.write(`  ${split.padEnd(10)} +${d.added} −${d.removed} (moved here ${d.moved_in})\n`);
        for (const [vod, d] of Object.entries(diff.vods)) process.stdout.write(`  vod ${vod}: +${d.added} −${d.removed}\n`);
        if (diff.moved > 0) process.stdout.write(`  ${diff.moved} example(s) changed split\n`);
      } catch (error) {
        if (error instanceof DatasetDiffError) throw new UserError(error.message, 2);
        throw error;
      }
    });
}

function report(summary: Parameters<typeof publicSummary>[0] & { splits: Record<string, number> }, out: string | null, json: boolean | undefined, extra: object = {}) {
  if (json) return printJson(publicSummary(summary, out, extra));
  const s = summary.splits;
  process.stdout.write(
    `${summary.dataset_id}: train ${s.train}, validation ${s.validation}, test ${s.test} (split by ${summary.split_by}, ${summary.vods} VOD(s))\n` +
      `  filtered ${JSON.stringify(summary.filtered)}\n  capped   ${JSON.stringify(summary.capped)}\n` +
      (out ? `  out      ${out}\n` : ''),
  );
}
