import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadMemoryIndex, MemoryIndexError, type MemoryIndex } from '../memory/memory-index.ts';
import { renderTemplatePrompt, type ChatTemplate } from '../prompt/chat-templates.ts';
import { loadPromptSpec, type LoadedPromptSpec } from '../prompt/prompt-spec.ts';
import { checkAdapterBase, checkAdapterPromptSpec, checkAdapterTemplate, promptSpecNotice } from './adapter-checks.ts';
import { AdapterError, fixedAdapterSource, promotedFileSource, resolveAdapter, type AdapterSource } from './adapter-source.ts';
import { resolveBaseModel } from './base-model.ts';
import { loadBannedPhrases } from './guardrails/banned-phrases.ts';
import type { Guardrails } from './guardrails/guardrails.ts';
import { RecentReplies } from './guardrails/recent-replies.ts';
import { createToxicityFilter } from './guardrails/toxicity.ts';
import { createViewerNameScrubber, loadViewerNames } from './guardrails/viewer-names.ts';
import { jsonlLogSink, type InferenceLogSink } from './inference-log.ts';
import { followAdapterSource } from './follow-adapter.ts';
import { createLlamaEngine, type BaseModelRef, type EngineSchedule } from './llama-engine.ts';
import { ChatTemplateError } from './llama-model.ts';
import { createParityCheck } from './prompt-parity.ts';
import type { AdapterRef, ReplyEngine } from './reply-engine.ts';
import { ReplyMetrics } from './reply-metrics.ts';
import { createReplyService, type ReplyService } from './reply-service.ts';

/** Guardrails that can be switched off. */
export const OPTIONAL_GUARDRAILS = ['toxicity', 'banned_phrase', 'viewer_name', 'length_cap', 'repetition'] as const;

/** The banned phrases the evaluation gates releases on: the server refuses the same ones unless given its own file. */
export const DEFAULT_BANNED_PHRASES = fileURLToPath(new URL('../../gpu-runner/src/dougpt_gpu/evaluate/banned_phrases.txt', import.meta.url));
export type OptionalGuardrail = (typeof OPTIONAL_GUARDRAILS)[number];

export interface ReplyStackOptions {
  /** The state directory (DOUGPT_HOME): promoted.json and inference-log/ live there. */
  home: string;
  /** A training run folder or GGUF LoRA; without it the promoted adapter, else the base model. */
  adapter?: string;
  /**
   * Follow the adapter source (promoted.json unless `adapterSource` is given) and swap adapters
   * without a restart: the server and the MCP server; not a one-shot reply.
   */
  watchPromoted?: boolean;
  /** Another source of the current adapter (the `adapters` workflow's query); wins over promoted.json. */
  adapterSource?: AdapterSource;
  base?: BaseModelRef;
  banned?: string;
  viewers?: string;
  disable?: readonly OptionalGuardrail[];
  maxRegenerations?: number;
  /** How many recent replies a new one must differ from. */
  recent?: number;
  /** Fraction of requests re-rendered by the prompt parity check. */
  paritySample?: number;
  threads?: number;
  parallel?: number;
  /** How the engine batches its sequences (see LlamaEngineOptions.schedule). */
  schedule?: EngineSchedule;
  log?: InferenceLogSink;
  /**
   * Voice memory index (a dataset's memory.json): each prompt carries the moments recalled for its context.
   * Without it, an adapter trained with a memory is served with the index copied beside it (and swapped with it).
   */
  memory?: string;
  /** One-line notices for the user (base model fallback, adapter swaps, parity mismatches). */
  notice?: (line: string) => void;
}

export interface ReplyStack {
  service: ReplyService;
  engine: ReplyEngine;
  metrics: ReplyMetrics;
  log: InferenceLogSink;
  adapterSource: AdapterSource;
  close(): Promise<void>;
}

/** The memory index, checked to be readable and renderable by the server's prompt spec. */
function openMemory(path: string, spec: LoadedPromptSpec): MemoryIndex {
  if (!spec.spec.memory) throw new ReplySetupError(`--memory ${path}: prompt spec ${spec.spec.version} has no memory block`);
  try {
    return loadMemoryIndex(path);
  } catch (error) {
    if (error instanceof MemoryIndexError) throw new ReplySetupError(`--memory ${error.message}`, { cause: error });
    throw error;
  }
}

