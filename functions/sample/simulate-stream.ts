import type { Transcript } from '../transcribe/transcript.ts';
import { FIRST_PARTY_EMOTES } from './chat-vocabulary.ts';
import { checkLagSchedule, type GroundTruth, type LagStep, type Utterance } from './ground-truth.ts';
import { estimateWordDurationMs, layOutUtterances, type WordDurationMs } from './lay-out-utterances.ts';
import { createRng } from './prng.ts';
import { REACTION_DELAY_MS, simulateChat, type SimMessage } from './simulate-chat.ts';
import { toFragments, type TdComment, type TwitchDownloaderChatFile } from './twitch-downloader-chat-file.ts';

export type { LagStep } from './ground-truth.ts';

export interface SimulateOptions {
  seed: number;
  durationMs: number;
  lagSchedule: LagStep[];
  /** Content offsets in whole seconds, as Twitch has returned them since late 2022. */
  wholeSecondOffsets: boolean;
  /** Audience size; chat volume scales with it. Default 500 (about 7 messages a second). */
  viewers?: number;
  /** Word lengths; default is an estimate. The audio path passes the lengths it measured. */
  wordDurationMs?: WordDurationMs;
}

export interface SimulatedStream {
  vodId: string;
  utterances: Utterance[];
  /** The object written to `.chat.json`. */
  chat: TwitchDownloaderChatFile;
  truth: GroundTruth;
  transcript: Transcript;
}

export const DEFAULT_VIEWERS = 500;

/** The channel of the synthetic streamer (fictional ids). */
const STREAMER = { name: 'DougPT_Sample', login: 'dougpt_sample', id: 987654321 } as const;

const iso = (ms: number): string => new Date(ms).toISOString();

function toComment(m: SimMessage, vodId: string, startMs: number, wholeSecondOffsets: boolean): TdComment {
  const { fragments, emoticons } = toFragments(m.body, FIRST_PARTY_EMOTES);
  return {
    _id: m.message_id,
    // created_at keeps milliseconds even when the offset is rounded down to whole seconds.
    created_at: iso(startMs + m.offset_ms),
    channel_id: String(STREAMER.id),
    content_type: 'video',
    content_id: vodId,
    content_offset_seconds: wholeSecondOffsets ? Math.floor(m.offset_ms / 1000) : m.offset_ms / 1000,
    commenter: m.viewer.commenter,
    // Key order as TwitchDownloader writes it.
    message: {
      body: m.body,
      bits_spent: m.bits,
      fragments,
      user_badges: m.viewer.badges,
      user_color: m.viewer.color,
      ...(m.notice ? { user_notice_params: { msg_id: m.notice } } : {}),
      emoticons,
    },
  };
}

/**
 * Simulates a whole stream without audio: the streamer's timed lines, a TwitchDownloader chat file
 * reacting to them after the scheduled lag, the ground truth behind every message, and the
 * ground-truth transcript. Pure and deterministic in `seed`; a 6-hour stream takes about a second.
 *
 * @example
 * const s = simulateStream({ seed: 1, durationMs: 180_000, lagSchedule: [{ from_ms: 0, lag_ms: 5000 }], wholeSecondOffsets: false });
 * s.truth.messages.filter((m) => m.category === 'reaction').length;
 */
export function simulateStream(opts: SimulateOptions): SimulatedStream {
  if (!Number.isInteger(opts.seed)) throw new Error(`seed must be an integer, got ${opts.seed}`);
  if (!(opts.durationMs > 0)) throw new Error(`durationMs must be positive, got ${opts.durationMs}`);
  checkLagSchedule(opts.lagSchedule);
  const viewers = opts.viewers ?? DEFAULT_VIEWERS;
  if (!Number.isInteger(viewers) || viewers < 1) throw new Error(`viewers must be a positive integer, got ${viewers}`);
  const durationMs = Math.round(opts.durationMs);

  const utterances = layOutUtterances({ seed: opts.seed, durationMs, wordDurationMs: opts.wordDurationMs ?? estimateWordDurationMs });
  const meta = createRng(opts.seed, 'vod');
  const vodId = String(meta.int(1_900_000_000, 2_199_999_999));
  // A fixed epoch plus a seeded offset: the files never depend on today's date.
  const startMs = Date.UTC(2024, 0, 1, 17) + meta.int(0, 364) * 86_400_000 + meta.int(0, 7200) * 1000;
  const messages = simulateChat({ seed: opts.seed, durationMs, lagSchedule: opts.lagSchedule, viewers, utterances });

  const durationS = durationMs / 1000;
  const downloadedMs = startMs + durationMs + meta.int(600, 7200) * 1000;
  const chat: TwitchDownloaderChatFile = {
    FileInfo: { Version: { Major: 1, Minor: 4, Patch: 0 }, CreatedAt: iso(downloadedMs), UpdatedAt: iso(downloadedMs) },
    streamer: STREAMER,
    clipper: null,
    video: {
      title: `DougPT synthetic stream #${opts.seed}: the bird is back`,
      description: '',
      id: vodId,
      created_at: iso(startMs),
      start: 0,
      end: durationS,
      length: durationS,
      viewCount: viewers * 7 + meta.int(0, viewers),
      game: 'Synthetic Chaos',
      chapters: [],
    },
    comments: messages.map((m) => toComment(m, vodId, startMs, opts.wholeSecondOffsets)),
    embeddedData: null,
  };

  const truth: GroundTruth = {
    vod_id: vodId,
    seed: opts.seed,
    duration_ms: durationMs,
    whole_second_offsets: opts.wholeSecondOffsets,
    lag_schedule: opts.lagSchedule.map((s) => ({ from_ms: s.from_ms, lag_ms: s.lag_ms })),
    reaction_delay_ms: { min: REACTION_DELAY_MS.min, max: REACTION_DELAY_MS.max },
    utterances,
    messages: messages.map((m) => ({
      message_id: m.message_id,
      offset_ms: m.offset_ms,
      category: m.category,
      reacts_to: m.reacts_to,
      lag_ms: m.lag_ms,
      in_reply_to: m.in_reply_to,
    })),
  };

  const transcript: Transcript = {
    words: utterances.flatMap((u) => u.words.map((w) => ({ word: w.word, start_ms: w.start_ms, end_ms: w.end_ms, confidence: 1 }))),
    segments: utterances.map((u) => ({ id: u.id, start_ms: u.start_ms, end_ms: u.end_ms, text: u.text })),
    backend: 'ground-truth',
    model: null,
    config: { source: 'dougpt sample', seed: opts.seed },
  };

  return { vodId, utterances, chat, truth, transcript };
}
