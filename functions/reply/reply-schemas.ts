import { z } from 'zod';

/**
 * Requests and responses of the reply API: the OpenAI-compatible `/v1/chat/completions` (what chat
 * clients and SDKs speak) and DougPT's own `/v1/reply`. Requests are parsed before use. A field the
 * server cannot honour (`logprobs`, `tools`, `response_format`, `logit_bias`, anything unknown) is a
 * 400 naming it — unless its value asks for nothing (`logprobs: false`, `tools: []`,
 * `response_format: {"type":"text"}`, …), which stock clients send and which is then accepted.
 */

/** Most replies one request may ask for. */
export const MAX_N = 8;
/** Most tokens one reply may ask for: chat messages are short, and a long generation holds a slot. */
export const MAX_REPLY_TOKENS = 256;
/** Longest streamer context accepted, in characters (the prompt keeps only its last words anyway). */
export const MAX_CONTEXT_CHARS = 16_000;

export const GUARDRAILS = ['toxicity', 'banned_phrase', 'viewer_name', 'length_cap', 'repetition', 'empty'] as const;
export const Guardrail = z.enum(GUARDRAILS);
export type Guardrail = z.infer<typeof Guardrail>;

/**
 * What a guardrail did to one candidate reply: `regenerate` (the candidate was thrown away and
 * another sampled), `drop` (no acceptable candidate within the budget: the reply is left out),
 * `scrub` (names replaced by the placeholder), `truncate` (cut to the length cap).
 */
export const GuardrailAction = z.object({
  guardrail: Guardrail,
  action: z.enum(['regenerate', 'drop', 'scrub', 'truncate']),
  /** Which of the request's `n` replies. */
  index: z.number().int().min(0),
  /** Which sampling attempt of that reply (0 first). */
  attempt: z.number().int().min(0),
  /** What matched, e.g. the banned phrase or the number of names scrubbed; never a viewer's name. */
  detail: z.string().optional(),
});
export type GuardrailAction = z.infer<typeof GuardrailAction>;

/** The adapter a reply came from; `run_id` null is the base model alone. */
export const AdapterInfo = z.object({
  run_id: z.string().nullable(),
  /** The GGUF LoRA file, null for the base model. */
  gguf: z.string().nullable(),
  base: z.object({ name: z.string(), gguf: z.string() }),
});
export type AdapterInfo = z.infer<typeof AdapterInfo>;

export const PromptSpecRef = z.object({
  version: z.string(),
  sha256: z.string(),
  /** promptHash() of the rendered prompt the model completed. */
  prompt_hash: z.string(),
});
export type PromptSpecRef = z.infer<typeof PromptSpecRef>;

const Seed = z.number().int().min(0).max(2 ** 32 - 1);
const Temperature = z.number().min(0).max(2);
const TopP = z.number().gt(0).max(1);
const MaxTokens = z.number().int().min(1).max(MAX_REPLY_TOKENS);
const Stop = z.union([z.string().min(1), z.array(z.string().min(1)).max(4)]);
/** Sample among the k likeliest tokens; 0: all of them. */
const TopK = z.number().int().min(0).max(100_000);
/** OpenAI's range. */
const Penalty = z.number().min(-2).max(2);
/** llama.cpp's multiplicative repeat penalty; 1: off. */
const RepeatPenalty = z.number().gt(0).max(2);

/** Sampling settings shared by both request shapes. */
export interface SamplingRequest {
  n: number;
  seed?: number;
  temperature?: number;
  top_p?: number;
  top_k?: number;
  presence_penalty?: number;
  frequency_penalty?: number;
  repeat_penalty?: number;
  max_tokens?: number;
  stop: string[];
}

/**
 * `POST /v1/reply`.
 *
 * @example
 * ReplyRequest.parse({ context: 'okay chat we are going to win this', n: 3 })
 */
export const ReplyRequest = z.strictObject({
  context: z.string().max(MAX_CONTEXT_CHARS),
  n: z.number().int().min(1).max(MAX_N).default(1),
  seed: Seed.optional(),
  temperature: Temperature.optional(),
  top_p: TopP.optional(),
  top_k: TopK.optional(),
  presence_penalty: Penalty.optional(),
  frequency_penalty: Penalty.optional(),
  repeat_penalty: RepeatPenalty.optional(),
  max_tokens: MaxTokens.optional(),
  stop: Stop.optional().transform((s) => (s === undefined ? [] : typeof s === 'string' ? [s] : s)),
});
export type ReplyRequest = z.infer<typeof ReplyRequest>;

/** A moment the voice memory recalled into the prompt (docs/memory.md). */
export const RecalledMemory = z.object({ pair_id: z.string(), score: z.number(), context: z.string(), reply: z.string() });
export type RecalledMemory = z.infer<typeof RecalledMemory>;

export const ReplyResponse = z.object({
  /** Accepted replies, in request order; a dropped one is left out. */
  replies: z.array(z.string()),
  guardrail_actions: z.array(GuardrailAction),
  adapter: AdapterInfo,
  prompt_spec: PromptSpecRef,
  latency_ms: z.number(),
  /** With a memory index loaded: the moments recalled into the prompt, best first. */
  memories: z.array(RecalledMemory).optional(),
});
export type ReplyResponse = z.infer<typeof ReplyResponse>;

