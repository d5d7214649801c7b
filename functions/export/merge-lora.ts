import { execa } from 'execa';
import { ExportError } from './export-error.ts';

/** llama.cpp's tool that bakes a GGUF LoRA into its base (tools/export-lora). */
export const EXPORT_LORA_TOOL = 'llama-export-lora';

/**
 * Merges a GGUF LoRA into its base GGUF with llama.cpp's `llama-export-lora`: quantized base
 * tensors are dequantized and the merged model is written as F16. Without the tool this fails
 * with one line saying so; nothing here merges by other means.
 *
 * @example
 * await mergeLora({ base: 'base.gguf', lora: 'run.lora.gguf', out: 'merged.f16.gguf' });
 */
export async function mergeLora(files: { base: string; lora: string; out: string }, options: { tool?: string; signal?: AbortSignal } = {}): Promise<void> {
  const tool = options.tool ?? EXPORT_LORA_TOOL;
  const result = await execa(tool, ['-m', files.base, '--lora', files.lora, '-o', files.out], { reject: false, cancelSignal: options.signal, all: true });
  if ((result as { code?: string }).code === 'ENOENT') {
    throw new ExportError('merge', `--merge: llama.cpp's ${tool} is not on PATH (build llama.cpp's tools/export-lora, or export without --merge: base GGUF + LoRA)`);
  }
  if (result.exitCode !== 0) {
    const last = String(result.all ?? '').trim().split('\n').at(-1) ?? `exit ${result.exitCode}`;
    throw new ExportError('merge', `--merge: ${tool} failed: ${last}`);
  }
}
