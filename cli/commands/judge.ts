import { userInfo } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { CatalogError } from '../../catalog/catalog-error.ts';
import { openLake } from '../../catalog/lake.ts';
import { EvalFolderError, loadEvalFolder } from '../../functions/judge/eval-folder.ts';
import { readJudgments } from '../../functions/judge/judgments.ts';
import { summariseJudgments } from '../../functions/judge/summarise-judgments.ts';
import { loadConfig } from '../../infra/config.ts';
import { startJudgeServer } from '../../web/judge/judge-server.ts';
import { UserError } from '../errors.ts';
import { printJson } from '../output.ts';
import { openBrowser, untilInterrupted } from '../serving.ts';

interface JudgeFlags {
  port: string;
  host: string;
  sample: string;
  reviewer?: string;
  lake?: boolean;
  summary?: boolean;
  open: boolean;
  json?: boolean;
}

function intFlag(name: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new UserError(`${name}: not a whole number in ${min}..${max}: ${value}`, 2);
  return n;
}

const share = (x: number | null, digits: number) => (x === null ? '–' : x.toFixed(digits));

async function printSummary(dir: string, json: boolean | undefined): Promise<void> {
  const folder = await loadEvalFolder(dir);
  const mine = (await readJudgments(folder.judgmentsPath)).filter((j) => j.eval_id === folder.info.eval_id);
  const summary = { eval_id: folder.info.eval_id, ...summariseJudgments(mine) };
  if (json) printJson(summary);
  else process.stdout.write(`${summary.eval_id}: ${summary.judged} judged, real reply picked ${share(summary.correct_share, 3)} (0.5 is chance), generated replies rated ${share(summary.mean_rating, 2)} of 5\n`);
}

/** `dougpt judge <eval_dir>`: blind human spot checks of an evaluation's generated replies. */
export function registerJudgeCommand(program: Command): void {
  program
    .command('judge')
    .description('blind spot checks of an evaluation in the browser: pick the real reply, rate the generated one (saved to <eval_dir>/judgments.jsonl)')
    .argument('<eval_dir>', 'evaluation folder written by dougpt eval (<run>/eval/<eval_id>/)')
    .option('--port <n>', 'port to serve on (0: any free port)', '0')
    .option('--host <addr>', 'address to listen on', '127.0.0.1')
    .option('--sample <n>', 'items to judge, drawn deterministically from samples.jsonl', '30')
    .option('--reviewer <name>', 'name saved with each judgment (default: $USER)')
    .option('--lake', 'also write judgments to gold.eval_judgments (the local stack must be up)')
    .option('--summary', 'print {judged, correct_share, mean_rating} of judgments.jsonl and exit')
    .option('--no-open', 'do not open a browser')
    .option('--json', 'print JSON on stdout')
    .action(async (dir: string, flags: JudgeFlags) => {
      try {
        if (flags.summary) {
          await printSummary(dir, flags.json);
          return;
        }
        const port = intFlag('--port', flags.port, 0, 65_535);
        const sample = intFlag('--sample', flags.sample, 1, 100_000);
        const reviewer = (flags.reviewer ?? process.env.USER ?? userInfo().username).trim();
        if (!reviewer) throw new UserError('--reviewer: empty (and $USER is not set)', 2);
        const config = flags.lake ? loadConfig() : null;
        const lake = config
          ? { config, openLake: () => openLake(config), workDir: join(config.paths.work, 'judge', reviewer.replace(/[^A-Za-z0-9._-]/g, '_')) }
          : undefined;
        const judge = await startJudgeServer({ dir, reviewer, sample, host: flags.host, port, lake });
        if (flags.json) printJson({ url: judge.url, eval_id: judge.eval_id, items: judge.items, synced: judge.synced });
        else {
          process.stdout.write(`${judge.url}\n`);
          process.stderr.write(`judge: ${judge.eval_id}, ${judge.items} items, as ${reviewer}${lake ? ` (to the lake too; ${judge.synced} earlier judgments added)` : ''}; Ctrl-C to stop\n`);
        }
        if (flags.open) await openBrowser(judge.url, 'judge');
        await untilInterrupted();
        await judge.close();
      } catch (error) {
        if (error instanceof EvalFolderError) throw new UserError(error.message, 2);
        if (error instanceof CatalogError && error.kind === 'unreachable') throw new UserError(`${error.message} (is the stack up? run \`dougpt up\`)`);
        const code = (error as { code?: string } | null)?.code;
        if (code === 'EADDRINUSE') throw new UserError(`--port ${flags.port}: already in use on ${flags.host} (pass --port 0 for any free port)`, 2);
        if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') throw new UserError(`--host ${flags.host}: not an address of this machine`, 2);
        throw error;
      }
    });
}
