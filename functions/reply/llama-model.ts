import type { Llama, LlamaModel } from 'node-llama-cpp';

export interface BaseModelRef {
  name: string;
  gguf: string;
  sha256?: string;
}

/** A base GGUF loaded on the CPU, with its own chat template. */
export interface LoadedModel {
  llama: Llama;
  model: LlamaModel;
  /** The GGUF's `tokenizer.chat_template`, for the prompt parity check; null when it has none. */
  chatTemplate: string | null;
  /** Frees the model, then the llama.cpp backend. */
  close(): Promise<void>;
}

/**
 * Loads the base GGUF with node-llama-cpp on the CPU (never a build: the prebuilt binary, or a
 * clear failure), with `threads` threads at most and only errors logged.
 *
 * @example
 * const { model, close } = await loadLlamaModel({ name: 'smollm2-135m', gguf: '/…/model.gguf' }, 1);
 */
export async function loadLlamaModel(base: BaseModelRef, threads: number): Promise<LoadedModel> {
  // Loaded on demand: `--help`, unit tests and commands that never reply do not pay for the native addon.
  const { getLlama, LlamaLogLevel } = await import('node-llama-cpp');
  const llama = await getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error, maxThreads: threads, progressLogs: false });
  const model = await llama.loadModel({ modelPath: base.gguf });
  const template = model.fileInfo.metadata.tokenizer?.chat_template;
  return {
    llama,
    model,
    chatTemplate: typeof template === 'string' ? template : null,
    async close() {
      await model.dispose();
      await llama.dispose();
    },
  };
}
