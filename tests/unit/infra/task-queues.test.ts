import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../infra/config.ts';
import { workerRole } from '../../../infra/worker.ts';
import { GPU_TASK_QUEUE, gpuQueueOf, passGpuQueue, TASK_QUEUE, withGpuQueue } from '../../../workflows/names.ts';

const home = mkdtempSync(join(tmpdir(), 'dougpt-queues-'));
const load = (env: Record<string, string> = {}) => loadConfig({ DOUGPT_HOME: home, ...env });

describe('task queues from the environment', () => {
  it('default to dougpt and dougpt-gpu, and follow DOUGPT_TASK_QUEUE / DOUGPT_GPU_TASK_QUEUE', () => {
    expect([load().taskQueue, load().gpuTaskQueue]).toEqual([TASK_QUEUE, GPU_TASK_QUEUE]);
    const config = load({ DOUGPT_TASK_QUEUE: 'lab-a', DOUGPT_GPU_TASK_QUEUE: 'lab-a.gpu' });
    expect([config.taskQueue, config.gpuTaskQueue]).toEqual(['lab-a', 'lab-a.gpu']);
  });

  it('reject a bad name, or one queue for both workers, in one line naming the variable', () => {
    expect(() => load({ DOUGPT_TASK_QUEUE: 'has space' })).toThrow(new ConfigError('DOUGPT_TASK_QUEUE', 'expected a task queue name (letters, digits, . _ -) (got "has space")'));
    expect(() => load({ DOUGPT_TASK_QUEUE: 'q', DOUGPT_GPU_TASK_QUEUE: 'q' })).toThrow(/^DOUGPT_GPU_TASK_QUEUE: must differ from DOUGPT_TASK_QUEUE/);
  });

  it('a worker is chosen by its role or its configured queue; others are refused', () => {
    const config = load({ DOUGPT_GPU_TASK_QUEUE: 'gpu-b' });
    expect([workerRole(config, 'dougpt'), workerRole(config, 'dougpt-gpu'), workerRole(config, 'gpu-b')]).toEqual([TASK_QUEUE, GPU_TASK_QUEUE, GPU_TASK_QUEUE]);
    expect(() => workerRole(config, 'elsewhere')).toThrow('unknown task queue elsewhere (use dougpt or gpu-b)');
  });
});

describe('the GPU queue in workflow inputs', () => {
  it('is added only where it is not the default, so default inputs and their hashed ids stay the same', () => {
    const input = { vods: [] };
    expect(withGpuQueue(input, GPU_TASK_QUEUE)).toBe(input);
    expect(withGpuQueue(input, 'gpu-b')).toEqual({ vods: [], gpu_queue: 'gpu-b' });
  });

  it('is read with the default as fallback and passed on to children only when set', () => {
    expect([gpuQueueOf(undefined), gpuQueueOf({}), gpuQueueOf({ gpu_queue: null }), gpuQueueOf({ gpu_queue: 'gpu-b' })]).toEqual([GPU_TASK_QUEUE, GPU_TASK_QUEUE, GPU_TASK_QUEUE, 'gpu-b']);
    expect([passGpuQueue({}), passGpuQueue({ gpu_queue: 'gpu-b' })]).toEqual([{}, { gpu_queue: 'gpu-b' }]);
  });
});
