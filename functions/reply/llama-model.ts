import type { Llama, LlamaModel } from 'node-llama-cpp';
import { detectChatTemplateFamily, type ChatTemplate, type ChatTemplateFamily } from '../prompt/chat-templates.ts';

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
  /** The tokenizer's begin- and end-of-sequence texts ('' when it has none), which some chat templates write. */
  bos: string;
  eos: string;
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
    bos: model.tokens.bosString ?? '',
    eos: model.tokens.eosString ?? '',
    async close() {
      await model.dispose();
      await llama.dispose();
    },
  };
}

/** A base whose GGUF chat template is none of the families the server renders. */
export class ChatTemplateError extends Error {
  override name = 'ChatTemplateError';
}

/**
 * The chat template the base's prompts are rendered in: the family its GGUF's own template is, or `fallback`
 * (the prompt spec's) when the GGUF carries none. A template of no known family is refused: its prompts could
 * not be rendered as training rendered them.
 */
export function baseChatTemplate(base: BaseModelRef, loaded: Pick<LoadedModel, 'chatTemplate' | 'bos' | 'eos'>, fallback: ChatTemplateFamily): ChatTemplate {
  if (loaded.chatTemplate === null) return { family: fallback, bos: loaded.bos, eos: loaded.eos };
  const family = detectChatTemplateFamily(loaded.chatTemplate, loaded.bos, loaded.eos);
  if (!family) {
    throw new ChatTemplateError(
      `base ${base.name} (${base.gguf}): its chat template is none of the families the server renders (chatml, llama3, mistral, gemma): ` +
        `use a ChatML (SmolLM2, Qwen2.5), Llama 3, Mistral or Gemma instruct base`,
    );
  }
  return { family, bos: loaded.bos, eos: loaded.eos };
}
