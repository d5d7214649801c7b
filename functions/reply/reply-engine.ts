import type { ChatTemplate } from '../prompt/chat-templates.ts';
import type { AdapterInfo } from './reply-schemas.ts';

/** One completion of a rendered prompt. */
export interface GenerateRequest {
  /** The full prompt text (renderPrompt's output), special tokens included. */
  prompt: string;
  maxTokens: number;
  /** 0: greedy. */
  temperature: number;
  topP: number;
  /** Sample among the k likeliest tokens (0: all). Default: node-llama-cpp's own (40). */
  topK?: number;
  /**
   * Penalties on the tokens the reply has generated so far (the prompt's are not punished: a reply
   * that takes up the streamer's words is what a listening model should write). OpenAI's additive
   * ones: a token's logit is lowered by `presencePenalty` once it occurred and by `frequencyPenalty`
   * for each time it occurred (0: off). llama.cpp's multiplicative `repeatPenalty` divides a positive
   * logit of an occurred token by it (1: off).
   */
  presencePenalty?: number;
  frequencyPenalty?: number;
  repeatPenalty?: number;
  /** Same seed, prompt and adapter: same text. */
  seed: number;
  /** Generation ends before any of these; `<|im_end|>` always ends it. */
  stop: readonly string[];
  signal?: AbortSignal;
}

export interface Generation {
  text: string;
  promptTokens: number;
  completionTokens: number;
  finishReason: 'stop' | 'length';
  /** The adapter that produced it (it can change between requests). */
  adapter: AdapterInfo;
}

/** A LoRA to serve: a GGUF LoRA file and the training run it came from. */
export interface AdapterRef {
  run_id: string | null;
  gguf: string;
  /** The base the adapter was trained on, from run.json, when known. */
  base?: { name?: string; sha256?: string };
  /** The prompt spec the adapter was trained with, from run.json, when recorded. */
  prompt_spec?: TrainedPromptSpec;
  /** The chat template family the adapter was trained in, from run.json, when recorded. */
  chat_template?: string;
  /** The voice memory index the adapter was trained with (run.json `memory`, copied beside it): served with it. */
  memory?: { sha256: string; path: string };
}

/** A prompt spec as a training run records it (the dataset's spec): version and sha256 of its bytes. */
export interface TrainedPromptSpec {
  version?: string;
  sha256?: string;
}

/**
 * Something that completes prompts: node-llama-cpp in the server, a stub in unit tests.
 * `useAdapter` swaps the LoRA without a restart; generations already running finish on the old one.
 */
export interface ReplyEngine {
  readonly adapter: AdapterInfo;
  /** The model's own chat template (GGUF `tokenizer.chat_template`), for the prompt parity check. */
  readonly chatTemplate: string | null;
  /** The chat template prompts for this engine's base are rendered in (renderPrompt's last argument). */
  readonly template: ChatTemplate;
  generate(request: GenerateRequest): Promise<Generation>;
  /**
   * Starts these generations now, submitted together (a lockstep engine batches them
   * reproducibly); resolves once all are done. A later `generate` of an identical request (the
   * signal aside) takes its result instead of generating again.
   */
  prefetch?(requests: readonly GenerateRequest[]): Promise<void>;
  useAdapter(adapter: AdapterRef | null): Promise<void>;
  /**
   * How the generations since the engine opened got their prompt: evaluated, already held by the
   * sequence (another sample of it), or loaded from a saved evaluation.
   */
  promptReuse?(): PromptReuse;
  close(): Promise<void>;
}

export interface PromptReuse {
  evaluated: number;
  held: number;
  loaded: number;
}