/**
 * The index an adapter was trained with (run.json `memory`, copied beside the adapter), checked to be the very
 * bytes training recalled from; null for an adapter trained without one. An AdapterError when it is missing,
 * altered or unreadable: the adapter is then not served (a hot swap keeps the current one).
 */
export function adapterMemory(adapter: AdapterRef | null, spec: LoadedPromptSpec): MemoryIndex | null {
  if (!adapter?.memory) return null;
  if (!spec.spec.memory) throw new AdapterError(`${adapter.gguf}: trained with a voice memory, but prompt spec ${spec.spec.version} has no memory block`);
  let index: MemoryIndex;
  try {
    index = loadMemoryIndex(adapter.memory.path);
  } catch (error) {
    if (error instanceof MemoryIndexError) throw new AdapterError(`${adapter.gguf}: its voice memory: ${error.message}`, { cause: error });
    throw error;
  }
  if (index.sha256 !== adapter.memory.sha256) {
    throw new AdapterError(`${adapter.gguf}: its voice memory ${adapter.memory.path} hashes to ${index.sha256.slice(0, 12)}…, not the ${adapter.memory.sha256.slice(0, 12)}… it was trained with`);
  }
  return index;
}

/** A bad flag or a missing model, named in one line (the CLI turns it into a UserError). */
export class ReplySetupError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ReplySetupError';
  }
}

/**
 * Everything a reply needs, built once: prompt spec, base model and adapter, guardrails, the
 * inference log, metrics, the parity check; and, with `watchPromoted`, the adapter hot swap.
 *
 * @example
 * const stack = await openReplyStack({ home: stateDir(), notice: (l) => process.stderr.write(`${l}\n`) });
 * await stack.service.reply({ context: 'chat, look at this', n: 3, stop: [], endpoint: 'cli' });
 * await stack.close();
 */
