import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { z } from 'zod';
import { ChatMessage } from '../chat/chat-message.ts';
import { isChatJsonl, parseChatJsonl } from '../chat/chat-jsonl.ts';
import { normalizeChat } from '../chat/normalize-chat.ts';
import { CaptionFormatError, detectCaptionFormat, importCaptions, type CaptionFormat } from '../transcribe/import-captions.ts';
import { Transcript, TranscriptSegment } from '../transcribe/transcript.ts';
import { align } from './align.ts';
import { ChatOffset } from './pair.ts';

export const AlignChatInput = z.object({
  /** Transcript: `dougpt transcribe` JSON, a bare word list in ms, WhisperX/Whisper JSON, WebVTT, json3 or SRT. */
  transcript: z.string().min(1),
  /** Normalised chat JSONL (one ChatMessage per line) or any chat file `normalizeChat` reads. */
  chat: z.string().min(1),
  /** Output JSON: { vod_id, method, offsets, pairs, rejects, stats }. */
  out: z.string().min(1),
  vodId: z.string().min(1).optional(),
  /** VOD start (ISO-8601), for chat logs with wall-clock times only. */
  vodStart: z.string().optional(),
  contextMs: z.number().int().min(1_000).max(30_000).optional(),
});
export type AlignChatInput = z.input<typeof AlignChatInput>;

export const AlignChatOutput = z.object({
  vodId: z.string(),
  out: z.string(),
  messages: z.number().int(),
  words: z.number().int(),
  pairs: z.number().int(),
  rejects: z.number().int(),
  tiers: z.object({ 0: z.number().int(), 1: z.number().int(), 2: z.number().int() }),
  labels: z.record(z.string(), z.number().int()),
  rejectReasons: z.record(z.string(), z.number().int()),
  offsets: z.array(ChatOffset),
  medianLagMs: z.number().int().nullable(),
  /** 'jsonl' when the chat was already normalised, else the format the normaliser detected. */
  chatFormat: z.string(),
  /** 'transcript' (ours), 'words' (a bare word list) or the caption format read. */
  transcriptFormat: z.string(),
  transcriptSha256: z.string(),
  chatSha256: z.string(),
});
export type AlignChatOutput = z.infer<typeof AlignChatOutput>;

export type AlignInputErrorKind = 'transcript' | 'chat' | 'vod-id';

