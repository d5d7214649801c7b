import type { LlamaContext, LlamaContextSequence, LlamaModel, Token } from 'node-llama-cpp';
import type { AdapterInfo } from './reply-schemas.ts';
import type { AdapterRef, Generation, GenerateRequest, ReplyEngine } from './reply-engine.ts';

/** The ChatML end of turn: the model's end-of-generation token, also matched as text to be safe. */
export const END_OF_TURN = '<|im_end|>';

export interface BaseModelRef {
  name: string;
  gguf: string;
  sha256?: string;
}

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
   * Text every prompt starts with (the prompt spec's system turn): evaluated once per sequence
   * and kept, so a request evaluates only what follows. The kept prefix is always computed the
   * same way, so the same seed and prompt still give the same text.
   */
  promptPrefix?: string;
}

/** A context (one LoRA) and its pool of sequences. */
class Slot {
  private readonly free: LlamaContextSequence[];
  private readonly waiting: ((sequence: LlamaContextSequence) => void)[] = [];
  private active = 0;
  private retired = false;

  constructor(
    readonly context: LlamaContext,
    readonly info: AdapterInfo,
    sequences: number,
  ) {
    this.free = Array.from({ length: sequences }, () => context.getSequence());
  }

  async acquire(): Promise<LlamaContextSequence> {
    this.active++;
    const sequence = this.free.pop();
    return sequence ?? new Promise((resolve) => this.waiting.push(resolve));
  }

  release(sequence: LlamaContextSequence): void {
    this.active--;
    const next = this.waiting.shift();
    if (next) next(sequence);
    else this.free.push(sequence);
    if (this.retired && this.active === 0) void this.context.dispose();
  }

  /** Disposed once its last generation is done. */
  retire(): void {
    this.retired = true;
    if (this.active === 0) void this.context.dispose();
  }
}

function firstStop(text: string, stops: readonly string[]): number {
  let cut = -1;
  for (const stop of stops) {
    const at = text.indexOf(stop);
    if (at >= 0 && (cut < 0 || at < cut)) cut = at;
  }
  return cut;
}

/**
 * The reply engine on node-llama-cpp: the base GGUF on CPU, the promoted LoRA GGUF applied to a
 * context. Prompts are tokenized with special tokens parsed (`<|im_start|>` is one token), exactly
 * as rendered: no chat wrapper of node-llama-cpp renders anything. A prompt is always evaluated in
 * the same batches (kept prefix, rest, last token), and a sequence keeps what it evaluated, so the
 * same seed and prompt give the same text whatever ran before, and another sample of the same prompt
 * costs only its own tokens.
 *
 * @example
 * const engine = await createLlamaEngine({ base: { name: 'smollm2-135m', gguf: '/…/model.gguf' } });
 * await engine.generate({ prompt, maxTokens: 24, temperature: 0.8, topP: 0.95, seed: 1, stop: [] });
 */
