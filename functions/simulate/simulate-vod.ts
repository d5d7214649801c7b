import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { ObjectStore } from '../../catalog/object-store.ts';
import type { LakeDeps, RunContext } from '../deps.ts';
import { openReplyStack } from '../reply/open-reply-stack.ts';
import { fitPacingModel } from './fit-pacing.ts';
import { SimulateInputError, writeJsonAtomic } from './fit-pacing-files.ts';
import { readAnyPacing } from './pacing-chat-files.ts';
import { newestAlignment, newestTranscript } from './lake-inputs.ts';
import { pacingVodFromAlign } from './pacing-data.ts';
import { PACING_FILE, readTranscriptFile } from './simulate-inputs.ts';
import { SIM_STACK_OPTIONS, simulateTranscript, type SimulationSummary } from './simulate-transcript.ts';

/** Bump when the same inputs would simulate differently: part of every sim_id (2: the 8-sequence lockstep engine; 3: redraws load the prompt's saved state). */
export const SIMULATION_VERSION = 'dougpt-sim/3';

/** `simulateChat`'s plain-JSON input. `run_id` null: the base model alone (never "whatever is promoted now", so the id stays a function of the input). */
export const SimulateChatInput = z.object({
  vod_id: z.string().min(1),
  run_id: z.string().regex(/^[0-9a-f]{16}$/, 'a training run id (16 hex digits)').nullable().default(null),
  rate_scale: z.number().min(0.01).max(100).default(1),
  seed: z.number().int().min(0).max(2 ** 32 - 1).default(1),
  max_messages: z.number().int().min(1).nullable().default(null),
  /** The task queue of model jobs (workflows cannot read DOUGPT_GPU_TASK_QUEUE); not part of `sim_id`. */
  gpu_queue: z.string().min(1).nullish(),
});
export type SimulateChatInput = z.input<typeof SimulateChatInput>;

export const simulationPrefix = (simId: string): string => `gold/simulations/${simId}/`;

/** What the staging step hands the simulation: object keys only. */
export const StagedSimulation = z.object({
  sim_id: z.string(),
  prefix: z.string(),
  /** The simulation's summary already exists: nothing to do. */
  done: z.boolean(),
  transcript_key: z.string(),
  pacing_key: z.string(),
  pacing_source: z.string(),
  asr_run_id: z.string(),
});
export type StagedSimulation = z.infer<typeof StagedSimulation>;

export const RunSimulationInput = SimulateChatInput.extend({ sim_id: z.string(), transcript_key: z.string(), pacing_key: z.string() });
export type RunSimulationInput = z.input<typeof RunSimulationInput>;

export const SimulationResult = z.object({
  sim_id: z.string(),
  vod_id: z.string(),
  chat_key: z.string(),
  records_key: z.string(),
  summary_key: z.string(),
  messages: z.number().int(),
  dropped: z.number().int(),
  duration_ms: z.number().int(),
  rejected_by_normalizer: z.number().int(),
  /** False when an earlier run had already written this simulation. */
  created: z.boolean(),
});
export type SimulationResult = z.infer<typeof SimulationResult>;

const sha256 = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest('hex');

/** Downloads an object and reads it as text (small objects: transcripts, pacing models, summaries). */
async function getText(store: ObjectStore, key: string, path: string, signal?: AbortSignal): Promise<string> {
  await store.getToFile(key, path, signal);
  return readFile(path, 'utf8');
}

/**
 * Stages a simulation of a VOD (the `dougpt` queue: it reads the lake): the VOD's newest transcript
 * and the pacing model — the adapter's `pacing.json` (saved by training), else one fit now from the
 * VOD's newest alignment — go to `gold/simulations/<sim_id>/`. `sim_id` hashes the input with the
 * transcript run and the pacing model's bytes, so the same request on the same lake is the same
 * simulation; `done` says its summary is already there.
 *
 * @example
 * const staged = await stageSimulation({ vod_id: '1987654321', seed: 1 }, deps);
 * staged.prefix; // 'gold/simulations/sim-…/'
 */
