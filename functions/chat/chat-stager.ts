import { createHash } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { emoteVerdict, isBot, isCommand } from './chat-flags.ts';
import { cleanChatText } from './clean-chat-text.ts';
import { isModeration, isReject, type ParsedRecord } from './raw-chat.ts';

/** Twitch refuses messages over 500 characters; system text of notices adds some. Far beyond that is broken data. */
export const MAX_TEXT_LENGTH = 1000;
/**
 * How far a message's time may lie from its VOD's start. VODs last hours (Twitch caps them at 48 h);
 * a time months or years away is a broken clock or a unit error, not a late message.
 */
export const PLAUSIBLE_SPAN_MS = 30 * 86_400_000;
/** Raw text kept with a reject. */
const MAX_RAW_LENGTH = 4000;

export interface StagerOptions {
  stagedPath: string;
  rejectsPath: string;
  moderationPath: string;
  /** 'offset': records carry VOD offsets; 'wall-clock': offsets are server time − vodStartMs. */
  timing: 'offset' | 'wall-clock';
  vodStartMs: number | null;
  bots: Set<string>;
  emoteNames: Set<string>;
  /** Emote names may still arrive after the records (TwitchDownloader `embeddedData`). */
  lateEmoteNames: boolean;
}

export interface StageSummary {
  records: number;
  staged: number;
  rejected: number;
  reasons: Record<string, number>;
  moderation: number;
  /** server time − offset, for every staged record that has both (ms). */
  clockDeltas: Float64Array;
  /** Staged records whose offset has a sub-second part. */
  subSecondOffsets: number;
  /** First VOD id that records named themselves. */
  recordVodId: string | null;
  /** Some staged records still need a late emote-name check. */
  lateEmoteCandidates: number;
  /** Staged records with no author at all (no id, login or display name). */
  missingAuthor: number;
  /** Staged records with no server time. */
  missingSentAt: number;
  /** The field offsets were read from, by count, for formats that say (`video_offset_time_msec`). */
  offsetKeys: Record<string, number>;
}

class LineWriter {
  private readonly stream: WriteStream;
  private buffer = '';

  constructor(path: string) {
    this.stream = createWriteStream(path, { highWaterMark: 1 << 20 });
  }

  async write(line: string): Promise<void> {
    this.buffer += line;
    this.buffer += '\n';
    if (this.buffer.length >= 1 << 20) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.buffer.length === 0) return;
    const ok = this.stream.write(this.buffer);
    this.buffer = '';
    if (!ok) await once(this.stream, 'drain');
  }

  async close(): Promise<void> {
    await this.flush();
    this.stream.end();
    await once(this.stream, 'finish');
  }

  destroy(): void {
    this.stream.destroy();
  }
}

/**
 * Validates parsed records, derives ids and flags, and writes them as newline-delimited JSON
 * staging files (messages, rejects, moderation events) for the SQL step that orders, dedupes and
 * writes the output. Memory stays flat: only one number per record (the clock delta) is kept.
 */
export class ChatStager {
  private readonly staged: LineWriter;
  private readonly rejects: LineWriter;
  private readonly moderation: LineWriter;
  private records = 0;
  private stagedCount = 0;
  private rejected = 0;
  private moderationCount = 0;
  private readonly reasons: Record<string, number> = {};
  private deltas = new Float64Array(1 << 16);
  private deltaCount = 0;
  private subSecond = 0;
  private recordVodId: string | null = null;
  private lateCandidates = 0;
  private missingAuthor = 0;
  private missingSentAt = 0;
  private readonly offsetKeys: Record<string, number> = {};

  constructor(private readonly options: StagerOptions) {
    this.staged = new LineWriter(options.stagedPath);
    this.rejects = new LineWriter(options.rejectsPath);
    this.moderation = new LineWriter(options.moderationPath);
  }

