import type { Command } from 'commander';
import { loadConfig } from '../../infra/config.ts';
import { GPU_TASK_QUEUE, TASK_QUEUE } from '../../workflows/names.ts';

/** `dougpt worker [--queue …]`: a Temporal worker in the foreground (`dougpt up` starts them detached). */
export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description('run a Temporal worker in the foreground until interrupted')
    .option('--queue <name>', `which worker: ${TASK_QUEUE} (workflows, lake) or ${GPU_TASK_QUEUE} (Python jobs); each polls DOUGPT_TASK_QUEUE / DOUGPT_GPU_TASK_QUEUE where set`, TASK_QUEUE)
    .action(async (options: { queue: string }) => {
      // Imported on use: the worker pulls in every activity, which `--help` should not pay for.
      const { runWorker } = await import('../../infra/worker.ts');
      await runWorker(loadConfig(), options.queue);
    });
}
