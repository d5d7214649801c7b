import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { CatalogError } from '../../catalog/catalog-error.ts';
import { ReviewSetError } from '../../functions/review/load-review-set.ts';
import { loadConfig } from '../../infra/config.ts';
import { startQaServer } from '../../web/qa/qa-server.ts';
import { UserError } from '../errors.ts';
import { printJson } from '../output.ts';
import { openBrowser, untilInterrupted } from '../serving.ts';

interface QaFlags {
  port: string;
  host: string;
  sample: string;
  alignId?: string;
  reviewer?: string;
  open: boolean;
  json?: boolean;
}

function intFlag(name: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new UserError(`${name}: not a whole number in ${min}..${max}: ${value}`, 2);
  return n;
}

/** `dougpt qa <vod_id>`: serves the review page for a sample of the VOD's aligned pairs. */
export function registerQaCommand(program: Command): void {
  program
    .command('qa')
    .description('review a sample of a VOD\'s aligned pairs in the browser (accept/reject saved to gold.pair_reviews)')
    .argument('<vod_id>', 'the VOD to review')
    .option('--port <n>', 'port to serve on (0: any free port)', '0')
    .option('--host <addr>', 'address to listen on', '127.0.0.1')
    .option('--sample <n>', 'pairs to sample, stratified by tier (as many rejected messages, by reason)', '200')
    .option('--align-id <id>', 'alignment to review (default: the VOD\'s newest)')
    .option('--reviewer <name>', 'name saved with each review (default: $USER)')
    .option('--no-open', 'do not open a browser')
    .option('--json', 'print {"url": …} on stdout')
    .action(async (vodId: string, flags: QaFlags) => {
      const port = intFlag('--port', flags.port, 0, 65_535);
      const sample = intFlag('--sample', flags.sample, 1, 100_000);
      const reviewer = (flags.reviewer ?? process.env.USER ?? userInfo().username).trim();
      if (!reviewer) throw new UserError('--reviewer: empty (and $USER is not set)', 2);
      if (!flags.json) process.stderr.write(`qa: loading a sample of ${vodId} …\n`);
      const qa = await startQaServer(loadConfig(), { vod_id: vodId, align_id: flags.alignId, sample, host: flags.host, port, reviewer }).catch((error: unknown) => {
        if (error instanceof ReviewSetError) throw new UserError(error.message, 2);
        if (error instanceof CatalogError && error.kind === 'unreachable') throw new UserError(`${error.message} (is the stack up? run \`dougpt up\`)`);
        const code = (error as { code?: string } | null)?.code;
        if (code === 'EADDRINUSE') throw new UserError(`--port ${port}: already in use on ${flags.host} (pass --port 0 for any free port)`, 2);
        if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') throw new UserError(`--host ${flags.host}: not an address of this machine`, 2);
        throw error;
      });
      if (flags.json) printJson({ url: qa.url, vod_id: qa.vod_id, align_id: qa.align_id, items: qa.items });
      else process.stdout.write(`${qa.url}\n`);
      if (!flags.json) process.stderr.write(`qa: reviewing ${qa.align_id} (${qa.items} items) as ${reviewer}; Ctrl-C to stop\n`);
      if (flags.open) await openBrowser(qa.url, 'qa');
      await untilInterrupted();
      await qa.close();
    });
}
