import { z } from 'zod';

/**
 * Requests and responses of the reply API: the OpenAI-compatible `/v1/chat/completions` (what chat
 * clients and SDKs speak) and DougPT's own `/v1/reply`. Requests are parsed before use; unknown
 * OpenAI fields (`stream_options`, `logit_bias`, …) are accepted and ignored so stock clients work.
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

/** Sampling settings shared by both request shapes. */
export interface SamplingRequest {
  n: number;
  seed?: number;
  temperature?: number;
  top_p?: number;
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

/**
 * `POST /v1/chat/completions`, OpenAI's shape. The last `user` message is the streamer's context;
 * the system turn is the prompt spec's own (the model was trained on it), so a request's system
 * message is not used.
 *
 * @example
 * ChatCompletionRequest.parse({ model: 'dougpt', messages: [{ role: 'user', content: 'we did it chat' }], n: 2, seed: 7 })
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
    seed: Seed.nullish(),
    stop: Stop.nullish(),
    n: z.number().int().min(1).max(MAX_N).nullish(),
    stream: z.boolean().nullish(),
    user: z.string().optional(),
  })
  .loose();
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
});
export type ChatCompletionChunk = z.infer<typeof ChatCompletionChunk>;

export const ModelList = z.object({
  object: z.literal('list'),
  data: z.array(
    z.object({
      id: z.string(),
      object: z.literal('model'),
      created: z.number().int(),
      owned_by: z.string(),
      dougpt: z.object({ adapter: AdapterInfo, prompt_spec: z.object({ version: z.string(), sha256: z.string() }) }),
    }),
  ),
});
export type ModelList = z.infer<typeof ModelList>;

/** OpenAI's error body, which clients know how to show. */
export const ApiError = z.object({
  error: z.object({ message: z.string(), type: z.string(), code: z.string().nullable(), param: z.string().nullable() }),
});
export type ApiError = z.infer<typeof ApiError>;
