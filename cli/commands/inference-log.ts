import { join } from 'node:path';
import type { Command } from 'commander';
import { UserError } from '../errors.ts';
import { printJson } from '../output.ts';

/** `dougpt inference-log flush`: the reply server's buffered log into `gold.inference_log`. */
export function registerInferenceLogCommand(program: Command): void {
  const log = program.command('inference-log').description("the reply server's inference log");
  log
    .command('flush')
    .description('move buffered records (<state dir>/inference-log/*.jsonl) into gold.inference_log; safe to repeat')
    .option('--dir <dir>', 'buffer folder (default: <state dir>/inference-log)')
    .option('--json', 'print counts as JSON')
    .action(async (flags: { dir?: string; json?: boolean }) => {
      const [{ loadConfig }, { lakeDeps }, { flushInferenceLog }] = await Promise.all([
        import('../../infra/config.ts'),
        import('../../infra/worker.ts'),
        import('../../functions/inference/flush-inference-log.ts'),
      ]);
      const config = loadConfig();
      const dir = flags.dir ?? join(config.paths.home, 'inference-log');
      const result = await flushInferenceLog(dir, lakeDeps(config)).catch((error: unknown) => {
        throw new UserError(`inference log: cannot reach the lake (${(error as Error).message.split('\n')[0]}); the buffer in ${dir} is kept`);
      });
      if (flags.json) return printJson(result);
      process.stdout.write(`${result.rows_written} new row(s) in gold.inference_log from ${result.records} record(s) in ${result.files} file(s)${result.invalid ? `; ${result.invalid} unreadable line(s) kept` : ''}\n`);
    });
}