/** Input the user can fix: names the file and what is wrong with it. */
export class AlignInputError extends Error {
  override name = 'AlignInputError';
  constructor(
    readonly kind: AlignInputErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface AlignChatDeps {
  signal?: AbortSignal;
  /** Stage names as they start: 'read', 'align', 'write'. */
  onStage?: (stage: string) => void;
}

/**
 * Aligns one VOD's chat with its transcript, file in, file out; returns counts, never rows.
 *
 * @example
 * const result = await alignChat({ transcript: 'vod.transcript.json', chat: 'chat.json', out: 'vod.align.json' });
 * // { vodId: '1987654321', pairs: 41193, rejects: 4719, tiers: { 0: 14145, 1: 8644, 2: 18404 }, ... }
 */
export async function alignChat(rawInput: AlignChatInput, deps: AlignChatDeps = {}): Promise<AlignChatOutput> {
  const input = AlignChatInput.parse(rawInput);
  deps.onStage?.('read');
  const transcriptBytes = await readInput(input.transcript, 'transcript');
  const { transcript, format: transcriptFormat } = await readTranscript(input.transcript, transcriptBytes);
  const chatBytes = await readInput(input.chat, 'chat');
  deps.signal?.throwIfAborted();
  const chat = await readChat(input.chat, chatBytes, input, deps.signal);
  const vodId = input.vodId ?? chat.messages[0]?.vod_id ?? chat.vodId;
  if (!vodId) throw new AlignInputError('vod-id', `${input.chat}: no VOD id in the chat; pass --vod-id`);

  deps.onStage?.('align');
  const result = align(chat.messages, transcript.words, {
    vodId,
    transcriptSha256: sha256(transcriptBytes),
    chatSha256: sha256(chatBytes),
    segments: transcript.segments,
    ...(input.contextMs !== undefined ? { contextMs: input.contextMs } : {}),
  });

  deps.onStage?.('write');
  const temp = `${input.out}.${process.pid}.tmp`;
  try {
    await writeFile(temp, JSON.stringify(result));
    await rename(temp, input.out);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  return AlignChatOutput.parse({
    vodId,
    out: input.out,
    messages: result.stats.messages,
    words: result.stats.words,
    pairs: result.stats.pairs,
    rejects: result.stats.rejects,
    tiers: result.stats.tiers,
    labels: result.stats.labels,
    rejectReasons: result.stats.reject_reasons,
    offsets: result.offsets,
    medianLagMs: result.stats.median_lag_ms,
    chatFormat: chat.format,
    transcriptFormat,
    transcriptSha256: sha256(transcriptBytes),
    chatSha256: sha256(chatBytes),
  });
}

async function readInput(path: string, kind: 'transcript' | 'chat'): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    throw new AlignInputError(kind, `${path}: cannot read ${kind} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`, { cause: error });
  }
}

/** A bare word list in milliseconds, as other tools write it: `{ words: [...] }` or `[...]`. */
const MsWord = z.object({
  word: z.string().optional(),
  text: z.string().optional(),
  start_ms: z.number(),
  end_ms: z.number(),
  confidence: z.number().min(0).max(1).nullish(),
});
const WordsOnly = z.union([z.object({ words: z.array(MsWord).min(1), segments: z.array(TranscriptSegment).optional() }), z.array(MsWord).min(1)]);

export type TranscriptFormat = 'transcript' | 'words' | CaptionFormat;

/**
 * Any transcript a user may have: our own JSON, a bare word list in ms, or anything the caption
 * importer reads (WhisperX / Whisper JSON, word-timed or plain WebVTT, json3, SRT). Content
 * decides, not the extension.
 */
export async function readTranscript(path: string, bytes: Buffer): Promise<{ transcript: Transcript; format: TranscriptFormat }> {
  const text = bytes.toString('utf8').replace(/^\uFEFF/, '');
  let json: unknown = undefined;
  try {
    json = JSON.parse(text) as unknown;
  } catch {
    // Not JSON: a caption format, or nothing we read.
  }
  if (json !== undefined) {
    const own = Transcript.safeParse(json);
    if (own.success) return { transcript: own.data, format: 'transcript' };
    const bare = WordsOnly.safeParse(json);
    if (bare.success) {
      const list = Array.isArray(bare.data) ? bare.data : bare.data.words;
      const words = list.map((w) => ({
        word: (w.word ?? w.text ?? '').trim(),
        start_ms: Math.round(w.start_ms),
        end_ms: Math.round(Math.max(w.start_ms, w.end_ms)),
        confidence: w.confidence ?? null,
      }));
      const segments = Array.isArray(bare.data) ? [] : (bare.data.segments ?? []);
      return { transcript: { words, segments, backend: 'words', model: null, config: {} }, format: 'words' };
    }
  }
  const format = detectCaptionFormat(path, text);
  if (format === null || (json !== undefined && format !== 'json3' && format !== 'whisper-json')) {
    throw new AlignInputError('transcript', `${path}: not a transcript (our JSON, a word list, WhisperX/Whisper JSON, WebVTT, json3 or SRT)`);
  }
  try {
    return { transcript: await importCaptions({ path, format }), format };
  } catch (error) {
    if (error instanceof CaptionFormatError) throw new AlignInputError('transcript', `${path}: not a transcript (${error.message.slice(path.length + 2)})`, { cause: error });
    throw error;
  }
}

/** Normalised JSONL is read as it is; anything else goes through the chat normaliser first. */
async function readChat(
  path: string,
  bytes: Buffer,
  input: z.infer<typeof AlignChatInput>,
  signal: AbortSignal | undefined,
): Promise<{ messages: ChatMessage[]; vodId: string | null; format: string }> {
  const text = bytes.toString('utf8');
  if (isChatJsonl(text)) return { messages: parseJsonl(path, text), vodId: null, format: 'jsonl' };
  const dir = await mkdtemp(join(tmpdir(), 'dougpt-align-'));
  try {
    const out = join(dir, `${basename(path)}.jsonl`);
    const normalized = await normalizeChat(
      { input: path, out, rejectsOut: join(dir, 'rejects.jsonl'), ...(input.vodId ? { vodId: input.vodId } : {}), ...(input.vodStart ? { vodStart: input.vodStart } : {}) },
      signal ? { signal } : {},
    );
    const messages = parseJsonl(out, await readFile(out, 'utf8'));
    return { messages, vodId: normalized.vodId, format: normalized.format };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function parseJsonl(path: string, text: string): ChatMessage[] {
  return parseChatJsonl(path, text, (message, cause) => new AlignInputError('chat', message, { cause }));
}

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}
