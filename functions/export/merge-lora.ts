import { join } from 'node:path';
import { execa } from 'execa';
import { z } from 'zod';
import { REPO_ROOT } from '../../common/paths.ts';
import { projectPython } from '../reply/base-model.ts';
import { ExportError } from './export-error.ts';

/** Type of the merged (adapted) weights: Q8_0 keeps them within ~0.4 % without a second 4-bit rounding. */
export const MERGED_TYPE = 'q8_0';

const MergeResult = z.looseObject({ out: z.string(), type: z.string(), merged_tensors: z.number().int() });
export type MergeResult = z.infer<typeof MergeResult>;

/**
 * Folds a GGUF LoRA into its base GGUF with the gpu-runner's merger
 * (`python -m dougpt_gpu models --merge-lora`, GGUF in, GGUF out, no torch): adapted weights become
 * W + (alpha / r)·B·A, written as Q8_0; every other tensor and all metadata are the base's. Without the
 * project's Python (or its `gguf` package) this fails with one line saying so.
 *
 * @example
 * await mergeLora({ base: 'base.gguf', lora: 'run.lora.gguf', out: 'run.merged.q8_0.gguf' });
 */
export async function mergeLora(files: { base: string; lora: string; out: string }, options: { python?: string; signal?: AbortSignal } = {}): Promise<MergeResult> {
  const python = options.python ?? projectPython();
  const result = await execa(python, ['-m', 'dougpt_gpu', 'models', '--merge-lora', files.lora, '--base', files.base, '--out', files.out, '--type', MERGED_TYPE], {
    reject: false,
    cancelSignal: options.signal,
    env: { PYTHONPATH: join(REPO_ROOT, 'gpu-runner', 'src') },
  });
  if ((result as { code?: string }).code === 'ENOENT') throw new ExportError('merge', `--merge: ${python} not found (the project's Python merges; run \`make setup\`)`);
  if (result.exitCode !== 0) {
    const last = String(result.stderr ?? '').trim().split('\n').at(-1) || `exit ${result.exitCode}`;
    throw new ExportError('merge', `--merge: the LoRA could not be merged: ${last.replace(/^dougpt_gpu: /, '')}`);
  }
  const parsed = MergeResult.safeParse(JSON.parse(String(result.stdout).trim().split('\n').at(-1) ?? 'null'));
  if (!parsed.success) throw new ExportError('merge', `--merge: the merger printed no result (${String(result.stdout).slice(0, 80)})`);
  return parsed.data;
}
