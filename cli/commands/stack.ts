import type { Command } from 'commander';
import { loadConfig } from '../../infra/config.ts';
import { down, stackEnv, status, up, type StackStatus } from '../../infra/stack.ts';
import { printJson } from '../output.ts';

function printStatus(result: StackStatus): void {
  for (const service of result.services) {
    const where = service.url ?? service.queue ?? '';
    const ui = service.ui_url ? ` (UI ${service.ui_url})` : '';
    process.stdout.write(`${service.healthy ? 'up  ' : 'down'}  ${service.name.padEnd(10)} ${where}${ui}\n`);
  }
  process.stdout.write(`state: ${result.home}\n`);
}

const shellQuote = (value: string): string => `'${value.replaceAll("'", `'\\''`)}'`;

/** `dougpt up | down | status | env`: the local stack. */
export function registerStackCommands(program: Command): void {
  program
    .command('up')
    .description('start the local stack (MinIO, Iceberg REST catalog, Temporal + Web UI, workers); reuses what runs')
    .option('--no-workers', 'start the services but no workers')
    .option('--json', 'print the resulting status as JSON')
    .action(async (options: { workers: boolean; json?: boolean }) => {
      const config = loadConfig();
      const result = await up(config, {
        workers: options.workers,
        onEvent: (service, state) => process.stderr.write(`${service}: ${state}\n`),
      });
      if (options.json) printJson(result);
      else printStatus(result);
    });

  program
    .command('down')
    .description('stop every service `dougpt up` started (data stays in the state directory)')
    .option('--json', 'print what was stopped as JSON')
    .action(async (options: { json?: boolean }) => {
      const stopped = await down(loadConfig());
      if (options.json) printJson({ stopped });
      else process.stdout.write(stopped.length ? `stopped: ${stopped.join(', ')}\n` : 'nothing was running\n');
    });

  program
    .command('status')
    .description('health of each local service; exits 1 when one is down')
    .option('--json', 'print as JSON')
    .action(async (options: { json?: boolean }) => {
      const result = await status(loadConfig());
      if (options.json) printJson(result);
      else printStatus(result);
      if (result.services.some((s) => !s.healthy)) process.exitCode = 1;
    });

  program
    .command('env')
    .description('shell exports that let any tool reach the lake and Temporal: eval "$(dougpt env)"')
    .option('--json', 'print as one JSON object')
    .action((options: { json?: boolean }) => {
      const env = stackEnv(loadConfig());
      if (options.json) printJson(env);
      else for (const [key, value] of Object.entries(env)) process.stdout.write(`export ${key}=${shellQuote(value)}\n`);
    });
}
