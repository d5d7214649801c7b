import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LlamaContext, LlamaContextSequence, LlamaContextSequenceRepeatPenalty, LlamaModel, Token } from 'node-llama-cpp';
import type { AdapterInfo } from './reply-schemas.ts';
import type { AdapterRef, Generation, GenerateRequest, PromptReuse, ReplyEngine } from './reply-engine.ts';

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
  /**
   * How evaluations of the sequences are batched. `as-ready` (default, the server): whatever the
   * sequences have queued when the event loop turns, the lowest latency; the batches then depend on
   * timing, and llama.cpp is not batch-invariant. `lockstep` (simulations): see LockstepPool; the
   * batches, hence the text, are a pure function of what was submitted together.
   */
  schedule?: EngineSchedule;
}

export type EngineSchedule = 'as-ready' | 'lockstep';

/** One generation as steps: each `next()` awaits exactly one evaluation batch; the last returns the result. */
type GenerationSteps = AsyncGenerator<void, Generation, void>;

/** A context (one LoRA) and its sequences, running generations on them. */
abstract class SequencePool {
  protected readonly sequences: LlamaContextSequence[];

  constructor(
    readonly context: LlamaContext,
    readonly info: AdapterInfo,
    protected readonly steps: (sequence: LlamaContextSequence, request: GenerateRequest) => GenerationSteps,
    private readonly states: PromptStates | null,
  ) {
    this.sequences = Array.from({ length: context.totalSequences }, () => context.getSequence());
  }

  abstract run(request: GenerateRequest): Promise<Generation>;
  /** Disposed once its last generation is done. */
  abstract retire(): void;

  private gone = false;
  private settleDisposed: () => void = () => undefined;
  /** Resolves once the context and the saved prompt states are gone. */
  readonly disposed = new Promise<void>((resolve) => {
    this.settleDisposed = resolve;
  });

  protected dispose(): void {
    if (this.gone) return;
    this.gone = true;
    void Promise.allSettled([this.context.dispose(), this.states?.close()]).then(() => this.settleDisposed());
  }
}

/** Sequences taken by whichever request comes first; evaluations batched as they are queued. */
class AsReadyPool extends SequencePool {
  private readonly free = [...this.sequences];
  private readonly waiting: ((sequence: LlamaContextSequence) => void)[] = [];
  private active = 0;
  private retired = false;

  async run(request: GenerateRequest): Promise<Generation> {
    this.active++;
    const sequence = this.free.pop() ?? (await new Promise<LlamaContextSequence>((resolve) => this.waiting.push(resolve)));
    try {
      const steps = this.steps(sequence, request);
      for (;;) {
        const step = await steps.next();
        if (step.done) return step.value;
      }
    } finally {
      this.release(sequence);
    }
  }

  private release(sequence: LlamaContextSequence): void {
    this.active--;
    const next = this.waiting.shift();
    if (next) next(sequence);
    else this.free.push(sequence);
    if (this.retired && this.active === 0) this.dispose();
  }

  retire(): void {
    this.retired = true;
    if (this.active === 0) this.dispose();
  }
}

interface LockstepJob {
  request: GenerateRequest;
  resolve: (generation: Generation) => void;
  reject: (error: unknown) => void;
}

/**
 * K sequences that advance together. Each step, every busy sequence queues exactly one evaluation
 * (a prompt part or its next token) and the step's batch is dispatched once all have; the next step
 * starts on a later event-loop turn, when that batch is wholly done, so no batch ever holds a part of
 * one step and a part of another. Idle sequences take waiting requests in submission order at step
 * boundaries, lowest sequence first, a request going to the sequence that holds its prompt (other
 * samples of a prompt wait for it and evaluate only their own tokens). So each batch's content and
 * order, and the KV cache's layout, follow only from the requests submitted and their order — not
 * from how fast anything ran — and the same requests submitted together give the same text (with
 * sampling serialised: see serializeSampling).
 * Requests submitted while steps run join at a boundary that depends on timing: submit together.
 */
class LockstepPool extends SequencePool {
  /** The prompt each sequence holds or is evaluating. */
  private readonly prompts: (string | null)[] = this.sequences.map(() => null);
  private readonly busy: ({ job: LockstepJob; steps: GenerationSteps } | null)[] = this.sequences.map(() => null);
  private readonly waiting: LockstepJob[] = [];
  private running = false;
  private retired = false;