const TextPart = z.object({ type: z.literal('text'), text: z.string() });
const MessageContent = z.union([z.string(), z.array(z.union([TextPart, z.object({ type: z.string() }).loose()])), z.null()]);

export const ChatMessage = z
  .object({
    role: z.enum(['system', 'developer', 'user', 'assistant', 'tool', 'function']),
    content: MessageContent.optional(),
    name: z.string().optional(),
  })
  .loose();
export type ChatMessage = z.infer<typeof ChatMessage>;

/** The text of a message: a string, or its text parts joined (images and other parts are ignored). */
export function messageText(message: ChatMessage): string {
  const { content } = message;
  if (content == null) return '';
  if (typeof content === 'string') return content;
  return content.flatMap((part) => ('text' in part && typeof part.text === 'string' ? [part.text] : [])).join('');
}

const isEmpty = (v: unknown) => v == null || (Array.isArray(v) && v.length === 0) || (typeof v === 'object' && !Array.isArray(v) && Object.keys(v as object).length === 0);

/**
 * OpenAI request fields this server cannot honour, each with the values that ask for nothing: those
 * are accepted (stock clients send them) and change nothing; any other value is a 400 naming the field.
 */
export const INERT_OPENAI_FIELDS: Readonly<Record<string, (value: unknown) => boolean>> = {
  logprobs: (v) => v == null || v === false,
  top_logprobs: (v) => v == null || v === 0,
  tools: isEmpty,
  tool_choice: (v) => v == null || v === 'none',
  parallel_tool_calls: (v) => v == null || typeof v === 'boolean',
  functions: isEmpty,
  function_call: (v) => v == null || v === 'none',
  response_format: (v) => v == null || (typeof v === 'object' && (v as { type?: unknown }).type === 'text' && Object.keys(v as object).length === 1),
  logit_bias: isEmpty,
  store: (v) => v == null || v === false,
  metadata: isEmpty,
  service_tier: (v) => v == null || v === 'auto' || v === 'default',
  modalities: (v) => v == null || (Array.isArray(v) && v.length === 1 && v[0] === 'text'),
  audio: (v) => v == null,
  prediction: (v) => v == null,
  reasoning_effort: (v) => v == null,
  verbosity: (v) => v == null,
  web_search_options: (v) => v == null,
};

/** The fields ChatCompletionRequest reads (or, for the caller's identity, accepts). */
const KNOWN_FIELDS: ReadonlySet<string> = new Set([
  'model', 'messages', 'max_tokens', 'max_completion_tokens', 'temperature', 'top_p', 'top_k', 'presence_penalty', 'frequency_penalty', 'repeat_penalty',
  'seed', 'stop', 'n', 'stream', 'stream_options', 'user', 'safety_identifier', 'prompt_cache_key',
]);

/**
 * `POST /v1/chat/completions`, OpenAI's shape. The last `user` message is the streamer's context;
 * the system turn is the prompt spec's own (the model was trained on it), so a request's system
 * message is not used. Beside OpenAI's sampling fields, `top_k` and `repeat_penalty` (llama.cpp's
 * names) are honoured.
 *
 * @example
 * ChatCompletionRequest.parse({ model: 'dougpt', messages: [{ role: 'user', content: 'we did it chat' }], n: 2, seed: 7, frequency_penalty: 1 })
 */
export const ChatCompletionRequest = z
  .object({
    model: z.string().optional(),
    messages: z
      .array(ChatMessage)
      .min(1)
      .refine((ms) => ms.some((m) => m.role === 'user'), { message: 'needs a user message: the streamer\'s context' }),
    max_tokens: MaxTokens.nullish(),
    max_completion_tokens: MaxTokens.nullish(),
    temperature: Temperature.nullish(),
    top_p: TopP.nullish(),
    top_k: TopK.nullish(),
    presence_penalty: Penalty.nullish(),
    frequency_penalty: Penalty.nullish(),
    repeat_penalty: RepeatPenalty.nullish(),
    seed: Seed.nullish(),
    stop: Stop.nullish(),
    n: z.number().int().min(1).max(MAX_N).nullish(),
    stream: z.boolean().nullish(),
    /** `include_usage`: a last chunk carries the usage, as OpenAI sends it. */
    stream_options: z.strictObject({ include_usage: z.boolean().nullish(), include_obfuscation: z.boolean().nullish() }).nullish(),
    // Identify the caller or a cache; they change nothing in the reply.
    user: z.string().optional(),
    safety_identifier: z.string().nullish(),
    prompt_cache_key: z.string().nullish(),
  })
  .loose()
  .superRefine((request, ctx) => {
    for (const [field, value] of Object.entries(request)) {
      if (KNOWN_FIELDS.has(field)) continue;
      const inert: ((value: unknown) => boolean) | undefined = Object.hasOwn(INERT_OPENAI_FIELDS, field) ? INERT_OPENAI_FIELDS[field] : undefined;
      if (inert?.(value)) continue;
      ctx.addIssue({ code: 'custom', path: [field], message: inert ? `${JSON.stringify(value).slice(0, 40)} is not supported by this server (it cannot honour it): leave it out` : 'not a parameter this server knows or can honour: leave it out' });
    }
  });
