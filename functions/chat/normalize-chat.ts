import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { createHash, randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { z } from 'zod';
import { ChatSourceFormat } from './chat-message.ts';
import { ChatFormatError } from './chat-format-error.ts';
import { botNameSet, emoteNameSet } from './chat-flags.ts';
import { ChatStager, PLAUSIBLE_SPAN_MS, type StageSummary } from './chat-stager.ts';
import { detectChatFormat, type DetectedChatFormat } from './detect-chat-format.ts';
import { estimateClockShift } from './estimate-clock-shift.ts';
import { stageJsonRecords, type JsonHeaderInfo } from './stage-json-records.ts';
import { stageCsvRecords } from './stage-csv-records.ts';
import { stageLineRecords } from './stage-line-records.ts';
import { writeChatOutput, type TableFormat } from './write-chat-output.ts';

export { ChatFormatError, type ChatFormatErrorKind } from './chat-format-error.ts';
export { detectChatFormat, type DetectedChatFormat } from './detect-chat-format.ts';

const TABLE_PATH = /\.(jsonl|ndjson|json|parquet)$/i;
const OUTPUT_PATH = /^-$|\.(jsonl|ndjson|json|parquet)$/i;

export const NormalizeChatFormat = z.enum(['auto', 'twitchdownloader', 'rechat', 'chat-downloader', 'irc', 'text', 'youtube-live-chat']);
export type NormalizeChatFormat = z.infer<typeof NormalizeChatFormat>;

export const NormalizeChatInput = z.object({
  /** Path of the chat file (may be gzip-compressed). */
  input: z.string().min(1),
  format: NormalizeChatFormat.default('auto'),
  /** Overrides the VOD id found in the file; required for formats that carry none (IRC, text, chat-downloader). */
  vodId: z.string().min(1).optional(),
  /** VOD start (ISO-8601); required for wall-clock formats (IRC, text logs with dates). */
  vodStart: z.string().optional(),
  /** `.jsonl` or `.parquet` path, or '-' for JSONL on stdout. */
  out: z.string().regex(OUTPUT_PATH, 'out must be a .jsonl or .parquet path, or -'),
  /** Where the rejects go; default: beside `out` as `<name>.rejects.<jsonl|parquet>` (none for '-'). */
  rejectsOut: z.string().regex(TABLE_PATH, 'rejectsOut must be a .jsonl or .parquet path').optional(),
  /** Bot logins added to the built-in list. */
  botNames: z.array(z.string()).optional(),
  /** Emote names (third-party emotes) added to the built-in list. */
  emoteNames: z.array(z.string()).optional(),
});
export type NormalizeChatInput = z.input<typeof NormalizeChatInput>;

export const NormalizeChatOutput = z.object({
  vodId: z.string(),
  format: ChatSourceFormat,
  /** Records in the file (array elements, or non-empty lines). */
  records: z.number().int(),
  accepted: z.number().int(),
  /** Everything not accepted, duplicates included: accepted + rejected = records. */
  rejected: z.number().int(),
  duplicates: z.number().int(),
  reasons: z.record(z.string(), z.number().int()),
  /** Where offset_ms came from, e.g. 'content_offset_seconds', 'created_at', 'tmi-sent-ts'. */
  offsetSource: z.string(),
  /** Clock shift used to recover sub-second offsets (server time − offset, ms), when it was. */
  clockShiftMs: z.number().nullable(),
  /**
   * Accepted-or-staged messages the output is unsure about, by kind: 'missing-author' and
   * 'missing-sent-at' (when most messages lack one; a format that should carry it was likely
   * misread), 'implausible-sent-at' (server times far from the file's own VOD start, set to null).
   */
  warnings: z.record(z.string(), z.number().int()),
  out: z.string(),
  rejectsOut: z.string().nullable(),
  /** sha256 of the written output file (null for stdout). */
  sha256: z.string().nullable(),
});
export type NormalizeChatOutput = z.infer<typeof NormalizeChatOutput>;

export interface NormalizeChatDeps {
  /** Bytes of the input read so far, of `total`. */
  onProgress?: (done: number, total?: number) => void;
  signal?: AbortSignal;
}

/** Share of whole-second messages that must agree on one clock shift before it is trusted. */
const MIN_SHIFT_AGREEMENT = 0.5;

/**
 * Normalizes one chat file into canonical ChatMessage rows (JSONL or Parquet), ordered by VOD
 * offset, deduplicated by message id, with flags; every unusable record is counted by reason and
 * written as a ChatReject row. Throws ChatFormatError when the file is not chat at all (empty,
 * truncated, binary, unknown shape) or lacks what its timing needs (VOD start, VOD id); no output
 * file is left behind then.
 *
 * @example
 * const result = await normalizeChat({ input: 'chat.json', out: 'chat.parquet' });
 * // { vodId: '2285300543', format: 'twitchdownloader', accepted: 48210, rejected: 12,
 * //   reasons: { duplicate: 10, 'text-too-long': 2 }, offsetSource: 'created_at', ... }
 */
export async function normalizeChat(rawInput: NormalizeChatInput, deps: NormalizeChatDeps = {}): Promise<NormalizeChatOutput> {
  const input = NormalizeChatInput.parse(rawInput);
  const path = input.input;
  const detected = await detectChatFormat(path, input.format === 'auto' ? undefined : input.format);
  let vodStartMs: number | null = null;
  if (detected.wallClock) {
    if (!input.vodStart) {
      throw new ChatFormatError('missing-vod-start', path,
        `${detected.format} timestamps are wall-clock: the VOD start is needed (--vod-start <ISO time>)`);
    }
    vodStartMs = Date.parse(input.vodStart);
    if (!Number.isFinite(vodStartMs)) throw new ChatFormatError('missing-vod-start', path, `VOD start ${JSON.stringify(input.vodStart)} is not an ISO-8601 time`);
  }
  if (!input.vodId && (detected.layout !== 'json' || detected.format === 'chat-downloader' || detected.format === 'irc')) {
    throw new ChatFormatError('missing-vod-id', path, `${detected.format} files do not name their VOD: pass --vod-id`);
  }

  const outTarget = outputTarget(input.out);
  const rejectsPath = input.rejectsOut ?? (input.out === '-' ? null : defaultRejectsPath(input.out));
  const rejectsTarget = rejectsPath ? { path: rejectsPath, format: tableFormat(rejectsPath) } : null;
  if (input.out !== '-') await mkdir(dirname(input.out), { recursive: true });
  if (rejectsTarget) await mkdir(dirname(rejectsTarget.path), { recursive: true });
  const workDir = await mkdtemp(join(tmpdir(), 'dougpt-chat-'));
  const tempOut = input.out === '-' ? join(workDir, 'out.jsonl') : siblingTemp(input.out);
  const tempRejects = rejectsTarget ? siblingTemp(rejectsTarget.path) : null;
  try {
    const emoteNames = emoteNameSet(input.emoteNames);
    const stager = new ChatStager({
      stagedPath: join(workDir, 'staged.ndjson'),
      rejectsPath: join(workDir, 'rejects.ndjson'),
      moderationPath: join(workDir, 'moderation.ndjson'),
      timing: detected.wallClock ? 'wall-clock' : 'offset',
      vodStartMs,
      bots: botNameSet(input.botNames),
      emoteNames,
      lateEmoteNames: detected.format === 'twitchdownloader',
    });
    let header: JsonHeaderInfo = { vodId: null, emoteNames: [] };
    try {
      const read = { signal: deps.signal, onBytes: deps.onProgress };
      if (detected.layout === 'json') header = await stageJsonRecords(path, detected.format, stager, read);
      else if (detected.layout === 'csv') await stageCsvRecords(path, detected.format, stager, read);
      else await stageLineRecords(path, detected, stager, read);
    } catch (error) {
      stager.destroy();
      throw error;
    }
    const summary = await stager.finish();

    const vodId = input.vodId ?? usableVodId(header.vodId) ?? usableVodId(summary.recordVodId);
    if (!vodId) throw new ChatFormatError('missing-vod-id', path, 'the file names no VOD id: pass --vod-id');
    const timing = offsetTiming(detected, summary);
    const sentAtCenterMs = summary.clockDeltas.length > 0 ? median(summary.clockDeltas) : null;
    const lateEmoteNames = summary.lateEmoteCandidates > 0 ? header.emoteNames.filter((n) => !emoteNames.has(n)) : [];

    const written = await writeChatOutput({
      workDir,
      stagedPath: join(workDir, 'staged.ndjson'),
      rejectsPath: join(workDir, 'rejects.ndjson'),
      moderationPath: summary.moderation > 0 ? join(workDir, 'moderation.ndjson') : null,
      vodId,
      sourceFormat: detected.format,
      clockShiftMs: timing.clockShiftMs,
      plausibleSentAt: sentAtCenterMs === null ? null : { centerMs: sentAtCenterMs, spanMs: PLAUSIBLE_SPAN_MS },
      lateEmoteNames,
      out: { path: tempOut, format: outTarget },
      rejectsOut: tempRejects && rejectsTarget ? { path: tempRejects, format: rejectsTarget.format } : null,
      signal: deps.signal,
    });
    const reasons = { ...summary.reasons };
    if (written.duplicates > 0) reasons.duplicate = written.duplicates;
    const rejected = summary.rejected + written.duplicates;
    if (written.accepted + rejected !== summary.records) {
      throw new Error(`${path}: record accounting failed (${written.accepted} accepted + ${rejected} rejected ≠ ${summary.records} records)`);
    }

    let sha256: string | null = null;
    if (input.out === '-') {
      await pipeline(createReadStream(tempOut), process.stdout, { end: false });
    } else {
      sha256 = await fileSha256(tempOut);
      await rename(tempOut, input.out);
    }
    if (tempRejects && rejectsTarget) await rename(tempRejects, rejectsTarget.path);
    return NormalizeChatOutput.parse({
      vodId,
      format: detected.format,
      records: summary.records,
      accepted: written.accepted,
      rejected,
      duplicates: written.duplicates,
      reasons,
      offsetSource: timing.source,
      clockShiftMs: timing.clockShiftMs,
      warnings: warningsOf(detected, summary, written.implausibleSentAt),
      out: input.out,
      rejectsOut: rejectsTarget?.path ?? null,
      sha256,
    });
  } finally {
    await Promise.all([
      rm(workDir, { recursive: true, force: true }),
      input.out === '-' ? Promise.resolve() : rm(tempOut, { force: true }),
      tempRejects ? rm(tempRejects, { force: true }) : Promise.resolve(),
    ]);
  }
}

function tableFormat(path: string): TableFormat {
  return path.toLowerCase().endsWith('.parquet') ? 'parquet' : 'jsonl';
}

function outputTarget(out: string): TableFormat {
  return out === '-' ? 'jsonl' : tableFormat(out);
}

function defaultRejectsPath(out: string): string {
  const format = tableFormat(out);
  const stem = out.replace(/\.(jsonl|ndjson|json|parquet)$/i, '');
  return `${stem}.rejects.${format}`;
}

/** A temp file beside the target, so the final rename is atomic on the same filesystem. */
function siblingTemp(target: string): string {
  return join(dirname(target), `.${basename(target)}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
}

/** Most of the staged messages: a share past which a missing field is a misread format, not a quirk of a few records. */
const MOST = 0.5;

function warningsOf(detected: DetectedChatFormat, summary: StageSummary, implausibleSentAt: number): Record<string, number> {
  const warnings: Record<string, number> = {};
  const most = (n: number) => summary.staged > 0 && n > summary.staged * MOST;
  if (most(summary.missingAuthor)) warnings['missing-author'] = summary.missingAuthor;
  // Text logs with offsets never carry server time; every other format names one per message.
  const timeExpected = !(detected.format === 'text' && !detected.wallClock);
  if (timeExpected && most(summary.missingSentAt)) warnings['missing-sent-at'] = summary.missingSentAt;
  if (implausibleSentAt > 0) warnings['implausible-sent-at'] = implausibleSentAt;
  return warnings;
}

/** Median of the clock deltas (server time − offset): the VOD start the file itself implies. */
function median(values: Float64Array): number {
  const sorted = Float64Array.from(values).sort();
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function usableVodId(id: string | null): string | null {
  return id && id !== '0' && /^[A-Za-z0-9_-]+$/.test(id) ? id : null;
}

async function fileSha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * Which clock offset_ms comes from. Offsets with milliseconds are used as they are. Whole-second
 * offsets (Twitch since late 2022) are refined from server time when most messages agree on one
 * clock shift; files whose server times are bunched (highlights, re-exports) keep whole seconds.
 */
function offsetTiming(detected: DetectedChatFormat, summary: StageSummary): { source: string; clockShiftMs: number | null } {
  if (detected.format === 'irc') return { source: 'tmi-sent-ts', clockShiftMs: null };
  if (detected.format === 'youtube-live-chat') return { source: 'videoOffsetTimeMsec', clockShiftMs: null };
  if (detected.format === 'text') {
    return { source: detected.wallClock ? 'text-wall-clock' : 'text-offset', clockShiftMs: null };
  }
  const keys = Object.entries(summary.offsetKeys).sort((a, b) => b[1] - a[1]);
  const base = keys[0]?.[0] ?? (detected.format === 'chat-downloader' ? 'time_in_seconds' : 'content_offset_seconds');
  const server = detected.format === 'chat-downloader' ? 'timestamp' : 'created_at';
  if (summary.staged === 0 || summary.subSecondOffsets > summary.staged / 2) return { source: base, clockShiftMs: null };
  const shift = summary.clockDeltas.length >= 2 ? estimateClockShift(summary.clockDeltas) : null;
  if (shift && shift.inliers >= 2 && shift.inliers >= shift.total * MIN_SHIFT_AGREEMENT) {
    return { source: server, clockShiftMs: Math.round(shift.shiftMs * 1000) / 1000 };
  }
  return { source: `${base}:whole-seconds`, clockShiftMs: null };
}