  run(request: GenerateRequest): Promise<Generation> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ request, resolve, reject });
      if (this.running) return;
      this.running = true;
      // A turn later: every request submitted in this one is waiting when the first step is planned.
      setImmediate(() => void this.loop());
    });
  }

  retire(): void {
    this.retired = true;
    if (!this.running) this.dispose();
  }

  /** Gives idle sequences work: first the samples of the prompt each holds, then new prompts in order. */
  private assign(): void {
    const take = (i: number, at: number) => {
      const job = this.waiting.splice(at, 1)[0] as LockstepJob;
      this.prompts[i] = job.request.prompt;
      this.busy[i] = { job, steps: this.steps(this.sequences[i] as LlamaContextSequence, job.request) };
    };
    this.busy.forEach((b, i) => {
      if (b) return;
      const at = this.waiting.findIndex((j) => j.request.prompt === this.prompts[i]);
      if (at >= 0) take(i, at);
    });
    this.busy.forEach((b, i) => {
      if (b) return;
      // A prompt another sequence holds or is evaluating waits for that sequence.
      const at = this.waiting.findIndex((j) => !this.prompts.includes(j.request.prompt));
      if (at >= 0) take(i, at);
    });
  }

  private async loop(): Promise<void> {
    for (;;) {
      this.assign();
      const active = this.busy.flatMap((b, i) => (b ? [{ ...b, i }] : []));
      if (active.length === 0) break;
      // Started in sequence order, each queues its one evaluation before anything is dispatched.
      await Promise.all(
        active.map(async ({ job, steps, i }) => {
          try {
            const step = await steps.next();
            if (!step.done) return;
            this.busy[i] = null;
            job.resolve(step.value);
          } catch (error) {
            this.busy[i] = null;
            this.prompts[i] = null;
            job.reject(error);
          }
        }),
      );
      await new Promise((resolve) => setImmediate(resolve));
    }
    this.running = false;
    if (this.retired) this.dispose();
  }
}

/**
 * Makes a context sample one token at a time. node-llama-cpp samples the sequences of a batch
 * concurrently on libuv's thread pool, and llama.cpp's every read of the logits first applies the
 * batch's pending output reorder in place, unlocked (`llama_context::output_reorder`, when the
 * outputs came out of the micro-batches out of order): concurrent reads race, and a sequence can
 * sample from scrambled logits. Seen as two runs of one seed and
 * one schedule writing different text, identical with a one-thread pool. Sampling is a small part
 * of a step; the order of the batch's samples does not matter once they are serial.
 */
function serializeSampling(context: LlamaContext): void {
  const addon = (context as unknown as { _ctx?: { sampleToken?: (...args: unknown[]) => Promise<unknown> } })._ctx;
  const sample = addon?.sampleToken;
  if (!addon || typeof sample !== 'function') throw new Error('node-llama-cpp: the context has no sampleToken to serialise (internals changed: check this engine against the new version)');
  let queue: Promise<unknown> = Promise.resolve();
  // The addon's methods are read-only on its prototype: shadow it on the instance.
  Object.defineProperty(addon, 'sampleToken', {
    value: (...args: unknown[]) => {
      const next = queue.then(() => sample.apply(addon, args));
      queue = next.catch(() => undefined);
      return next;
    },
  });
}

/**
 * node-llama-cpp's penalty settings for a request, over the reply's tokens so far (all of them: the
 * window is the reply's token budget); null when the request sets none, so the sampler chain is
 * exactly the one without penalties.
 */
