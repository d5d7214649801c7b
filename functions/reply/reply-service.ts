import { createHash, randomInt, randomUUID } from 'node:crypto';
import { recall, type MemoryIndex, type Recalled } from '../memory/memory-index.ts';
import { promptHash, renderContext, renderPrompt, type LoadedPromptSpec } from '../prompt/prompt-spec.ts';
import { SAMPLING } from '../prompt/sampling.ts';
import { reviewCandidate, type Guardrails } from './guardrails/guardrails.ts';
import type { InferenceLogRecord, InferenceLogSink } from './inference-log.ts';
import type { ParityCheck } from './prompt-parity.ts';
import type { Generation, ReplyEngine } from './reply-engine.ts';
import type { ReplyMetrics } from './reply-metrics.ts';
import type { AdapterInfo, FinishReason, GuardrailAction, PromptSpecRef, RecalledMemory, SamplingRequest } from './reply-schemas.ts';

/** Sampling defaults when a request names none (functions/prompt/sampling.json, which the evaluator reads too). */
export const DEFAULT_SAMPLING = { temperature: SAMPLING.temperature, top_p: SAMPLING.top_p, top_k: SAMPLING.top_k } as const;

/** Stop strings of a request: the configured ones (a chat message is one line) and the caller's. */
export const replyStops = (stop: readonly string[] | undefined): string[] => [...new Set([...SAMPLING.stop, ...(stop ?? [])])];

export interface ReplyCall extends SamplingRequest {
  context: string;
  endpoint: InferenceLogRecord['endpoint'];
  /** Who asked (an address, a user): hashed before it is logged. */
  client?: string | null;
  signal?: AbortSignal;
  /** The VOD and moment replied to, when known (a simulation): the memory never recalls that VOD near it. */
  vod_id?: string | null;
  offset_ms?: number | null;
}

export interface ReplyChoice {
  index: number;
  /** null: every sample of this reply was rejected and it was dropped. */
  text: string | null;
  finish_reason: FinishReason;
}

export interface ReplyOutcome {
  id: string;
  choices: ReplyChoice[];
  /** The accepted replies, in order. */
  replies: string[];
  guardrail_actions: GuardrailAction[];
  adapter: AdapterInfo;
  prompt_spec: PromptSpecRef;
  usage: { prompt_tokens: number; completion_tokens: number };
  latency_ms: number;
  /** The moments the voice memory recalled into the prompt, best first (absent: no memory loaded). */
  memories?: RecalledMemory[];
}

export interface ReplyService {
  reply(call: ReplyCall): Promise<ReplyOutcome>;
  /** The prompt a call is rendered to, with the moments recalled into it (what `reply` sends the engine). */
  prompt(call: Pick<ReplyCall, 'context' | 'vod_id' | 'offset_ms'>): { prompt: string; recalled: Recalled[] };
  /** Swaps the voice memory (the server does so with the adapter it was trained with); null: none. */
  useMemory(memory: MemoryIndex | null): void;
  readonly memory: MemoryIndex | null;
  readonly engine: ReplyEngine;
  readonly spec: LoadedPromptSpec;
}

