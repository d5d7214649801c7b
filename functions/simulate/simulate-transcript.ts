import { createHash } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { normalizeChat } from '../chat/normalize-chat.ts';
import type { InferenceLogSink } from '../reply/inference-log.ts';
import type { GenerateRequest, PromptReuse } from '../reply/reply-engine.ts';
import { DEFAULT_SAMPLING, replyStops, sampleSeed, type ReplyCall, type ReplyService } from '../reply/reply-service.ts';
import { MAX_N } from '../reply/reply-schemas.ts';
import { FIRST_PARTY_EMOTES } from '../sample/chat-vocabulary.ts';
import { createRng, deriveSeed } from '../sample/prng.ts';
import { toFragments, type TdComment, type TwitchDownloaderChatFile } from '../sample/twitch-downloader-chat-file.ts';
import { activityPicker, createViewers } from '../sample/viewers.ts';
import type { Transcript } from '../transcribe/transcript.ts';
import { writeJsonAtomic } from './fit-pacing-files.ts';
import { planMessages, type PlannedMessage, type SimulationPacing } from './plan-messages.ts';

/** Tokens per simulated message: chat lines are short, and short generations keep a CPU run to minutes. */
export const DEFAULT_SIM_MAX_TOKENS = 16;
/** Simulated audience: a few hundred accounts, a few of them writing most of the chat. */
const SIM_VIEWERS = 300;
/** A fixed stream start: the files never depend on today's date, so a seed fixes every byte. */
const SIM_START_MS = Date.UTC(2024, 0, 1, 17);
const SIM_CHANNEL = { name: 'DougPT_Simulation', login: 'dougpt_simulation', id: 0 } as const;