export async function openReplyStack(options: ReplyStackOptions): Promise<ReplyStack> {
  const notice = options.notice ?? (() => undefined);
  const disabled = new Set(options.disable ?? []);
  const spec = loadPromptSpec();
  const fixedMemory = options.memory ? openMemory(options.memory, spec) : null;

  let source: AdapterSource;
  try {
    source = options.adapter
      ? fixedAdapterSource(resolveAdapter(options.adapter))
      : (options.adapterSource ?? promotedFileSource(join(options.home, 'promoted.json')));
  } catch (error) {
    if (error instanceof AdapterError) throw new ReplySetupError(`--adapter ${error.message}`, { cause: error });
    throw error;
  }
  // The prompt spec is checked before the base model is looked for: a refusal needs no model.
  let adapter: AdapterRef | null;
  let memory: MemoryIndex | null;
  try {
    adapter = await source.current();
    checkAdapterPromptSpec(adapter, spec);
    memory = fixedMemory ?? adapterMemory(adapter, spec);
  } catch (error) {
    if (error instanceof AdapterError) throw new ReplySetupError(error.message, { cause: error });
    throw error;
  }
  const base = options.base ?? (await resolveBaseModel());
  if (!base) throw new ReplySetupError('no base model: the embedded SmolLM2 GGUF is not installed (run `make setup`)');
  try {
    checkAdapterBase(adapter, base);
  } catch (error) {
    if (error instanceof AdapterError) throw new ReplySetupError(error.message, { cause: error });
    throw error;
  }
  const memoryNotice = (next: AdapterRef | null) => {
    if (!fixedMemory || !next) return;
    if (!next.memory) notice(`${next.gguf}: trained without a voice memory; served with --memory ${options.memory} all the same`);
    else if (next.memory.sha256 !== fixedMemory.sha256) notice(`${next.gguf}: trained with voice memory ${next.memory.sha256.slice(0, 12)}…; served with --memory ${options.memory} (${fixedMemory.sha256.slice(0, 12)}…) instead`);
  };
  memoryNotice(adapter);
  if (!adapter) notice(`no promoted adapter (${source.describe}): replying with the base model ${base.name}`);
  const unrecorded = promptSpecNotice(adapter, spec);
  if (unrecorded) notice(unrecorded);

  let banned = null;
  let viewers;
  try {
    banned = disabled.has('banned_phrase') ? null : loadBannedPhrases(options.banned ?? DEFAULT_BANNED_PHRASES);
    viewers = options.viewers ? loadViewerNames(options.viewers) : undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ReplySetupError(`${code === 'ENOENT' ? 'no such file' : 'unreadable guardrail file'}: ${(error as Error).message}`, { cause: error });
  }
  const guardrails: Guardrails = {
    toxicity: disabled.has('toxicity') ? null : createToxicityFilter(),
    banned,
    scrubViewerNames: disabled.has('viewer_name')
      ? null
      : createViewerNameScrubber({ placeholder: spec.spec.viewer_placeholder, streamerNames: spec.spec.streamer_names, names: viewers }),
    maxChars: disabled.has('length_cap') ? null : spec.spec.reply.max_chars,
    recent: disabled.has('repetition') ? null : new RecentReplies(options.recent ?? 50),
    maxRegenerations: options.maxRegenerations ?? 3,
  };

  // Everything before the streamer's words is the same in every prompt: the system turn and the opened user turn,
  // in the base's chat template (the text its render puts before a user turn's first character).
  const promptPrefix = promptPrefixOf(spec.spec.system);
  let engine: ReplyEngine;
  try {
    engine = await createLlamaEngine({ base, adapter, threads: options.threads, parallel: options.parallel, schedule: options.schedule, promptPrefix, fallbackTemplate: spec.spec.chat_template });
  } catch (error) {
    if (error instanceof ChatTemplateError) throw new ReplySetupError(error.message, { cause: error });
    throw error;
  }
  try {
    checkAdapterTemplate(adapter, engine.template);
  } catch (error) {
    await engine.close();
    if (error instanceof AdapterError) throw new ReplySetupError(error.message, { cause: error });
    throw error;
  }
  const metrics = new ReplyMetrics();
  const log = options.log ?? jsonlLogSink({ dir: join(options.home, 'inference-log') });
  // The adapter being served, for the parity check's reference: the spec it was trained with.
  let served = adapter;
  const parity = createParityCheck({ spec, trainedSpec: () => served?.prompt_spec ?? null, chatTemplate: engine.chatTemplate, template: engine.template, sampleRate: options.paritySample ?? 0.1 });
  const service = createReplyService({ engine, spec, guardrails, log, metrics, parity, memory, onParityMismatch: (d) => notice(`prompt parity mismatch: ${d}`) });

  let unwatch = () => {};
  let nextMemory: MemoryIndex | null = memory;
  if (options.watchPromoted && !options.adapter) {
    unwatch = followAdapterSource({
      source,
      engine,
      metrics,
      check: (next) => {
        checkAdapterPromptSpec(next, spec);
        checkAdapterBase(next, base);
        checkAdapterTemplate(next, engine.template);
        // Read before the swap: an adapter whose memory cannot be read is refused like any other.
        nextMemory = fixedMemory ?? adapterMemory(next, spec);
        memoryNotice(next);
        const note = promptSpecNotice(next, spec);
        if (note) notice(note);
      },
      onSwap: (next) => {
        served = next;
        service.useMemory(nextMemory);
      },
      notice,
    });
  }

  return {
    service,
    engine,
    metrics,
    log,
    adapterSource: source,
    async close() {
      unwatch();
      await log.close();
      await engine.close();
    },
  };
}

const PREFIX_SENTINEL = '\u0001';

/** The text before the user's words in a prompt of `system` + a user turn, in a given chat template. */
export function promptPrefixOf(system: string): (template: ChatTemplate) => string {
  return (template) => {
    const rendered = renderTemplatePrompt(template, [
      { role: 'system', content: system },
      { role: 'user', content: PREFIX_SENTINEL },
    ]);
    return rendered.slice(0, rendered.indexOf(PREFIX_SENTINEL));
  };
}
