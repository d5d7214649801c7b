import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { ZodError } from 'zod';
import type { LakeDeps, RunContext } from './deps.ts';
import { commitVod, type CommitVodInput } from './ingest/commit-vod.ts';
import { discardObjects, type DiscardObjectsInput } from './ingest/discard-objects.ts';
import { identifyVod, type IdentifyVodInput } from './ingest/identify-vod.ts';
import { IngestInputError } from './ingest/ingest-error.ts';
import { InjectedFailure } from './ingest/injected-failure.ts';
import { stageChat, type StageChatInput } from './ingest/stage-chat.ts';
import { stageMedia, type StageMediaInput } from './ingest/stage-media.ts';
import { alignVod, type AlignVodInput } from './align/align-vod.ts';
import { lookupAsrRun, type AsrRequest } from './transcribe/asr-run.ts';
import { commitTranscript, type CommitTranscriptInput } from './transcribe/commit-transcript.ts';
import { stageCaptions, type StageCaptionsInput } from './transcribe/stage-captions.ts';
import { DatasetInputError } from './dataset/assemble-dataset.ts';
import { buildLakeDataset, type BuildLakeDatasetInput } from './dataset/build-lake-dataset.ts';
import {
  commitEvalResults, commitTrainingRun, currentPromotedRun, latestEvalVerdict, recordPromotion, trainingRunExists, type PromotionRow,
} from './train/commit-model-rows.ts';
import { stageRunJudgments, type StageRunJudgmentsInput } from './train/stage-run-judgments.ts';
import { TrainInputError } from './train/train-adapter.ts';
import { stageSimulation, type SimulateChatInput } from './simulate/simulate-vod.ts';
import { SimulateInputError } from './simulate/fit-pacing-files.ts';
import { saveLakeRunPacing, type SaveLakeRunPacingInput } from './simulate/save-lake-run-pacing.ts';

/** Failure types the workflows and the Web UI show for inputs that no retry can fix. */
export const BAD_INPUT = 'BadInput';

/**
 * Inputs the user must fix become non-retryable failures naming the input; everything else is
 * rethrown as is, so Temporal retries it under the activity's retry policy.
 */
export function toActivityFailure(error: unknown): unknown {
  if (error instanceof IngestInputError) return ApplicationFailure.nonRetryable(error.message, BAD_INPUT, { kind: error.kind, input: error.input });
  if (error instanceof InjectedFailure) return ApplicationFailure.nonRetryable(error.message, 'InjectedFailure', { point: error.point });
  if (error instanceof TrainInputError) return ApplicationFailure.nonRetryable(error.message, BAD_INPUT, { kind: 'train' });
  if (error instanceof DatasetInputError) return ApplicationFailure.nonRetryable(error.message, BAD_INPUT, { kind: 'dataset' });
  if (error instanceof SimulateInputError) return ApplicationFailure.nonRetryable(error.message, BAD_INPUT, { kind: 'simulate' });
  if (error instanceof ZodError) {
    const issue = error.issues[0];
    return ApplicationFailure.nonRetryable(`invalid input: ${issue?.path.join('.') || '(root)'}: ${issue?.message}`, BAD_INPUT);
  }
  return error;
}

/** How often a running activity tells Temporal its worker is alive, progress or not. */
const ALIVE_INTERVAL_MS = 5_000;

/**
 * Runs a function as an activity: cancellation, heartbeats from its progress, failures mapped.
 * A steady heartbeat also covers steps that report no progress (a long commit), so a killed worker
 * is noticed within the heartbeat timeout instead of the start-to-close timeout.
 */
export async function asActivity<T>(work: (ctx: RunContext) => Promise<T>): Promise<T> {
  const context = Context.current();
  let last: Record<string, unknown> = {};
  const alive = setInterval(() => context.heartbeat(last), ALIVE_INTERVAL_MS);
  try {
    return await work({
      signal: context.cancellationSignal,
      progress: (details) => {
        last = details;
        context.heartbeat(details);
      },
    });
  } catch (error) {
    throw toActivityFailure(error);
  } finally {
    clearInterval(alive);
  }
}

/**
 * The `dougpt` task queue's activities, built once per worker from injected clients.
 *
 * @example
 * const worker = await Worker.create({ activities: createActivities(deps), ... });
 */
export function createActivities(deps: LakeDeps) {
  return {
    identifyVod: (input: IdentifyVodInput): Promise<string> => asActivity((ctx) => identifyVod(input, ctx)),
    stageMedia: (input: StageMediaInput) => asActivity((ctx) => stageMedia(input, deps, ctx)),
    stageChat: (input: StageChatInput) => asActivity((ctx) => stageChat(input, deps, ctx)),
    commitVod: (input: CommitVodInput) => asActivity(() => commitVod(input, deps)),
    discardObjects: (input: DiscardObjectsInput) => asActivity(() => discardObjects(input, deps)),
    lookupAsrRun: (input: AsrRequest) => asActivity(() => lookupAsrRun(input, deps)),
    commitTranscript: (input: CommitTranscriptInput) => asActivity(() => commitTranscript(input, deps)),
    stageCaptions: (input: StageCaptionsInput) => asActivity((ctx) => stageCaptions(input, deps, ctx)),
    alignVod: (input: AlignVodInput) => asActivity((ctx) => alignVod(input, deps, ctx)),
    buildDataset: (input: BuildLakeDatasetInput) => asActivity((ctx) => buildLakeDataset(input, deps, ctx)),
    commitTrainingRun: (input: { run_id: string; resumed_from_step?: number | null }) => asActivity(() => commitTrainingRun(input, deps)),
    commitEvalResults: (input: { run_id: string; eval_key: string; report_key: string; promoted_run_id?: string | null }) => asActivity(() => commitEvalResults(input, deps)),
    latestEvalVerdict: (input: { run_id: string; promoted_run_id?: string | null }) => asActivity(() => latestEvalVerdict(input, deps)),
    trainingRunExists: (input: { run_id: string }) => asActivity(() => trainingRunExists(input, deps)),
    recordPromotion: (input: Omit<PromotionRow, 'registry_id'> & { registry_id?: string }) => asActivity(() => recordPromotion(input, deps)),
    currentPromotedRun: (input: Record<string, never>) => asActivity(() => currentPromotedRun(input, deps)),
    stageRunJudgments: (input: StageRunJudgmentsInput) => asActivity(() => stageRunJudgments(input, deps)),
    stageSimulation: (input: SimulateChatInput) => asActivity((ctx) => stageSimulation(input, deps, ctx)),
    saveRunPacing: (input: SaveLakeRunPacingInput) => asActivity((ctx) => saveLakeRunPacing(input, deps, ctx)),
  };
}
export type IngestActivities = ReturnType<typeof createActivities>;