export interface SimulateTranscriptOptions {
  transcript: Pick<Transcript, 'words' | 'segments'>;
  model: SimulationPacing;
  service: ReplyService;
  /** The engine's sequences (SIM_STACK_OPTIONS.parallel unless changed): the text depends on it, so the summary records it. */
  sequences: number;
  vodId: string;
  seed: number;
  rateScale?: number;
  maxMessages?: number;
  maxTokens?: number;
  /** Where the TwitchDownloader chat JSON and the canonical records (JSONL) go. */
  chatOut: string;
  recordsOut: string;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

export interface SimulationSummary {
  vod_id: string;
  seed: number;
  rate_scale: number;
  lag_ms: number;
  duration_ms: number;
  /** Messages the pacing model expects over the timeline, drawn, asked for (after --max-messages) and written. */
  expected: number;
  drawn: number;
  planned: number;
  messages: number;
  /** Planned messages every sample of which the guardrails rejected. */
  dropped: number;
  reply_calls: number;
  /** Engine sequences generating together: with another count the same seed writes other text. */
  sequences: number;
  completion_tokens: number;
  /** How the engine's generations got their prompt (null: an engine that does not say). */
  prompts: PromptReuse | null;
  guardrail_actions: Record<string, number>;
  adapter: { run_id: string | null; gguf: string | null; base: string };
  /** What the chat normaliser made of the written chat file. */
  normalized: { accepted: number; rejected: number; format: string };
  files: { chat: string; records: string };
}

/** Sequences the simulation's engine generates on by default (measured: see the README's simulation figures). */
export const DEFAULT_SIM_SEQUENCES = 8;
/** Reply requests whose first samples are generated together, per engine sequence. */
const PREFETCH_REQUESTS_PER_SEQUENCE = 8;

/**
 * How a simulation opens the reply stack: a lockstep engine, and no inference log (simulated
 * replies are served to nobody; the chat file is their record). llama.cpp is not batch-invariant: a
 * token's numbers depend on the batch it was evaluated in. In lockstep every batch is a pure
 * function of the requests submitted together and the sequence count, so a seed (with the same
 * `parallel`) writes the same bytes, however loaded the machine.
 */
export const SIM_STACK_OPTIONS = {
  parallel: DEFAULT_SIM_SEQUENCES,
  schedule: 'lockstep' as const,
  paritySample: 0,
  log: { write: () => undefined, flush: async () => undefined, close: async () => undefined } satisfies InferenceLogSink,
};

/** A stable id per simulated message, UUID-shaped like Twitch's. */
function messageId(vodId: string, seed: number, index: number): string {
  const h = createHash('sha256').update(`dougpt-sim|${vodId}|${seed}|${index}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** The engine requests of a reply call's first round: what the reply service will ask for, sample by sample. */
function firstSamples(service: ReplyService, call: ReplyCall): GenerateRequest[] {
  const { prompt } = service.prompt(call);
  return Array.from({ length: call.n }, (_, index) => ({
    prompt,
    maxTokens: call.max_tokens ?? service.spec.spec.reply.max_tokens,
    temperature: call.temperature ?? DEFAULT_SAMPLING.temperature,
    topP: call.top_p ?? DEFAULT_SAMPLING.top_p,
    topK: DEFAULT_SAMPLING.top_k,
    seed: sampleSeed(call.seed ?? 0, index, 0),
    stop: replyStops(call.stop),
    ...(call.signal ? { signal: call.signal } : {}),
  }));
}

/** Consecutive messages reacting to one phrase share one reply request (n ≤ MAX_N): one prompt, sampled n times. */
function requests(messages: readonly PlannedMessage[]): { phrase: number; members: number[] }[] {
  const out: { phrase: number; members: number[] }[] = [];
  messages.forEach((m, i) => {
    const last = out[out.length - 1];
    if (last && last.phrase === m.phrase && last.members.length < MAX_N) last.members.push(i);
    else out.push({ phrase: m.phrase, members: [i] });
  });
  return out;
}

/**
 * Simulates chat over a transcript: the pacing model decides when chat speaks (planMessages), the
 * reply service writes each message from the streamer's context at that moment (the same prompt,
 * engine and guardrails as `dougpt reply`), and the result is written as a TwitchDownloader chat
 * file, then read back by the chat normaliser into the canonical records. Requests go one after
 * another (each asks for up to 8 replies to one prompt): the repetition guardrail remembers earlier
 * replies, so a fixed order is what makes a seed reproduce the chat byte for byte.
 *
 * @example
 * const summary = await simulateTranscript({ transcript, model, service, vodId: 'v1', seed: 1, chatOut: 'chat.json', recordsOut: 'chat.jsonl' });
 * summary.messages; // messages written
 */
export async function simulateTranscript(options: SimulateTranscriptOptions): Promise<SimulationSummary> {
  const rateScale = options.rateScale ?? 1;
  const plan = planMessages(options.transcript, options.model, { seed: options.seed, rateScale, maxMessages: options.maxMessages });
  const viewerRng = createRng(options.seed, 'simulate-viewers');
  const viewers = createViewers(createRng(options.seed, 'simulate-audience'), SIM_VIEWERS);
  const pickViewer = activityPicker(viewers);
  const texts: (string | null)[] = plan.messages.map(() => null);
  const actions: Record<string, number> = {};
  let completionTokens = 0;
  let adapter = options.service.engine.adapter;
  const calls = requests(plan.messages).map((request, k): ReplyCall & { members: number[] } => ({
    members: request.members,
    context: request.phrase >= 0 ? (plan.contexts[request.phrase] as string) : '',
    // The moment replied to: a voice memory never recalls this VOD's own chat near it.
    vod_id: options.vodId,
    offset_ms: plan.messages[request.members[0]!]!.offset_ms,
    n: request.members.length,
    seed: deriveSeed(options.seed, `reply:${k}`),
    max_tokens: options.maxTokens ?? DEFAULT_SIM_MAX_TOKENS,
    temperature: DEFAULT_SAMPLING.temperature,
    top_p: DEFAULT_SAMPLING.top_p,
    stop: [],
    endpoint: 'cli',
    signal: options.signal,
  }));
  const engine = options.service.engine;
  const window = PREFETCH_REQUESTS_PER_SEQUENCE * options.sequences;
  let done = 0;
  options.onProgress?.(0, plan.messages.length);
  for (let from = 0; from < calls.length; from += window) {
    const batch = calls.slice(from, from + window);
    // Every first sample of the window, submitted together and awaited whole: the replies below
    // then take them in order, and a sample the guardrails reject is drawn again on an idle engine,
    // so nothing depends on timing and the repetition guardrail sees the replies in request order.
    await engine.prefetch?.(batch.flatMap((call) => firstSamples(options.service, call)));
    for (const call of batch) {
      options.signal?.throwIfAborted();
      const outcome = await options.service.reply(call);
      adapter = outcome.adapter;
      completionTokens += outcome.usage.completion_tokens;
      for (const a of outcome.guardrail_actions) actions[`${a.guardrail}:${a.action}`] = (actions[`${a.guardrail}:${a.action}`] ?? 0) + 1;
      outcome.choices.forEach((choice, j) => {
        const text = choice.text?.replace(/\s+/gu, ' ').trim();
        texts[call.members[j] as number] = text ? text : null;
      });
      done += call.members.length;
      options.onProgress?.(done, plan.messages.length);
    }
  }

  const comments: TdComment[] = [];
  plan.messages.forEach((m, i) => {
    const viewer = pickViewer(viewerRng);
    const body = texts[i];
    if (!body) return;
    const { fragments, emoticons } = toFragments(body, FIRST_PARTY_EMOTES);
    comments.push({
      _id: messageId(options.vodId, options.seed, i),
      created_at: new Date(SIM_START_MS + m.offset_ms).toISOString(),
      channel_id: String(SIM_CHANNEL.id),
      content_type: 'video',
      content_id: options.vodId,
      content_offset_seconds: m.offset_ms / 1000,
      commenter: viewer.commenter,
      message: { body, bits_spent: 0, fragments, user_badges: viewer.badges, user_color: viewer.color, emoticons },
    });
  });
  const lengthS = plan.duration_ms / 1000;
  const at = new Date(SIM_START_MS).toISOString();
  const file: TwitchDownloaderChatFile = {
    FileInfo: { Version: { Major: 1, Minor: 4, Patch: 0 }, CreatedAt: at, UpdatedAt: at },
    streamer: SIM_CHANNEL,
    clipper: null,
    video: {
      title: `DougPT simulated chat of ${options.vodId} (seed ${options.seed})`,
      description: '',
      id: options.vodId,
      created_at: at,
      start: 0,
      end: lengthS,
      length: lengthS,
      viewCount: 0,
      game: '',
      chapters: [],
    },
    comments,
    embeddedData: null,
  };
  await mkdir(dirname(options.chatOut), { recursive: true });
  await writeJsonAtomic(options.chatOut, file);
  await mkdir(dirname(options.recordsOut), { recursive: true });
  const rejectsOut = join(dirname(options.recordsOut), `.rejects-${process.pid}.jsonl`);
  try {
    const normalized = await normalizeChat({ input: options.chatOut, out: options.recordsOut, rejectsOut, vodId: options.vodId }, options.signal ? { signal: options.signal } : {});
    return {
      vod_id: options.vodId,
      seed: options.seed,
      rate_scale: rateScale,
      lag_ms: plan.lag_ms,
      duration_ms: plan.duration_ms,
      expected: Math.round(plan.expected),
      drawn: plan.drawn,
      planned: plan.messages.length,
      messages: comments.length,
      dropped: plan.messages.length - comments.length,
      reply_calls: calls.length,
      sequences: options.sequences,
      completion_tokens: completionTokens,
      prompts: engine.promptReuse?.() ?? null,
      guardrail_actions: actions,
      adapter: { run_id: adapter.run_id, gguf: adapter.gguf, base: adapter.base.name },
      normalized: { accepted: normalized.accepted, rejected: normalized.rejected, format: normalized.format },
      files: { chat: options.chatOut, records: options.recordsOut },
    };
  } finally {
    await rm(rejectsOut, { force: true });
  }
}
