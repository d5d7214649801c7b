import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { alignChat, AlignInputError, readTranscript } from '../../functions/align/align-chat.ts';
import { readChatFile } from './read-chat-file.ts';
import { mediaType, transcriptLines, type ReplayData, type ReplayLag, type ReplayLine } from './replay-data.ts';

export interface ReplayFiles {
  /** Video or audio of the VOD. */
  media: string;
  /** Real chat: any chat file the normaliser reads. */
  chat: string;
  /** Generated chat (`dougpt simulate`'s output or any chat file). */
  generated: string;
  /** Transcript (any format `dougpt align` reads): shown under the player, and aligned with the chat for the lag. */
  transcript?: string;
  vodId?: string;
  vodStart?: string;
}

/** A replay input the user can fix, named in one line. */
export class ReplayInputError extends Error {
  override name = 'ReplayInputError';
}

/**
 * The replay of files, no server: the chat lag comes from aligning the real chat with the
 * transcript (as `dougpt align` does), when a transcript is given.
 *
 * @example
 * const data = await loadReplayFiles({ media: 'vod.mp4', chat: 'chat.json', generated: 'sim.json', transcript: 'vod.transcript.json' });
 */
export async function loadReplayFiles(files: ReplayFiles, options: { signal?: AbortSignal } = {}): Promise<ReplayData> {
  const info = await stat(files.media).catch(() => null);
  if (!info?.isFile()) throw new ReplayInputError(`--media ${files.media}: no such media file`);
  const ids = { ...(files.vodId ? { vodId: files.vodId } : {}), ...(files.vodStart ? { vodStart: files.vodStart } : {}), ...options };
  const real = await readChatFile(files.chat, ids);
  const generated = await readChatFile(files.generated, ids);
  let lag: ReplayLag[] = [];
  let transcript: ReplayLine[] = [];
  if (files.transcript) {
    const bytes = await readFile(files.transcript).catch((error: unknown) => {
      throw new AlignInputError('transcript', `${files.transcript}: cannot read transcript (${(error as NodeJS.ErrnoException).code ?? 'error'})`, { cause: error });
    });
    const read = await readTranscript(files.transcript, bytes);
    transcript = transcriptLines(read.transcript.words, read.transcript.segments);
    const dir = await mkdtemp(join(tmpdir(), 'dougpt-replay-align-'));
    try {
      const aligned = await alignChat({ transcript: files.transcript, chat: files.chat, out: join(dir, 'align.json'), ...(files.vodId ? { vodId: files.vodId } : {}), ...(files.vodStart ? { vodStart: files.vodStart } : {}) }, options);
      lag = aligned.offsets.map(({ from_ms, to_ms, lag_ms, confidence, method }) => ({ from_ms, to_ms, lag_ms, confidence, method }));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  return {
    vod_id: files.vodId ?? real.vod_id,
    title: basename(files.media),
    duration_ms: null,
    media: { path: files.media, ...mediaType(files.media) },
    lag,
    align: files.transcript ? `dougpt align --transcript ${basename(files.transcript)} --chat ${basename(files.chat)}` : null,
    transcript,
    columns: [
      { id: 'real', label: 'Real chat', source: files.chat, messages: real.messages },
      { id: 'generated', label: 'Generated chat', source: files.generated, messages: generated.messages },
    ],
  };
}
