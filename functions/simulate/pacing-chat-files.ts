import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { z } from 'zod';
import { AlignInputError, readTranscript } from '../align/align-chat.ts';
import type { ChatMessage } from '../chat/chat-message.ts';
import { isChatJsonl, parseChatJsonl } from '../chat/chat-jsonl.ts';
import { ChatFormatError, normalizeChat } from '../chat/normalize-chat.ts';
import { chatEvents } from './chat-events.ts';
import { readJsonFile, SimulateInputError, writeJsonAtomic } from './fit-pacing-files.ts';
import { fitPacingModel } from './fit-pacing.ts';
import { fitHawkesPacing, HawkesPacingModel, scoreHawkesPacing, speechBaseline, type PacingScore, type PacingStream } from './hawkes-pacing.ts';
import type { MarkedEvent } from './hawkes-process.ts';
import { AlignFileForPacing, alignBefore, pacingVodFromAlign, phrasesOfTranscript } from './pacing-data.ts';
import { PACING_VERSION, PacingModel, type PacingPhrase } from './pacing-model.ts';

/** A chat log read for pacing: its audience messages, the span they cover, its checksum. */
export interface PacingChat {
  path: string;
  sha256: string;
  events: MarkedEvent[];
  /** First message (whole second) to one second after the last. */
  start: number;
  end: number;
  spread: boolean;
}

/** Reads any chat log the normaliser reads (or its canonical JSONL) as marked message times. */
export async function readPacingChat(path: string): Promise<PacingChat> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new SimulateInputError(`${path}: cannot read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`, { cause: error });
  }
  const messages = isChatJsonl(bytes.subarray(0, 64 * 1024).toString('utf8')) ? parseJsonl(path, bytes.toString('utf8')) : await normalized(path);
  const { events, spread } = chatEvents(messages);
  if (events.length < 2) throw new SimulateInputError(`${path}: ${events.length} audience message(s): too few to learn or judge a pace from`);
  const start = Math.floor((events[0] as MarkedEvent).t);
  const end = (events[events.length - 1] as MarkedEvent).t + 1;
  return { path, sha256: createHash('sha256').update(bytes).digest('hex'), events, start, end, spread };
}

