import { getExternalWorkflowHandle, patched, proxyActivities } from '@temporalio/workflow';
import type { IngestActivities } from '../functions/activities.ts';
import type { GpuActivities } from '../infra/gpu-activities.ts';
import type { TrainAdapterInput, TrainAdapterOutput } from '../functions/train/train-adapter.ts';
import type { SaveLakeRunPacingResult } from '../functions/simulate/save-lake-run-pacing.ts';
import { promoteSignal } from './adapter-registry.ts';
import { ADAPTER_REGISTRY_ID, gpuQueueOf, type GpuQueueInput } from './names.ts';
import { gpuTraining, lakeCommit } from './profiles.ts';

export type TrainAdapterResult = TrainAdapterOutput & {
  eval: { eval_id: string; passed: boolean; failures: string[]; report_key: string; eval_key: string } | null;
  /** Whether this workflow asked the registry to promote the run (`promote: "if-gates-pass"` and gates passed). */
  promotion_requested: boolean;
  /** The pacing model stored beside the adapter (`gold/adapters/<run_id>/pacing.json`), or why there is none. */
  pacing?: SaveLakeRunPacingResult;
};

const lake = proxyActivities<IngestActivities>(lakeCommit);

/**
 * `trainAdapter`: train (on the `dougpt-gpu` queue, checkpointing to the lake and resuming on retry),
 * record the run, store the pacing model of the dataset's VODs beside the adapter, evaluate the run
 * against the base and the promoted adapter, record the verdict, and optionally promote it. Plain-JSON input:
 *
 *   temporal workflow start --type trainAdapter --task-queue dougpt \
 *     --input '{"dataset_id":"ds-…","preset":"cpu","promote":"if-gates-pass"}'
 */
export async function trainAdapter(
  input: TrainAdapterInput & GpuQueueInput & { evaluate?: boolean; eval_limit?: number; eval_ranking_candidates?: number },
): Promise<TrainAdapterResult> {
  const gpu = proxyActivities<GpuActivities>({ ...gpuTraining, taskQueue: gpuQueueOf(input) });
  const trained = await gpu.trainAdapter(input);
  await lake.commitTrainingRun({ run_id: trained.run_id, resumed_from_step: trained.resumed_from_step });
  // Histories recorded before the pacing step replay without it.
  const pacing = patched('run-pacing') ? await lake.saveRunPacing({ run_id: trained.run_id, dataset_id: trained.dataset_id }) : undefined;
  let evaluation: TrainAdapterResult['eval'] = null;
  if (input.evaluate !== false) {
    const promoted = await lake.currentPromotedRun({});
    // Blind judgments of the run's earlier evaluations, where `dougpt judge --lake` writes them (histories
    // recorded before this step replay without it).
    const judgments = patched('lake-judgments') ? await lake.stageRunJudgments({ run_id: trained.run_id }) : null;
    const result = await gpu.evaluateRun({
      run_id: trained.run_id,
      dataset_id: trained.dataset_id,
      promoted_run_id: promoted,
      ...(judgments?.key ? { judgments_key: judgments.key } : {}),
      ...(input.eval_limit ? { limit: input.eval_limit } : {}),
      ...(input.eval_ranking_candidates ? { ranking_candidates: input.eval_ranking_candidates } : {}),
    });
    await lake.commitEvalResults({ run_id: trained.run_id, eval_key: result.eval_key, report_key: result.report_key, promoted_run_id: promoted });
    evaluation = { eval_id: result.eval_id, passed: result.passed, failures: result.failures, report_key: result.report_key, eval_key: result.eval_key };
  }
  let promotionRequested = false;
  if (input.promote === 'if-gates-pass' && evaluation?.passed) {
    await getExternalWorkflowHandle(ADAPTER_REGISTRY_ID).signal(promoteSignal, { run_id: trained.run_id, note: 'trainAdapter: gates passed', who: 'trainAdapter' });
    promotionRequested = true;
  }
  return { ...trained, eval: evaluation, promotion_requested: promotionRequested, ...(pacing ? { pacing } : {}) };
}