export type ChatCompletionRequest = z.infer<typeof ChatCompletionRequest>;

/** The context and sampling settings a chat-completion request asks for. */
export function fromChatCompletion(request: ChatCompletionRequest): { context: string } & SamplingRequest {
  const lastUser = request.messages.findLast((m) => m.role === 'user');
  const stop = request.stop ?? undefined;
  return {
    context: lastUser ? messageText(lastUser) : '',
    n: request.n ?? 1,
    seed: request.seed ?? undefined,
    temperature: request.temperature ?? undefined,
    top_p: request.top_p ?? undefined,
    top_k: request.top_k ?? undefined,
    presence_penalty: request.presence_penalty ?? undefined,
    frequency_penalty: request.frequency_penalty ?? undefined,
    repeat_penalty: request.repeat_penalty ?? undefined,
    max_tokens: request.max_completion_tokens ?? request.max_tokens ?? undefined,
    stop: stop === undefined ? [] : typeof stop === 'string' ? [stop] : stop,
  };
}

export const FinishReason = z.enum(['stop', 'length', 'content_filter']);
export type FinishReason = z.infer<typeof FinishReason>;

/** DougPT's additions to an OpenAI response: what the guardrails did and what served it. */
export const DougptExtension = z.object({
  guardrail_actions: z.array(GuardrailAction),
  adapter: AdapterInfo,
  prompt_spec: PromptSpecRef,
});

export const ChatCompletionResponse = z.object({
  id: z.string(),
  object: z.literal('chat.completion'),
  created: z.number().int(),
  model: z.string(),
  system_fingerprint: z.string(),
  choices: z.array(
    z.object({
      index: z.number().int(),
      message: z.object({ role: z.literal('assistant'), content: z.string() }),
      /** `content_filter`: the guardrails dropped this reply; its content is empty. */
      finish_reason: FinishReason,
      logprobs: z.null(),
    }),
  ),
  usage: z.object({ prompt_tokens: z.number().int(), completion_tokens: z.number().int(), total_tokens: z.number().int() }),
  dougpt: DougptExtension,
});
export type ChatCompletionResponse = z.infer<typeof ChatCompletionResponse>;

/** One `data:` event of a streamed completion; the stream ends with `data: [DONE]`. */
export const ChatCompletionChunk = z.object({
  id: z.string(),
  object: z.literal('chat.completion.chunk'),
  created: z.number().int(),
  model: z.string(),
  system_fingerprint: z.string(),
  choices: z.array(
    z.object({
      index: z.number().int(),
      delta: z.object({ role: z.literal('assistant').optional(), content: z.string().optional() }),
      finish_reason: FinishReason.nullable(),
      logprobs: z.null(),
    }),
  ),
  /** Only on the last chunk, which has no choices. */
  dougpt: DougptExtension.optional(),
  /** Only on the last chunk, when the request's `stream_options.include_usage` asked for it. */
  usage: z.object({ prompt_tokens: z.number().int(), completion_tokens: z.number().int(), total_tokens: z.number().int() }).optional(),
});
export type ChatCompletionChunk = z.infer<typeof ChatCompletionChunk>;

/**
 * How a streamed completion is sent: each reply is held until the guardrails passed it (they may
 * sample it again or drop it, so no unchecked text ever leaves the server), then sent as SSE chunks
 * word by word. The first byte thus comes when the whole request is done, as for `stream: false`.
 */
export const STREAMING = {
  mode: 'after_guardrails',
  note: 'replies are held until the guardrails pass them, then streamed word by word: the first byte comes with the whole reply, not per token',
} as const;

/** What a chat completion may ask of the sampler (beside `n`, `seed`, `stop` and the token limits). */
export const SAMPLING_PARAMETERS = ['temperature', 'top_p', 'top_k', 'presence_penalty', 'frequency_penalty', 'repeat_penalty'] as const;

export const ModelList = z.object({
  object: z.literal('list'),
  data: z.array(
    z.object({
      id: z.string(),
      object: z.literal('model'),
      created: z.number().int(),
      owned_by: z.string(),
      dougpt: z.object({
        adapter: AdapterInfo,
        prompt_spec: z.object({ version: z.string(), sha256: z.string() }),
        /** How `stream: true` is answered (STREAMING). */
        streaming: z.object({ mode: z.literal('after_guardrails'), note: z.string() }),
        /** The sampling parameters a chat completion may set, all applied by the engine. */
        parameters: z.array(z.string()),
      }),
    }),
  ),
});
export type ModelList = z.infer<typeof ModelList>;

/** OpenAI's error body, which clients know how to show. */
export const ApiError = z.object({
  error: z.object({ message: z.string(), type: z.string(), code: z.string().nullable(), param: z.string().nullable() }),
});
export type ApiError = z.infer<typeof ApiError>;