export async function stageSimulation(raw: SimulateChatInput, deps: LakeDeps, ctx: RunContext = {}): Promise<StagedSimulation> {
  const input = SimulateChatInput.parse(raw);
  const dir = join(deps.workDir, 'simulate', `stage-${process.pid}-${Date.now()}`);
  await mkdir(dir, { recursive: true });
  try {
    ctx.progress?.({ stage: 'read' });
    const lake = await deps.openLake();
    let transcriptText: string;
    let asrRunId: string;
    let pacingText: string | null = null;
    let pacingSource: string;
    try {
      const t = await newestTranscript(lake, input.vod_id);
      asrRunId = t.asr_run_id;
      transcriptText = JSON.stringify({ ...t.transcript, backend: 'lake', model: null, config: { asr_run_id: asrRunId } });
      const adapterPacing = input.run_id ? `gold/adapters/${input.run_id}/${PACING_FILE}` : null;
      if (adapterPacing && (await deps.store.exists(adapterPacing))) {
        pacingText = await getText(deps.store, adapterPacing, join(dir, 'adapter-pacing.json'), ctx.signal);
        pacingSource = adapterPacing;
      } else {
        const alignment = await newestAlignment(lake, input.vod_id);
        const vod = alignment ? pacingVodFromAlign(alignment.file) : null;
        if (!alignment || !vod || vod.messages.length === 0) {
          throw new SimulateInputError(`${input.vod_id}: no pacing model (${input.run_id ? `run ${input.run_id} has no ${PACING_FILE} and ` : ''}the VOD has no aligned chat to fit one)`);
        }
        ctx.progress?.({ stage: 'fit-pacing' });
        pacingText = `${JSON.stringify(fitPacingModel([vod], { evaluate: false, now: () => new Date(0) }), null, 2)}\n`;
        pacingSource = `fit from ${alignment.align_id}`;
      }
    } finally {
      lake.close();
    }
    const simId = `sim-${sha256(JSON.stringify([SIMULATION_VERSION, input.vod_id, input.run_id, input.rate_scale, input.seed, input.max_messages, asrRunId, sha256(pacingText)])).slice(0, 20)}`;
    const prefix = simulationPrefix(simId);
    const staged = { sim_id: simId, prefix, transcript_key: `${prefix}transcript.json`, pacing_key: `${prefix}${PACING_FILE}`, pacing_source: pacingSource, asr_run_id: asrRunId };
    if (await deps.store.exists(`${prefix}simulation.json`)) return { ...staged, done: true };
    ctx.progress?.({ stage: 'upload' });
    await writeFile(join(dir, 'transcript.json'), transcriptText);
    await writeFile(join(dir, PACING_FILE), pacingText);
    await deps.store.putFileOnce(staged.transcript_key, join(dir, 'transcript.json'), 'application/json');
    await deps.store.putFileOnce(staged.pacing_key, join(dir, PACING_FILE), 'application/json');
    return { ...staged, done: false };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Runs a staged simulation (the `dougpt-gpu` queue: it takes the CPU for minutes): fetches the
 * transcript, the pacing model and the adapter, simulates through the reply stack with the
 * guardrails, and uploads `chat.json` (TwitchDownloader), `records.jsonl` (canonical ChatMessage rows)
 * and last `simulation.json` (the summary), which marks the simulation done: a retry after it finds
 * the summary and writes nothing.
 */
export async function runSimulation(
  raw: RunSimulationInput,
  deps: { store: ObjectStore; workDir: string },
  ctx: RunContext = {},
): Promise<SimulationResult> {
  const input = RunSimulationInput.parse(raw);
  const prefix = simulationPrefix(input.sim_id);
  const keys = { chat: `${prefix}chat.json`, records: `${prefix}records.jsonl`, summary: `${prefix}simulation.json` };
  const dir = join(deps.workDir, 'simulate', input.sim_id);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  try {
    if (await deps.store.exists(keys.summary)) {
      const summary = JSON.parse(await getText(deps.store, keys.summary, join(dir, 'simulation.json'), ctx.signal)) as SimulationSummary;
      return result(input.sim_id, keys, summary, false);
    }
    ctx.progress?.({ stage: 'fetch' });
    await deps.store.getToFile(input.transcript_key, join(dir, 'transcript.json'), ctx.signal);
    await deps.store.getToFile(input.pacing_key, join(dir, PACING_FILE), ctx.signal);
    let adapter: string | undefined;
    if (input.run_id) {
      adapter = join(dir, 'adapter');
      await mkdir(adapter, { recursive: true });
      for (const name of ['adapter.gguf', 'run.json']) await deps.store.getToFile(`gold/adapters/${input.run_id}/${name}`, join(adapter, name), ctx.signal);
    }
    const transcript = await readTranscriptFile(join(dir, 'transcript.json'));
    const model = await readAnyPacing(join(dir, PACING_FILE));
    const stack = await openReplyStack({ home: dir, ...(adapter ? { adapter } : {}), ...SIM_STACK_OPTIONS });
    let summary: SimulationSummary;
    try {
      summary = await simulateTranscript({
        transcript,
        model,
        service: stack.service,
        sequences: SIM_STACK_OPTIONS.parallel,
        vodId: input.vod_id,
        seed: input.seed,
        rateScale: input.rate_scale,
        ...(input.max_messages ? { maxMessages: input.max_messages } : {}),
        chatOut: join(dir, 'out', 'chat.json'),
        recordsOut: join(dir, 'out', 'records.jsonl'),
        signal: ctx.signal,
        onProgress: (done, total) => ctx.progress?.({ stage: 'generate', done, total }),
      });
    } finally {
      await stack.close();
    }
    ctx.progress?.({ stage: 'upload' });
    const stored = { ...summary, files: { chat: keys.chat, records: keys.records }, adapter: { ...summary.adapter, gguf: summary.adapter.gguf && `gold/adapters/${input.run_id}/adapter.gguf` } };
    await writeJsonAtomic(join(dir, 'out', 'simulation.json'), { sim_id: input.sim_id, version: SIMULATION_VERSION, input: SimulateChatInput.parse(input), ...stored });
    await deps.store.putFileOnce(keys.chat, summary.files.chat, 'application/json');
    await deps.store.putFileOnce(keys.records, summary.files.records, 'application/x-ndjson');
    // The summary goes last: its presence says the chat and records are complete.
    await deps.store.putFileOnce(keys.summary, join(dir, 'out', 'simulation.json'), 'application/json');
    return result(input.sim_id, keys, summary, true);
  } finally {
    if (existsSync(dir)) await rm(dir, { recursive: true, force: true });
  }
}

function result(simId: string, keys: { chat: string; records: string; summary: string }, summary: SimulationSummary, created: boolean): SimulationResult {
  return {
    sim_id: simId,
    vod_id: summary.vod_id,
    chat_key: keys.chat,
    records_key: keys.records,
    summary_key: keys.summary,
    messages: summary.messages,
    dropped: summary.dropped,
    duration_ms: summary.duration_ms,
    rejected_by_normalizer: summary.normalized.rejected,
    created,
  };
}