  /** Adds the record at 0-based position `index`; `raw` is its source text (kept only if rejected). */
  async add(index: number, parsed: ParsedRecord, raw: string): Promise<void> {
    this.records++;
    if (isReject(parsed)) return this.addReject(index, parsed.reject, parsed.detail, raw);
    if (isModeration(parsed)) {
      this.moderationCount++;
      await this.moderation.write(JSON.stringify({ i: index, m: parsed.moderation, id: parsed.targetId, l: parsed.targetLogin, t_ms: parsed.atMs, ch: parsed.channel }));
      // Counted, and kept with the rejects, so that every input line is accounted for.
      return this.writeReject(index, 'moderation', `${parsed.moderation === 'message' ? 'CLEARMSG' : 'CLEARCHAT'} applied to earlier messages`, raw);
    }
    if (parsed.text === null) return this.addReject(index, 'missing-text', 'no message text', raw);
    const { text, emotes } = cleanChatText(parsed.text, parsed.emotes);
    if (text.length === 0) return this.addReject(index, 'empty-text', null, raw);
    if (text.length > MAX_TEXT_LENGTH) return this.addReject(index, 'text-too-long', `${text.length} characters (limit ${MAX_TEXT_LENGTH})`, raw);
    let offsetMs = parsed.offsetMs;
    if (this.options.timing === 'wall-clock') {
      if (parsed.sentMs === null) return this.addReject(index, 'missing-timestamp', 'no server time to place the message on the VOD', raw);
      offsetMs = parsed.sentMs - this.options.vodStartMs!;
      if (offsetMs < 0) return this.addReject(index, 'before-vod-start', `sent ${new Date(parsed.sentMs).toISOString()}, ${-offsetMs} ms before the VOD start`, raw);
      if (offsetMs > PLAUSIBLE_SPAN_MS) {
        return this.addReject(index, 'implausible-timestamp', `sent ${new Date(parsed.sentMs).toISOString()}, ${Math.round(offsetMs / 86_400_000)} days after the VOD start`, raw);
      }
    }
    if (offsetMs === null) return this.addReject(index, 'missing-offset', null, raw);
    if (offsetMs % 1000 !== 0) this.subSecond++;
    if (parsed.sentMs !== null && this.options.timing === 'offset') this.pushDelta(parsed.sentMs - offsetMs);
    if (this.recordVodId === null && parsed.vodId) this.recordVodId = parsed.vodId;
    if (parsed.authorId === null && parsed.authorLogin === null && parsed.authorDisplay === null) this.missingAuthor++;
    if (parsed.sentMs === null) this.missingSentAt++;
    if (parsed.offsetKey) this.offsetKeys[parsed.offsetKey] = (this.offsetKeys[parsed.offsetKey] ?? 0) + 1;

    const author = parsed.authorLogin ?? parsed.authorDisplay?.toLowerCase() ?? parsed.authorId ?? '';
    const id = parsed.id ?? derivedMessageId(author, parsed.sentMs ?? offsetMs, text);
    const verdict = emoteVerdict(text, emotes, this.options.emoteNames, this.options.lateEmoteNames);
    if (Array.isArray(verdict)) this.lateCandidates++;
    this.stagedCount++;
    await this.staged.write(JSON.stringify({
      i: index,
      id,
      o: offsetMs,
      w: parsed.sentMs,
      s: parsed.sentMs === null ? null : new Date(parsed.sentMs).toISOString(),
      a: parsed.authorId,
      l: parsed.authorLogin,
      d: parsed.authorDisplay,
      t: text,
      e: emotes,
      b: parsed.badges,
      bits: parsed.bits,
      act: parsed.isAction,
      rep: parsed.replyTo,
      k: parsed.kind,
      bot: isBot(this.options.bots, parsed.authorLogin, parsed.authorDisplay),
      cmd: isCommand(text),
      eo: verdict === true,
      rest: Array.isArray(verdict) ? verdict : null,
      del: parsed.isDeleted,
      ch: parsed.channel ?? null,
    }));
  }

  async addReject(index: number, reason: string, detail: string | null, raw: string | null): Promise<void> {
    this.rejected++;
    await this.writeReject(index, reason, detail, raw);
  }

  private async writeReject(index: number, reason: string, detail: string | null, raw: string | null): Promise<void> {
    this.reasons[reason] = (this.reasons[reason] ?? 0) + 1;
    const kept = raw === null ? null : raw.length > MAX_RAW_LENGTH ? `${raw.slice(0, MAX_RAW_LENGTH)}…` : raw;
    await this.rejects.write(JSON.stringify({ i: index, reason, detail, raw: kept }));
  }

  private pushDelta(value: number): void {
    if (this.deltaCount === this.deltas.length) {
      const grown = new Float64Array(this.deltas.length * 2);
      grown.set(this.deltas);
      this.deltas = grown;
    }
    this.deltas[this.deltaCount++] = value;
  }

  async finish(): Promise<StageSummary> {
    await Promise.all([this.staged.close(), this.rejects.close(), this.moderation.close()]);
    return {
      records: this.records,
      staged: this.stagedCount,
      rejected: this.rejected + this.moderationCount,
      reasons: { ...this.reasons },
      moderation: this.moderationCount,
      clockDeltas: this.deltas.subarray(0, this.deltaCount),
      subSecondOffsets: this.subSecond,
      recordVodId: this.recordVodId,
      lateEmoteCandidates: this.lateCandidates,
      missingAuthor: this.missingAuthor,
      missingSentAt: this.missingSentAt,
      offsetKeys: { ...this.offsetKeys },
    };
  }

  destroy(): void {
    this.staged.destroy();
    this.rejects.destroy();
    this.moderation.destroy();
  }
}

/**
 * A stable id for records that have none (text logs, derived files, old chat-downloader items):
 * a hash of author, time and text, so the same message read twice gets the same id and dedupes.
 *
 * @example
 * derivedMessageId('dougdoug', 65000, 'hello chat')  // 'h-3f0c…' (24 hex digits)
 */
export function derivedMessageId(author: string, timeMs: number, text: string): string {
  return `h-${createHash('sha256').update(`${author}\u0000${timeMs}\u0000${text}`).digest('hex').slice(0, 24)}`;
}