export async function createLlamaEngine(options: LlamaEngineOptions): Promise<ReplyEngine> {
  // Loaded on demand: `--help`, unit tests and commands that never reply do not pay for the native addon.
  const { getLlama, LlamaLogLevel } = await import('node-llama-cpp');
  const threads = options.threads ?? 1;
  const parallel = options.parallel ?? 4;
  const contextSize = options.contextSize ?? 512;
  const llama = await getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error, maxThreads: threads, progressLogs: false });
  const model: LlamaModel = await llama.loadModel({ modelPath: options.base.gguf });
  const chatTemplate = model.fileInfo.metadata.tokenizer?.chat_template;
  const base = { name: options.base.name, gguf: options.base.gguf };
  const prefix = options.promptPrefix ? model.tokenize(options.promptPrefix, true) : [];
  const hasPrefix = (tokens: readonly Token[]) => tokens.length >= prefix.length && prefix.every((t, i) => tokens[i] === t);

  /**
   * The prompt body (all but its last token) whose evaluation each sequence holds, evaluated as
   * [kept prefix] then [the rest]: the same batches for the same prompt, so reusing it gives the
   * very numbers a fresh evaluation would.
   */
  const held = new WeakMap<LlamaContextSequence, Token[]>();
  const same = (a: readonly Token[], b: readonly Token[]) => a.length === b.length && a.every((t, i) => b[i] === t);

  /**
   * Leaves the sequence holding the prompt's body and returns what to evaluate: its last token,
   * always alone (generation needs the logits of a freshly evaluated token, and one batch shape
   * keeps replies independent of what ran before). Another sample of the prompt the sequence
   * already holds (`n` > 1, a simulation's messages to one phrase) evaluates only that token.
   */
  const prepare = async (sequence: LlamaContextSequence, tokens: Token[]): Promise<Token[]> => {
    const body = tokens.slice(0, -1);
    const last = tokens.slice(-1);
    const before = held.get(sequence);
    held.delete(sequence);
    if (before && same(before, body)) {
      await sequence.eraseContextTokenRanges([{ start: body.length, end: sequence.nextTokenIndex }]);
    } else if (prefix.length > 0 && body.length > prefix.length && hasPrefix(body)) {
      if (before && hasPrefix(before)) {
        await sequence.eraseContextTokenRanges([{ start: prefix.length, end: sequence.nextTokenIndex }]);
      } else {
        await sequence.clearHistory();
        await sequence.evaluateWithoutGeneratingNewTokens(prefix);
      }
      await sequence.evaluateWithoutGeneratingNewTokens(body.slice(prefix.length));
    } else {
      await sequence.clearHistory();
      if (body.length > 0) await sequence.evaluateWithoutGeneratingNewTokens(body);
    }
    held.set(sequence, body);
    return last;
  };

  const openSlot = async (adapter: AdapterRef | null): Promise<Slot> => {
    const context = await model.createContext({
      contextSize,
      sequences: parallel,
      threads,
      lora: adapter ? { adapters: [{ filePath: adapter.gguf }] } : undefined,
    });
    return new Slot(context, { run_id: adapter?.run_id ?? null, gguf: adapter?.gguf ?? null, base }, parallel);
  };

  let current = await openSlot(options.adapter ?? null);
  let swapping: Promise<void> = Promise.resolve();
  let closed = false;

  const generate = async (request: GenerateRequest): Promise<Generation> => {
    if (closed) throw new Error('reply engine is closed');
    const slot = current;
    const sequence = await slot.acquire();
    try {
      const tokens = model.tokenize(request.prompt, true);
      const input = await prepare(sequence, tokens);
      const stops = [END_OF_TURN, ...request.stop];
      const out: Token[] = [];
      let text = '';
      let finishReason: 'stop' | 'length' = 'stop';
      const evaluation = sequence.evaluate(input, { temperature: request.temperature, topP: request.topP, seed: request.seed });
      for await (const token of evaluation) {
        request.signal?.throwIfAborted();
        out.push(token);
        text = model.detokenize(out);
        const cut = firstStop(text, stops);
        if (cut >= 0) {
          text = text.slice(0, cut);
          break;
        }
        if (out.length >= request.maxTokens) {
          finishReason = 'length';
          break;
        }
      }
      return { text, promptTokens: tokens.length, completionTokens: out.length, finishReason, adapter: slot.info };
    } finally {
      slot.release(sequence);
    }
  };

  return {
    get adapter() {
      return current.info;
    },
    chatTemplate: typeof chatTemplate === 'string' ? chatTemplate : null,
    generate,
    useAdapter(adapter) {
      const swap = swapping.then(async () => {
        if (closed) return;
        if ((adapter?.gguf ?? null) === current.info.gguf && (adapter?.run_id ?? null) === current.info.run_id) return;
        const next = await openSlot(adapter);
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
      await swapping;
      current.retire();
      await model.dispose();
      await llama.dispose();
    },
  };
}
