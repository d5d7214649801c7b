import type { ObjectStore } from '../../catalog/object-store.ts';
import { asActivity } from '../activities.ts';
import { runSimulation, type RunSimulationInput } from './simulate-vod.ts';

/**
 * The simulation's activity on the `dougpt-gpu` queue. The reply engine (node-llama-cpp) takes the
 * CPU for minutes, like the Python model jobs on that queue, which runs one job at a time: it never
 * starves the lake activities of the `dougpt` worker. It needs only object storage. Heartbeats carry
 * its progress (messages generated); bad input fails for good, as on the `dougpt` queue.
 *
 * @example
 * const worker = await Worker.create({ taskQueue: GPU_TASK_QUEUE, activities: { ...createGpuActivities(d), ...createSimulationActivities(d) } });
 */
export function createSimulationActivities(deps: { store: ObjectStore; workDir: string }) {
  return {
    runSimulation: (input: RunSimulationInput) => asActivity((ctx) => runSimulation(input, deps, ctx)),
  };
}
export type SimulationActivities = ReturnType<typeof createSimulationActivities>;