export interface ReplyServiceOptions {
  engine: ReplyEngine;
  spec: LoadedPromptSpec;
  guardrails: Guardrails;
  log: InferenceLogSink;
  metrics?: ReplyMetrics;
  parity?: ParityCheck | null;
  /** Voice memory (functions/memory): the moments recalled for each context go into its prompt. */
  memory?: MemoryIndex | null;
  /** Parity mismatches are also reported here (the server writes them to stderr). */
  onParityMismatch?: (detail: string) => void;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * The seed of reply `index`'s sample `attempt`: reply 0's first sample uses the request's seed as
 * is, the others are spread from it, so one seed fixes every reply of a request.
 */
export function sampleSeed(seed: number, index: number, attempt: number): number {
  return (seed + Math.imul(index, 0x9e3779b1) + Math.imul(attempt, 0x85ebca6b)) >>> 0;
}

/**
 * Replies to a streamer's context: renders the prompt with the prompt spec, samples `n` replies,
 * puts each through the guardrails (sampling again up to `maxRegenerations` times, then dropping
 * it), logs the request to the inference log off the reply path, and samples it for the prompt
 * parity check. The CLI, the HTTP server and the MCP server all reply through this.
 *
 * @example
 * const service = createReplyService({ engine, spec: loadPromptSpec(), guardrails, log });
 * const { replies } = await service.reply({ context: 'we are so back', n: 3, stop: [], endpoint: 'cli' });
 */
export function createReplyService(options: ReplyServiceOptions): ReplyService {
  const { engine, spec, guardrails, log, metrics } = options;
  let memory = options.memory ?? null;

  // Live requests have no VOD or offset: only the index's own rules (train moments, one per context) apply; a
  // simulation names its VOD and moment, so the ±window rule keeps the VOD's own chat out.
  const promptOf = (call: Pick<ReplyCall, 'context' | 'vod_id' | 'offset_ms'>) => {
    const recalled = memory ? recall(memory, { context: renderContext(spec.spec, call.context), vod_id: call.vod_id ?? null, offset_ms: call.offset_ms ?? null }) : [];
    return { prompt: renderPrompt(spec.spec, call.context, recalled, engine.template), recalled, memory };
  };

  const reply = async (call: ReplyCall): Promise<ReplyOutcome> => {
    const started = performance.now();
    const id = randomUUID();
    const { prompt, recalled, memory: used } = promptOf(call);
    const promptSpec: PromptSpecRef = { version: spec.spec.version, sha256: spec.sha256, prompt_hash: promptHash(prompt) };
    const seeded = call.seed !== undefined;
    const seed = call.seed ?? randomInt(2 ** 32 - 1);
    const temperature = call.temperature ?? DEFAULT_SAMPLING.temperature;
    const topP = call.top_p ?? DEFAULT_SAMPLING.top_p;
    const maxTokens = call.max_tokens ?? spec.spec.reply.max_tokens;
    const topK = call.top_k ?? DEFAULT_SAMPLING.top_k;
    // Unset penalties stay unset: the engine then samples exactly as without them.
    const penalties = {
      ...(call.presence_penalty === undefined ? {} : { presencePenalty: call.presence_penalty }),
      ...(call.frequency_penalty === undefined ? {} : { frequencyPenalty: call.frequency_penalty }),
      ...(call.repeat_penalty === undefined ? {} : { repeatPenalty: call.repeat_penalty }),
    };
    const contextSha = sha256(call.context);
    // A repeat of an earlier reply to the very same seeded request is no spam: it is reproducibility.
    const repeatKey = seeded ? JSON.stringify([contextSha, seed, temperature, topP, topK, penalties, maxTokens]) : id;

    const choices: (ReplyChoice | undefined)[] = Array.from({ length: call.n });
    const kept: (Generation | undefined)[] = Array.from({ length: call.n });
    const actions: GuardrailAction[] = [];
    let adapter = engine.adapter;
    let promptTokens = 0;
    let pending = Array.from({ length: call.n }, (_, i) => i);

    const record = (status: 'ok' | 'error', latency: number, error?: string): InferenceLogRecord => ({
      id,
      at: new Date().toISOString(),
      endpoint: call.endpoint,
      client: call.client ? sha256(call.client).slice(0, 16) : null,
      context_sha256: contextSha,
      prompt_spec: { version: promptSpec.version, sha256: promptSpec.sha256 },
      prompt_hash: promptSpec.prompt_hash,
      adapter: { run_id: adapter.run_id, gguf: adapter.gguf },
      base: { name: adapter.base.name },
      params: {
        n: call.n,
        seed,
        seeded,
        temperature,
        top_p: topP,
        top_k: topK,
        max_tokens: maxTokens,
        ...(call.presence_penalty === undefined ? {} : { presence_penalty: call.presence_penalty }),
        ...(call.frequency_penalty === undefined ? {} : { frequency_penalty: call.frequency_penalty }),
        ...(call.repeat_penalty === undefined ? {} : { repeat_penalty: call.repeat_penalty }),
      },
      replies: choices.map((c) => c?.text ?? null),
      guardrail_actions: actions,
      completion_tokens: kept.reduce((sum, g) => sum + (g?.completionTokens ?? 0), 0),
      latency_ms: latency,
      status,
      ...(used ? { memory: { sha256: used.sha256, pair_ids: recalled.map((m) => m.pair_id) } } : {}),
      ...(error === undefined ? {} : { error }),
    });

    try {
      for (let attempt = 0; pending.length > 0; attempt++) {
        // Samples of one round run together (the engine batches them); their review is in index
        // order, so the outcome depends only on the seeds, not on which sample finished first.
        const generations = await Promise.all(
          pending.map((index) =>
            engine.generate({ prompt, maxTokens, temperature, topP, topK, ...penalties, seed: sampleSeed(seed, index, attempt), stop: replyStops(call.stop), signal: call.signal }),
          ),
        );
        adapter = generations[0]!.adapter;
        promptTokens = generations[0]!.promptTokens;
        const stillPending: number[] = [];
        pending.forEach((index, k) => {
          const generation = generations[k]!;
          const accepted = choices.flatMap((c) => (c?.text ? [c.text] : []));
          const review = reviewCandidate(generation.text, guardrails, { index, attempt, accepted, repeatKey });
          if (review.verdict === 'accept') {
            actions.push(...review.actions);
            choices[index] = { index, text: review.text, finish_reason: generation.finishReason };
            kept[index] = generation;
            return;
          }
          const last = attempt >= guardrails.maxRegenerations;
          actions.push({ guardrail: review.guardrail, action: last ? 'drop' : 'regenerate', index, attempt, ...(review.detail ? { detail: review.detail } : {}) });
          if (last) choices[index] = { index, text: null, finish_reason: 'content_filter' };
          else stillPending.push(index);
        });
        pending = stillPending;
      }
    } catch (error) {
      log.write(record('error', performance.now() - started, error instanceof Error ? error.message : String(error)));
      throw error;
    }

    const done = choices as ReplyChoice[];
    const replies = done.flatMap((c) => (c.text === null ? [] : [c.text]));
    for (const text of replies) guardrails.recent?.remember(text, repeatKey);
    const latency = performance.now() - started;
    log.write(record('ok', latency));
    if (metrics) {
      metrics.replies += replies.length;
      metrics.dropped += done.length - replies.length;
      metrics.guardrail(actions);
    }
    // The shadow parity check re-renders a context alone; prompts with recalled moments have their own byte
    // parity test (gpu-runner/tests/test_memory.py).
    if (recalled.length === 0) options.parity?.sample(call.context, prompt, (result) => {
      if (metrics) {
        metrics.parityChecks++;
        if (!result.match) metrics.parityMismatches++;
      }
      if (!result.match) options.onParityMismatch?.(result.detail ?? 'prompt parity mismatch');
    });
    return {
      id,
      choices: done,
      replies,
      guardrail_actions: actions,
      adapter,
      prompt_spec: promptSpec,
      usage: { prompt_tokens: promptTokens, completion_tokens: kept.reduce((sum, g) => sum + (g?.completionTokens ?? 0), 0) },
      latency_ms: latency,
      ...(used ? { memories: recalled.map((m) => ({ pair_id: m.pair_id, score: m.score, context: m.context, reply: m.reply })) } : {}),
    };
  };

  return {
    reply,
    prompt: (call) => {
      const { prompt, recalled } = promptOf(call);
      return { prompt, recalled };
    },
    useMemory(next) {
      memory = next;
    },
    get memory() {
      return memory;
    },
    engine,
    spec,
  };
}
