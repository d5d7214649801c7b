import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { DEFAULT_MEMORY_OPTIONS, loadMemoryIndex, MemoryIndexError, recall } from '../../functions/memory/memory-index.ts';
import { MEMORY_FILE, writeMemoryIndex } from '../../functions/memory/write-memory-index.ts';
import { loadPromptSpec, renderContext, renderMessages } from '../../functions/prompt/prompt-spec.ts';
import { UserError } from '../errors.ts';
import { printJson } from '../output.ts';

function whole(name: string, value: string | undefined, min: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new UserError(`${name}: not a whole number >= ${min}: ${value}`, 2);
  return n;
}

function datasetIdOf(dir: string): string {
  const path = join(dir, 'dataset.json');
  if (!existsSync(path)) throw new UserError(`${dir}: not a dataset folder (no dataset.json)`, 2);
  const id = (JSON.parse(readFileSync(path, 'utf8')) as { dataset_id?: unknown }).dataset_id;
  if (typeof id !== 'string') throw new UserError(`${path}: no dataset_id`, 2);
  return id;
}

const asUserError = (error: unknown): never => {
  if (error instanceof MemoryIndexError) throw new UserError(error.message, 2);
  if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new UserError(`${(error as NodeJS.ErrnoException).path}: not found`, 2);
  throw error;
};

/** `dougpt memory build|recall`: the voice memory index of a dataset folder, and what it recalls for a context. */
export function registerMemoryCommand(program: Command): void {
  const memory = program.command('memory').description('voice memory: an index of how chat reacted to past moments (docs/memory.md)');
  memory
    .command('build')
    .description("index a dataset folder's train split (dataset builds write <dataset>/memory.json themselves)")
    .requiredOption('--dataset <dir>', 'dataset folder (OUT of dougpt dataset build)')
    .option('--out <file>', `where the index goes (default: <dataset>/${MEMORY_FILE})`)
    .option('--k <n>', `moments recalled per context (default ${DEFAULT_MEMORY_OPTIONS.k})`)
    .option('--exclude-s <s>', `never recall a moment of the query's VOD this close to it (default ${DEFAULT_MEMORY_OPTIONS.excludeMs / 1000})`)
    .option('--json', 'print {rule, file, sha256, entries, out}')
    .action(async (flags: { dataset: string; out?: string; k?: string; excludeS?: string; json?: boolean }) => {
      const datasetId = datasetIdOf(flags.dataset);
      const options = {
        ...DEFAULT_MEMORY_OPTIONS,
        k: whole('--k', flags.k, 1) ?? DEFAULT_MEMORY_OPTIONS.k,
        excludeMs: (whole('--exclude-s', flags.excludeS, 0) ?? DEFAULT_MEMORY_OPTIONS.excludeMs / 1000) * 1000,
      };
      const out = flags.out ?? join(flags.dataset, MEMORY_FILE);
      const summary = await writeMemoryIndex(flags.dataset, datasetId, options, out).catch(asUserError);
      if (flags.json) printJson({ ...summary, out });
      else process.stderr.write(`memory: ${summary.entries} train moments of ${datasetId} → ${out} (sha256 ${summary.sha256.slice(0, 12)})\n`);
    });
  memory
    .command('recall')
    .description('the past moments recalled for a context, and the prompt they make')
    .argument('<context>', "what the streamer just said")
    .requiredOption('--memory <file>', 'memory index (a dataset\'s memory.json)')
    .option('--k <n>', "moments to recall (default: the index's)")
    .option('--vod-id <id>', "the context's VOD: its moments near --offset-ms are never recalled")
    .option('--offset-ms <ms>', 'where on the VOD the context is')
    .option('--json', 'print {recalled, prompt, memory_sha256, ms}')
    .action((context: string, flags: { memory: string; k?: string; vodId?: string; offsetMs?: string; json?: boolean }) => {
      let index;
      try {
        index = loadMemoryIndex(flags.memory);
      } catch (error) {
        return asUserError(error);
      }
      const { spec } = loadPromptSpec();
      const started = performance.now();
      const moments = recall(index, { context: renderContext(spec, context), vod_id: flags.vodId ?? null, offset_ms: whole('--offset-ms', flags.offsetMs, 0) ?? null }, whole('--k', flags.k, 1));
      const ms = performance.now() - started;
      const prompt = renderMessages(spec, context, moments);
      if (flags.json) {
        printJson({ recalled: moments, prompt, memory_sha256: index.sha256, ms });
        return;
      }
      for (const m of moments) process.stdout.write(`${m.score.toFixed(3)}  ${m.vod_id}@${m.offset_ms}  "${m.context.slice(-80)}" → ${m.reply}\n`);
      if (moments.length === 0) process.stdout.write('(nothing recalled)\n');
      process.stdout.write(`\n${prompt[1]!.content}\n`);
    });
}
