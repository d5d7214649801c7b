import { proxyActivities } from '@temporalio/workflow';
import type { IngestActivities } from '../functions/activities.ts';
import type { SimulationActivities } from '../functions/simulate/simulation-activities.ts';
import type { SimulateChatInput, SimulationResult } from '../functions/simulate/simulate-vod.ts';
import { gpuQueueOf } from './names.ts';
import { gpuJob, lakeCommit } from './profiles.ts';

const lake = proxyActivities<IngestActivities>(lakeCommit);

export type SimulateChatResult = SimulationResult & { prefix: string; pacing_source: string; asr_run_id: string };

/**
 * `simulateChat`: generated chat over a VOD's newest transcript, written to `gold/simulations/<sim_id>/`
 * (`chat.json` TwitchDownloader, `records.jsonl` canonical records, `simulation.json` summary).
 * Plain-JSON input:
 *
 *   temporal workflow start --type simulateChat --task-queue dougpt \
 *     --input '{"vod_id":"1987654321","run_id":null,"rate_scale":1,"seed":1}'
 *
 * `sim_id` hashes the input (all but `gpu_queue`), the transcript run and the pacing model, so a
 * repeat finds the finished simulation and writes nothing. `gpu_queue` (left out: `dougpt-gpu`)
 * names the queue of model jobs, as for `processVod` and `trainAdapter`.
 */
export async function simulateChat(input: SimulateChatInput): Promise<SimulateChatResult> {
  // The reply engine takes the CPU (or GPU) for minutes: it runs on the queue of model jobs, one at a time.
  const model = proxyActivities<SimulationActivities>({ ...gpuJob, heartbeatTimeout: '1 minute', taskQueue: gpuQueueOf(input) });
  const staged = await lake.stageSimulation(input);
  const result = await model.runSimulation({ ...input, sim_id: staged.sim_id, transcript_key: staged.transcript_key, pacing_key: staged.pacing_key });
  return { ...result, prefix: staged.prefix, pacing_source: staged.pacing_source, asr_run_id: staged.asr_run_id };
}