async function normalized(path: string): Promise<ChatMessage[]> {
  const dir = await mkdtemp(join(tmpdir(), 'dougpt-pacing-'));
  try {
    const out = join(dir, `${basename(path)}.jsonl`);
    try {
      await normalizeChat({ input: path, out, rejectsOut: join(dir, 'rejects.jsonl'), vodId: 'pacing' });
    } catch (error) {
      if (error instanceof ChatFormatError) throw new SimulateInputError(error.message, { cause: error });
      throw error;
    }
    return parseJsonl(out, await readFile(out, 'utf8'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function parseJsonl(path: string, text: string): ChatMessage[] {
  return parseChatJsonl(path, text, (message) => new SimulateInputError(message));
}

/** The time at `fraction` of a chat's span. */
export function cutAt(chat: PacingChat, fraction: number): number {
  return chat.start + fraction * (chat.end - chat.start);
}

export const FitChatPacingInput = z.object({
  /** Chat logs, any format the normaliser reads. */
  chat: z.array(z.string().min(1)).min(1),
  /** `dougpt align` outputs, one per chat log in the same order: the speech model becomes the baseline. */
  pairs: z.array(z.string().min(1)).default([]),
  /** Fit on the first `until` of each log's span (the rest is for `score --from`). */
  until: z.number().gt(0).max(1).default(1),
  /** Kernel time scales, seconds. */
  scales: z.array(z.number().positive()).min(1).optional(),
  out: z.string().min(1).optional(),
});
export type FitChatPacingInput = z.input<typeof FitChatPacingInput>;

/**
 * `dougpt pacing fit --chat A.log … [--pairs A.align.json …] --out pacing.json`: the `dougpt-pacing/2`
 * model of the chat logs (their first `until` of each span).
 *
 * @example
 * const model = await fitPacingFromChat({ chat: ['a.txt'], until: 0.7, out: 'pacing.json' });
 * model.branching_ratio; // < 1
 */
export async function fitPacingFromChat(raw: FitChatPacingInput): Promise<HawkesPacingModel> {
  const input = FitChatPacingInput.parse(raw);
  if (input.pairs.length > 0 && input.pairs.length !== input.chat.length) {
    throw new SimulateInputError(`--pairs: ${input.pairs.length} align file(s) for ${input.chat.length} chat log(s): give one per chat log, in the same order`);
  }
  const chats = await Promise.all(input.chat.map((path) => readPacingChat(path)));
  let speech: PacingModel | null = null;
  const streams: PacingStream[] = chats.map((c) => ({ source: c.path, events: c.events, from: c.start, to: cutAt(c, input.until), spread: c.spread }));
  if (input.pairs.length > 0) {
    const aligns = await Promise.all(input.pairs.map(async (path) => (await readJsonFile(path, AlignFileForPacing, '`dougpt align` output')).value));
    const vods = aligns.map((a, i) => pacingVodFromAlign(alignBefore(a, (streams[i] as PacingStream).to * 1000)));
    const empty = vods.findIndex((v) => v.messages.length === 0);
    if (empty >= 0) throw new SimulateInputError(`${input.pairs[empty]}: no chat messages in the fit span`);
    speech = fitPacingModel(vods, { evaluate: false, sources: vods.map((v, i) => ({ path: resolve(input.pairs[i] as string), sha256: null, vod_id: v.vod_id })) });
    streams.forEach((s, i) => {
      s.baseline = speechBaseline(speech as PacingModel, (vods[i] as ReturnType<typeof pacingVodFromAlign>).phrases, Math.ceil(s.to * 1000));
    });
  }
  const model = fitHawkesPacing(streams, { speech, ...(input.scales ? { scalesS: input.scales } : {}), sources: chats.map((c) => ({ path: resolve(c.path), sha256: c.sha256 })) });
  if (input.out) await writeJsonAtomic(input.out, model);
  return model;
}

export const ScoreChatPacingInput = z.object({
  pacing: z.string().min(1),
  chat: z.string().min(1),
  /** The stream's transcript: the speech baseline's phrases (a model fit with --pairs). */
  transcript: z.string().min(1).optional(),
  /** Score from this fraction of the log's span on (the messages before it are history). */
  from: z.number().min(0).lt(1).default(0),
});
export type ScoreChatPacingInput = z.input<typeof ScoreChatPacingInput>;

/** Reads and checks a `dougpt-pacing/2` file (stationarity included). */
export async function readHawkesPacing(path: string): Promise<HawkesPacingModel> {
  return (await readJsonFile(path, HawkesPacingModel, 'a `dougpt-pacing/2` model (`dougpt pacing fit --chat`)')).value;
}

/** Reads a pacing file of either version. */
export async function readAnyPacing(path: string): Promise<PacingModel | HawkesPacingModel> {
  const { value } = await readJsonFile(path, z.object({ version: z.string() }).passthrough(), 'a pacing model');
  if (value.version === PACING_VERSION) return (await readJsonFile(path, PacingModel, 'a pacing model')).value;
  return readHawkesPacing(path);
}

/** A transcript's phrases, as the speech model reads them. */
export async function transcriptPhrases(path: string): Promise<PacingPhrase[]> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new SimulateInputError(`${path}: cannot read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`, { cause: error });
  }
  try {
    const { transcript } = await readTranscript(path, bytes);
    return phrasesOfTranscript(transcript);
  } catch (error) {
    if (error instanceof AlignInputError) throw new SimulateInputError(error.message, { cause: error });
    throw error;
  }
}

/**
 * `dougpt pacing score --pacing pacing.json --chat A.log [--transcript T] [--from 0.7]`.
 *
 * @example
 * const score = await scorePacingOnChat({ pacing: 'pacing.json', chat: 'a.txt', from: 0.7 });
 * score.model.loglik_per_s > score.constant.loglik_per_s;
 */
export async function scorePacingOnChat(raw: ScoreChatPacingInput): Promise<PacingScore & { window: { from_s: number; to_s: number } }> {
  const input = ScoreChatPacingInput.parse(raw);
  const [model, chat] = await Promise.all([readHawkesPacing(input.pacing), readPacingChat(input.chat)]);
  let baseline = null;
  if (input.transcript) {
    if (model.baseline.kind !== 'speech') throw new SimulateInputError(`${input.pacing}: --transcript needs a model with a speech baseline (fit with --pairs)`);
    baseline = speechBaseline(model.baseline.pacing, await transcriptPhrases(input.transcript), Math.ceil(chat.end * 1000));
  }
  const from = cutAt(chat, input.from);
  try {
    const score = scoreHawkesPacing(model, { events: chat.events, from, to: chat.end, baseline });
    return { ...score, window: { from_s: Math.round(from * 1000) / 1000, to_s: Math.round((from + score.seconds) * 1000) / 1000 } };
  } catch (error) {
    throw new SimulateInputError(`${input.chat}: ${(error as Error).message}`, { cause: error });
  }
}