export function penaltiesOf(request: GenerateRequest, generated: () => Token[]): LlamaContextSequenceRepeatPenalty | null {
  const presencePenalty = request.presencePenalty ?? 0;
  const frequencyPenalty = request.frequencyPenalty ?? 0;
  const penalty = request.repeatPenalty ?? 1;
  if (presencePenalty === 0 && frequencyPenalty === 0 && penalty === 1) return null;
  return { punishTokens: generated, maxPunishTokens: Math.max(1, request.maxTokens), penalty, presencePenalty, frequencyPenalty };
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
 * Evaluated prompts saved to files (llama.cpp's per-sequence state: the tokens and their KV cells),
 * newest `limit` kept. A lockstep pool saves each prompt it evaluates; a later request for one of
 * them — a simulation's redraw of a sample the guardrails rejected, long after its sequence moved
 * on — loads it instead of evaluating the prompt again, alone, token by token. The loaded numbers
 * are the ones the first samples used.
 */
class PromptStates {
  private readonly files = new Map<string, string>();
  private next = 0;

  private constructor(private readonly dir: string, private readonly limit: number) {}

  static async open(limit: number): Promise<PromptStates> {
    return new PromptStates(await mkdtemp(join(tmpdir(), 'dougpt-prompt-states-')), limit);
  }

  /** The file holding the prompt's state, marked as just used; null when none is kept. */
  take(prompt: string): string | null {
    const file = this.files.get(prompt);
    if (file === undefined) return null;
    this.files.delete(prompt);
    this.files.set(prompt, file);
    return file;
  }

  /** Saves the sequence's state as the prompt's; a failed save (a full disk) only loses the shortcut. */
  async save(sequence: LlamaContextSequence, prompt: string): Promise<void> {
    const file = join(this.dir, `${this.next++}.state`);
    try {
      await sequence.saveStateToFile(file);
    } catch {
      await this.remove(file);
      return;
    }
    this.files.set(prompt, file);
    for (const [old, path] of this.files) {
      if (this.files.size <= this.limit) break;
      this.files.delete(old);
      await this.remove(path);
    }
  }

  forget(prompt: string): void {
    const file = this.files.get(prompt);
    this.files.delete(prompt);
    if (file) void this.remove(file);
  }

  async close(): Promise<void> {
    this.files.clear();
    await this.remove(this.dir);
  }

  private async remove(path: string): Promise<void> {
    await rm(path, { recursive: true, force: true });
  }
}

/** Prompts a lockstep pool keeps saved, per sequence: a simulation's window of prefetched requests. */
const STATES_PER_SEQUENCE = 8;

/**
 * The reply engine on node-llama-cpp: the base GGUF on CPU, the promoted LoRA GGUF applied to a
 * context. Prompts are tokenized with special tokens parsed (`<|im_start|>` is one token), exactly
 * as rendered: no chat wrapper of node-llama-cpp renders anything. A prompt is always evaluated in
 * the same batches (kept prefix, rest, last token), and a sequence keeps what it evaluated, so the
 * same seed and prompt give the same text whatever ran before, and another sample of the same prompt
 * costs only its own tokens. In lockstep a prompt's evaluation is also saved (PromptStates), and a
 * later sample of it on any sequence loads it.
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
  const schedule = options.schedule ?? 'as-ready';
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
  const reuse: PromptReuse = { evaluated: 0, held: 0, loaded: 0 };
  const same = (a: readonly Token[], b: readonly Token[]) => a.length === b.length && a.every((t, i) => b[i] === t);

  /**
   * One generation on a sequence, as steps of one evaluation batch each. The sequence is left
   * holding the prompt's body; its last token is always evaluated alone (generation needs the logits
   * of a freshly evaluated token, and one batch shape keeps replies independent of what ran before).
   * Another sample of the prompt the sequence already holds (`n` > 1, a simulation's messages to one
   * phrase) evaluates only that token.
   */
  async function* generationSteps(sequence: LlamaContextSequence, request: GenerateRequest, info: AdapterInfo, states: PromptStates | null): GenerationSteps {
    const tokens = model.tokenize(request.prompt, true);
    const body = tokens.slice(0, -1);
    let before = held.get(sequence);
    held.delete(sequence);
    const holds = before !== undefined && same(before, body);
    const saved = holds ? null : (states?.take(request.prompt) ?? null);
    let loaded = false;
    if (saved) {
      // Emptied first: a load that fails then leaves the sequence empty, not half what it held.
      await sequence.clearHistory();
      before = undefined;
      try {
        await sequence.loadStateFromFile(saved, { acceptRisk: true });
        loaded = true;
      } catch {
        // A saved state that cannot be read is only a lost shortcut: evaluate the prompt from scratch.
        states?.forget(request.prompt);
      }
      // A step of its own: this sequence then has no evaluation in the step's batch, whenever the load ends.
      yield;
    }
    // Saved after the step's batch is done, inside the step: no evaluation waits on the file.
    const save = async () => {
      if (states && body.length > 0) await states.save(sequence, request.prompt);
    };
    reuse[holds ? 'held' : loaded ? 'loaded' : 'evaluated']++;
    if (holds) {
      await sequence.eraseContextTokenRanges([{ start: body.length, end: sequence.nextTokenIndex }]);
    } else if (loaded) {
      // Holds the prompt's body, as evaluated when it was saved.
    } else if (prefix.length > 0 && body.length > prefix.length && hasPrefix(body)) {
      if (before && hasPrefix(before)) {
        await sequence.eraseContextTokenRanges([{ start: prefix.length, end: sequence.nextTokenIndex }]);
      } else {
        await sequence.clearHistory();
        await sequence.evaluateWithoutGeneratingNewTokens(prefix);
        yield;
      }
      await sequence.evaluateWithoutGeneratingNewTokens(body.slice(prefix.length));
      await save();
      yield;
    } else {
      await sequence.clearHistory();
      if (body.length > 0) {
        await sequence.evaluateWithoutGeneratingNewTokens(body);
        await save();
        yield;
      }
    }
    held.set(sequence, body);

    const stops = [END_OF_TURN, ...request.stop];
    const out: Token[] = [];
    let text = '';
    let finishReason: 'stop' | 'length' = 'stop';
    const repeatPenalty = penaltiesOf(request, () => out);
    const evaluation = sequence.evaluate(tokens.slice(-1), {
      temperature: request.temperature,
      topP: request.topP,
      ...(request.topK === undefined ? {} : { topK: request.topK }),
      ...(repeatPenalty ? { repeatPenalty } : {}),
      seed: request.seed,
    });
    try {
      for (;;) {
        const next = await evaluation.next();
        if (next.done) break;
        request.signal?.throwIfAborted();
        out.push(next.value);
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
        yield;
      }
    } finally {
      await evaluation.return();
    }
    return { text, promptTokens: tokens.length, completionTokens: out.length, finishReason, adapter: info };
  }

  const openPool = async (adapter: AdapterRef | null): Promise<SequencePool> => {
    const lockstep = schedule === 'lockstep';
    const context = await model.createContext({
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
    const steps = (sequence: LlamaContextSequence, request: GenerateRequest) => generationSteps(sequence, request, info, states);
    return lockstep ? new LockstepPool(context, info, steps, states) : new AsReadyPool(context, info, steps, null);
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
    chatTemplate: typeof chatTemplate === 'string' ? chatTemplate : null,
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
      await model.dispose();
      await llama.dispose();
    },
  };
}
