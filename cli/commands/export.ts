import { existsSync, statSync } from 'node:fs';
import { type Command, Option } from 'commander';
import cliProgress from 'cli-progress';
import { ExportError } from '../../functions/export/export-error.ts';
import { exportRun, type ExportFormat, type ExportRunOutput } from '../../functions/export/export-run.ts';
import { ModelfileError } from '../../functions/export/ollama-modelfile.ts';
import { resolveBaseModel } from '../../functions/reply/base-model.ts';
import { UserError } from '../errors.ts';
import { printJson } from '../output.ts';

interface ExportFlags {
  run: string;
  format: ExportFormat;
  out: string;
  merge?: boolean;
  json?: boolean;
}

/** A run folder as given, or the run's serving files fetched from `gold/adapters/<run_id>/` in the lake. */
async function runFolder(run: string): Promise<string> {
  if (existsSync(run)) {
    if (!statSync(run).isDirectory()) throw new UserError(`--run ${run}: not a folder (give a training run folder or a run id)`, 2);
    return run;
  }
  if (!/^[A-Za-z0-9._-]+$/.test(run)) throw new UserError(`--run ${run}: no such folder`, 2);
  const [{ loadConfig }, { fetchServingAdapter }, { ObjectStoreError }] = await Promise.all([
    import('../../infra/config.ts'),
    import('../../infra/registry-adapter-source.ts'),
    import('../../catalog/object-store.ts'),
  ]);
  return fetchServingAdapter(loadConfig(), run).catch((error: unknown) => {
    if (error instanceof ObjectStoreError && error.kind === 'not-found') throw new UserError(`--run ${run}: no such folder, and no run gold/adapters/${run}/ in the lake`, 2);
    if (error instanceof ObjectStoreError && error.kind === 'unreachable') throw new UserError(`--run ${run}: no such folder, and the lake is unreachable (is the stack up? run \`dougpt up\`)`);
    throw error;
  });
}

function printSummary(result: ExportRunOutput): void {
  const size = (name: string) => `${((result.files.find((f) => f.name === name)?.bytes ?? 0) / 2 ** 20).toFixed(1)} MiB`;
  process.stdout.write(
    [
      `exported run ${result.run_id} (${result.format}) to ${result.out}`,
      `  model       ${result.model} (${size(result.model)})${result.merged ? ', LoRA merged in' : ''}`,
      ...(result.adapter ? [`  LoRA        ${result.adapter} (${size(result.adapter)})`] : []),
      ...(result.format === 'ollama' ? [`  Ollama      ollama create dougpt-${result.run_id} -f ${result.out}/Modelfile`] : []),
      `  prompt      ${result.prompt_spec.version}; README.md says how to run it`,
      ...result.warnings.map((w) => `  warning     ${w}`),
      '',
    ].join('\n'),
  );
}

/** `dougpt export --run RUN --format gguf|ollama --out DIR`: a trained adapter for llama.cpp, Ollama or node-llama-cpp. */
export function registerExportCommand(program: Command): void {
  program
    .command('export')
    .description('export a trained adapter with its base model: GGUF files, or an Ollama Modelfile with the prompt spec\'s chat template')
    .requiredOption('--run <run_id|dir>', 'training run folder (OUT of dougpt train), or a run id in the lake (gold/adapters/<run_id>/)')
    .addOption(new Option('--format <format>', 'gguf: base GGUF + GGUF LoRA; ollama: the same plus a Modelfile').choices(['gguf', 'ollama']).makeOptionMandatory())
    .requiredOption('--out <dir>', 'folder to create (must not exist, or be empty)')
    .option('--merge', 'fold the LoRA into the base: one GGUF (adapted weights Q8_0) that serves without a runtime adapter')
    .option('--json', 'print the export summary as JSON')
    .action(async (flags: ExportFlags) => {
      const runDir = await runFolder(flags.run);
      const showProgress = process.stderr.isTTY && !flags.json;
      const bar = new cliProgress.SingleBar({ stream: process.stderr, format: 'export [{bar}] {percentage}% {value}/{total} MiB' }, cliProgress.Presets.shades_classic);
      let started = false;
      try {
        const result = await exportRun(
          { run_dir: runDir, format: flags.format, out: flags.out, merge: flags.merge ?? false },
          {
            resolveBase: (name) => resolveBaseModel({ name }),
            onProgress: (done, total) => {
              if (!showProgress) return;
              if (!started) bar.start(Math.ceil(total / 2 ** 20), 0);
              started = true;
              bar.update(Math.floor(done / 2 ** 20));
            },
          },
        );
        if (started) bar.stop();
        if (flags.json) printJson(result);
        else printSummary(result);
      } catch (error) {
        if (started) bar.stop();
        if (error instanceof ExportError) throw new UserError(error.message, error.kind === 'merge' ? 1 : 2);
        if (error instanceof ModelfileError) throw new UserError(error.message, 2);
        throw error;
      }
    });
}
