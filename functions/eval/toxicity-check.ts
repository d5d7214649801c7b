import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createToxicityFilter } from '../reply/guardrails/toxicity.ts';

/**
 * The server's toxicity guardrail as a command the Python evaluator runs, so what the evaluation counts as toxic is
 * exactly what the server refuses: a JSON array of strings on stdin, a JSON array of booleans on stdout.
 *
 * @example
 * execa(...toxicityCheckCommand(), { input: '["hello chat", "kys"]' }) // stdout: [false,true]
 */
export function flagToxic(texts: readonly string[]): boolean[] {
  const filter = createToxicityFilter();
  return texts.map((text) => filter.find(text) !== null);
}

/** argv that runs this file with the project's TypeScript loader (node is the worker's own binary). */
export function toxicityCheckCommand(): string[] {
  return [process.execPath, '--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href, fileURLToPath(import.meta.url)];
}

function main(): void {
  const input: unknown = JSON.parse(readFileSync(0, 'utf8'));
  if (!Array.isArray(input) || !input.every((t) => typeof t === 'string')) {
    process.stderr.write('toxicity-check: stdin must be a JSON array of strings\n');
    process.exit(2);
  }
  process.stdout.write(JSON.stringify(flagToxic(input)));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main();
