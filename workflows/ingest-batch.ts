import {
  ApplicationFailure,
  ChildWorkflowFailure,
  continueAsNew,
  defineQuery,
  executeChild,
  proxyActivities,
  setHandler,
} from '@temporalio/workflow';
import type { IngestActivities } from '../functions/activities.ts';
import { ingestVod, type IngestVodResult } from './ingest-vod.ts';
import { ingestVodWorkflowId, passGpuQueue, type GpuQueueInput } from './names.ts';
import type { TranscribeSettings } from './process-vod.ts';
import { ioLong } from './profiles.ts';

export interface IngestBatchEntry {
  video: string;
  chat: string;
  vod_id?: string;
  vod_start?: string;
  /** Captions to use instead of speech recognition. */
  captions?: string;
}

export interface IngestBatchInput extends GpuQueueInput {
  vods: IngestBatchEntry[];
  /** How many VODs ingest at once (default 2). */
  concurrency?: number;
  /** Transcribe and align each VOD after ingest (default true). */
  process?: boolean;
  transcribe?: TranscribeSettings;
  /** Counts of the runs before this one, carried across continue-as-new; callers leave it out. */
  earlier?: IngestBatchCounts;
  /** What runs before the counts were carried passed on (their whole results); read, never written. */
  previous?: IngestBatchResult;
}

export interface IngestBatchCounts {
  succeeded: number;
  failed: number;
}

export interface IngestBatchResult {
  /** This run's VODs (a batch over `ENTRIES_PER_RUN` lists only its last run's; `totals` counts all). */
  succeeded: IngestVodResult[];
  failed: { vod_id: string | null; video: string; error: string }[];
  /** Every run of the batch together, this one included. */
  totals?: IngestBatchCounts;
}

export interface IngestBatchProgress {
  total: number;
  done: number;
  running: string[];
  failed: number;
}

export const progressQuery = defineQuery<IngestBatchProgress>('progress');

/** Entries handled per run before the batch continues as new, keeping each history bounded. */
export const ENTRIES_PER_RUN = 50;

// Long: without a vod_id the id is read from the recording (a URL without Range support is read whole).
const { identifyVod } = proxyActivities<IngestActivities>(ioLong);

/**
 * Ingests a batch of VODs, one child workflow per VOD (`ingest/<vod_id>`), a few at a time. A VOD
 * that fails is listed with its reason; the others still complete. Every `ENTRIES_PER_RUN` entries the
 * batch continues as new, carrying only the counts so far (`totals`), not the results.
 *
 * Started by users as:
 *   temporal workflow start --type ingestBatch --task-queue dougpt --input '{"vods":[{"video":"…","chat":"…"}]}'
 */
export async function ingestBatch(input: IngestBatchInput): Promise<IngestBatchResult> {
  if (!Array.isArray(input?.vods)) throw ApplicationFailure.nonRetryable('input.vods must be an array of {video, chat}', 'BadInput');
  const earlier: IngestBatchCounts = input.earlier ?? {
    succeeded: input.previous?.succeeded.length ?? 0,
    failed: input.previous?.failed.length ?? 0,
  };
  const result: IngestBatchResult = { succeeded: [], failed: [] };
  const here = input.vods.slice(0, ENTRIES_PER_RUN);
  const rest = input.vods.slice(ENTRIES_PER_RUN);
  const running = new Set<string>();
  const counts = (): IngestBatchCounts => ({
    succeeded: earlier.succeeded + result.succeeded.length,
    failed: earlier.failed + result.failed.length,
  });
  const total = input.vods.length + earlier.succeeded + earlier.failed;
  setHandler(progressQuery, () => ({
    total,
    done: counts().succeeded + counts().failed,
    running: [...running],
    failed: counts().failed,
  }));

  const seen = new Set<string>();
  const runOne = async (entry: IngestBatchEntry): Promise<void> => {
    let vodId: string | null = null;
    try {
      if (typeof entry?.video !== 'string' || typeof entry?.chat !== 'string') {
        throw ApplicationFailure.nonRetryable('each entry needs "video" and "chat" strings', 'BadInput');
      }
      vodId = await identifyVod({ video: entry.video, vod_id: entry.vod_id });
      if (seen.has(vodId)) throw ApplicationFailure.nonRetryable(`vod_id ${vodId} appears twice in this batch`, 'BadInput');
      seen.add(vodId);
      running.add(vodId);
      const child = await executeChild(ingestVod, {
        workflowId: ingestVodWorkflowId(vodId),
        args: [{ vod_id: vodId, video: entry.video, chat: entry.chat, vod_start: entry.vod_start ?? null, process: input.process, transcribe: input.transcribe, captions: entry.captions ?? null, ...passGpuQueue(input) }],
      });
      result.succeeded.push(child);
    } catch (error) {
      result.failed.push({ vod_id: vodId, video: String(entry?.video), error: reasonOf(error) });
    } finally {
      if (vodId) running.delete(vodId);
    }
  };

  const limit = Math.max(1, Math.min(input.concurrency ?? 2, 16));
  const queue = [...here];
  const lanes = Array.from({ length: Math.min(limit, queue.length) }, async () => {
    for (let entry = queue.shift(); entry !== undefined; entry = queue.shift()) await runOne(entry);
  });
  await Promise.all(lanes);

  if (rest.length > 0) {
    // Only counts travel: the next run's input (and history) stays small however long the batch.
    const { previous: _dropped, ...next } = input;
    await continueAsNew<typeof ingestBatch>({ ...next, vods: rest, earlier: counts() });
  }
  return { ...result, totals: counts() };
}

/** The innermost failure message: what the user needs to read. */
function reasonOf(error: unknown): string {
  let current: unknown = error;
  while (current instanceof ChildWorkflowFailure || (current instanceof Error && current.cause instanceof Error && !(current instanceof ApplicationFailure))) {
    current = (current as Error).cause;
  }
  return current instanceof Error ? current.message : String(current);
}
