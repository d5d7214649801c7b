import type { LlamaContext, LlamaContextSequence } from 'node-llama-cpp';
import { AsReadyPool } from './as-ready-pool.ts';
import { createGenerationSteps } from './generation-steps.ts';
import type { ChatTemplate, ChatTemplateFamily } from '../prompt/chat-templates.ts';
import { baseChatTemplate, loadLlamaModel, type BaseModelRef } from './llama-model.ts';
import { LockstepPool } from './lockstep-pool.ts';
import { PromptStates, STATES_PER_SEQUENCE } from './prompt-states.ts';
import type { AdapterRef, Generation, GenerateRequest, PromptReuse, ReplyEngine } from './reply-engine.ts';
import type { AdapterInfo } from './reply-schemas.ts';
import type { SequencePool } from './sequence-pool.ts';
import { serializeSampling } from './serialize-sampling.ts';

export { END_OF_TURN, penaltiesOf } from './generation-steps.ts';
export type { BaseModelRef } from './llama-model.ts';

export interface LlamaEngineOptions {
  base: BaseModelRef;
  adapter?: AdapterRef | null;
  /** Generations evaluated together (context sequences); more requests wait for a free one. */
  parallel?: number;
  /**
   * CPU threads for evaluation (default 1). A reply is a few dozen tokens of a small model, where
   * one thread already gives ~120 tokens/s; concurrent requests are batched into one evaluation
   * instead. More threads pay only on an idle machine: on a loaded one ggml's spinning thread pool
   * can stall for seconds.
   */
  threads?: number;
  /** Tokens per sequence: prompt + reply. */
  contextSize?: number;
  /**
   * Text every prompt starts with (the prompt spec's system turn, in the base's chat template): evaluated
   * once per sequence and kept, so a request evaluates only what follows. The kept prefix is always
   * computed the same way, so the same seed and prompt still give the same text.
   */
  promptPrefix?: (template: ChatTemplate) => string;
  /** The family prompts are rendered in when the base GGUF carries no chat template (default ChatML). */
  fallbackTemplate?: ChatTemplateFamily;
  /**
   * How evaluations of the sequences are batched. `as-ready` (default, the server): whatever the
   * sequences have queued when the event loop turns, the lowest latency; the batches then depend on
   * timing, and llama.cpp is not batch-invariant. `lockstep` (simulations): see LockstepPool; the
   * batches, hence the text, are a pure function of what was submitted together.
   */
  schedule?: EngineSchedule;
}

export type EngineSchedule = 'as-ready' | 'lockstep';

/**
 * The reply engine on node-llama-cpp: the base GGUF on CPU (loadLlamaModel), the promoted LoRA GGUF
 * applied to a context of `parallel` sequences, batched by the schedule's pool (AsReadyPool,
 * LockstepPool), each generation run as steps (createGenerationSteps), sampling serialised
 * (serializeSampling), prompts saved in lockstep (PromptStates). No chat wrapper of node-llama-cpp
 * renders anything: the prompt is the spec's render. Swapping the adapter opens a new pool; the old
 * one finishes its generations, then is disposed.
 *
 * @example
 * const engine = await createLlamaEngine({ base: { name: 'smollm2-135m', gguf: '/…/model.gguf' } });
 * await engine.generate({ prompt, maxTokens: 24, temperature: 0.8, topP: 0.95, seed: 1, stop: [] });
 */
export async function createLlamaEngine(options: LlamaEngineOptions): Promise<ReplyEngine> {
  const threads = options.threads ?? 1;
  const parallel = options.parallel ?? 4;
  const contextSize = options.contextSize ?? 512;
  const schedule = options.schedule ?? 'as-ready';
  const loaded = await loadLlamaModel(options.base, threads);
  const { model } = loaded;
  let template: ChatTemplate;
  try {
    template = baseChatTemplate(options.base, loaded, options.fallbackTemplate ?? 'chatml');
  } catch (error) {
    await loaded.close();
    throw error;
  }
  const base = { name: options.base.name, gguf: options.base.gguf };
  const reuse: PromptReuse = { evaluated: 0, held: 0, loaded: 0 };
  const generation = createGenerationSteps({ model, prefix: options.promptPrefix ? model.tokenize(options.promptPrefix(template), true) : [], reuse });

  const openPool = async (adapter: AdapterRef | null): Promise<SequencePool<LlamaContextSequence>> => {
    const lockstep = schedule === 'lockstep';
    const context: LlamaContext = await model.createContext({
      contextSize,
      sequences: parallel,
      threads,
      // Lockstep: room for every sequence's whole prompt in one batch, so no step is ever split.
      ...(lockstep ? { batchSize: contextSize * parallel } : {}),
      lora: adapter ? { adapters: [{ filePath: adapter.gguf }] } : undefined,
    });
    serializeSampling(context);
    const info: AdapterInfo = { run_id: adapter?.run_id ?? null, gguf: adapter?.gguf ?? null, base };
    // States hold the adapter's numbers: one store per pool, removed with its context.
    const states = lockstep ? await PromptStates.open(STATES_PER_SEQUENCE * parallel) : null;
    const sequences = Array.from({ length: context.totalSequences }, () => context.getSequence());
    const steps = (sequence: LlamaContextSequence, request: GenerateRequest) => generation(sequence, request, info, states);
    const release = () => Promise.allSettled([context.dispose(), states?.close()]);
    return lockstep ? new LockstepPool(sequences, info, steps, release) : new AsReadyPool(sequences, info, steps, release);
  };

  let current = await openPool(options.adapter ?? null);
  let swapping: Promise<void> = Promise.resolve();
  let closed = false;

  const prefetched = new Map<string, Promise<Generation>>();
  const key = (r: GenerateRequest) =>
    JSON.stringify([r.prompt, r.maxTokens, r.temperature, r.topP, r.topK ?? null, r.presencePenalty ?? 0, r.frequencyPenalty ?? 0, r.repeatPenalty ?? 1, r.seed, r.stop]);

  const generate = async (request: GenerateRequest): Promise<Generation> => {
    if (closed) throw new Error('reply engine is closed');
    const ready = prefetched.get(key(request));
    if (ready) {
      prefetched.delete(key(request));
      return ready;
    }
    return current.run(request);
  };

  return {
    get adapter() {
      return current.info;
    },
    chatTemplate: loaded.chatTemplate,
    template,
    generate,
    async prefetch(requests) {
      if (closed) throw new Error('reply engine is closed');
      const started = requests.flatMap((request) => {
        if (prefetched.has(key(request))) return [];
        const generation = current.run(request);
        prefetched.set(key(request), generation);
        return [generation];
      });
      // Failures reach the `generate` that takes the result.
      await Promise.allSettled(started);
    },
    promptReuse: () => ({ ...reuse }),
    useAdapter(adapter) {
      const swap = swapping.then(async () => {
        if (closed) return;
        if ((adapter?.gguf ?? null) === current.info.gguf && (adapter?.run_id ?? null) === current.info.run_id) return;
        const next = await openPool(adapter);
        const previous = current;
        current = next;
        previous.retire();
      });
      // A failed swap keeps the current adapter and does not block later swaps.
      swapping = swap.catch(() => undefined);
      return swap;
    },
    async close() {
      closed = true;
      prefetched.clear();
      await swapping;
      current.retire();
      await current.disposed;
      await loaded.close();
    },
  };
}
