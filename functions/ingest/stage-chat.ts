import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { extensionOf, objectKeys } from '../../catalog/keys.ts';
import { ChatFormatError } from '../chat/chat-format-error.ts';
import { normalizeChat } from '../chat/normalize-chat.ts';
import type { LakeDeps, RunContext } from '../deps.ts';
import { fetchSource } from './fetch-source.ts';
import { hashFile } from './hash-file.ts';
import { IngestInputError } from './ingest-error.ts';
import { failIfAsked, TestFailAt } from './injected-failure.ts';
import { uploadFiles } from './upload-files.ts';

export const StageChatInput = z.object({
  vod_id: z.string().min(1),
  chat: z.string().min(1),
  /** The VOD's start (ISO-8601), for wall-clock chat formats. */
  vod_start: z.string().nullable().optional(),
  test_fail_at: TestFailAt.optional(),
});
export type StageChatInput = z.infer<typeof StageChatInput>;

export const StagedChat = z.object({
  vod_id: z.string(),
  chat_source: z.string(),
  chat_key: z.string(),
  chat_sha256: z.string(),
  chat_bytes: z.number(),
  format: z.string(),
  offset_source: z.string(),
  accepted: z.number(),
  rejected: z.number(),
  reasons: z.record(z.string(), z.number()),
  messages_key: z.string(),
  rejects_key: z.string(),
  written_keys: z.array(z.string()),
});
export type StagedChat = z.infer<typeof StagedChat>;

/**
 * Fetches a chat log, normalizes it to canonical messages (and counted rejects), and stores the raw
 * file in bronze plus both normalized parts as staged Parquet for the commit step. A file that is no
 * chat at all fails before anything is stored; a failure or cancellation during or after the uploads
 * removes what this call uploaded.
 *
 * @example
 * await stageChat({ vod_id: 'v1', chat: './sample/stream.chat.json' }, deps);
 */
export async function stageChat(raw: StageChatInput, deps: LakeDeps, ctx: RunContext = {}): Promise<StagedChat> {
  const input = StageChatInput.parse(raw);
  const work = join(deps.workDir, 'chat', input.vod_id);
  await mkdir(work, { recursive: true });
  const fetched = await fetchSource(input.chat, work, { signal: ctx.signal });
  const { sha256, bytes } = await hashFile(fetched.path);
  const messagesPath = join(work, `${sha256}.messages.parquet`);
  const rejectsPath = join(work, `${sha256}.rejects.parquet`);
  try {
    let summary;
    try {
      summary = await normalizeChat(
        {
          input: fetched.path,
          format: 'auto',
          vodId: input.vod_id,
          vodStart: input.vod_start ?? undefined,
          out: messagesPath,
          rejectsOut: rejectsPath,
        },
        { signal: ctx.signal, onProgress: (done, total) => ctx.progress?.({ stage: 'normalize', done, total }) },
      );
    } catch (error) {
      if (error instanceof ChatFormatError) throw new IngestInputError('bad-chat', input.chat, error.message.replace(`${fetched.path}: `, ''));
      throw error;
    }
    const chatKey = objectKeys.chat(input.vod_id, sha256, extensionOf(fetched.name));
    const messagesKey = objectKeys.stagedChat(input.vod_id, sha256, 'messages');
    const rejectsKey = objectKeys.stagedChat(input.vod_id, sha256, 'rejects');
    const uploads = await uploadFiles(
      deps.store,
      [{ key: chatKey, path: fetched.path }, { key: messagesKey, path: messagesPath }, { key: rejectsKey, path: rejectsPath }],
      { signal: ctx.signal, after: () => failIfAsked(input.test_fail_at, 'chat-uploaded') },
    );
    return {
      vod_id: input.vod_id,
      chat_source: input.chat,
      chat_key: chatKey,
      chat_sha256: sha256,
      chat_bytes: bytes,
      format: summary.format,
      offset_source: summary.offsetSource,
      accepted: summary.accepted,
      rejected: summary.rejected,
      reasons: summary.reasons,
      messages_key: messagesKey,
      rejects_key: rejectsKey,
      written_keys: uploads.written,
    };
  } finally {
    await rm(messagesPath, { force: true });
    await rm(rejectsPath, { force: true });
    if (fetched.source.kind !== 'file') await rm(fetched.path, { force: true });
  }
}
