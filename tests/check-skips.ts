/**
 * Only a missing GPU may skip a test: this fails a test run that skipped anything else.
 *
 *   npx tsx tests/check-skips.ts vitest .dougpt/test/vitest.json      # vitest's JSON report
 *   npx tsx tests/check-skips.ts pytest -- .venv/bin/python -m pytest -q -rs gpu-runner/tests
 *
 * `vitest` reads the report of `vitest run --reporter=json`: a skipped test gives no reason there, so any
 * skipped (or todo) test counts unless its name says GPU or CUDA. `pytest` runs the command (its output
 * passes through), then reads the `-rs` summary (`SKIPPED [n] file:line: reason`): a skip whose reason
 * does not name a GPU (GPU, CUDA) fails. Exit 0 when every skip is a GPU's, 1 otherwise (the command's
 * own code when it failed).
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';

/** What a skip must name to be allowed. */
export const GPU_REASON = /\b(GPUs?|CUDA)\b/i;

export interface Skip {
  where: string;
  reason: string;
}

/** The skips in pytest's `-rs` short summary whose reason is not a missing GPU. */
export function unexpectedPytestSkips(output: string): Skip[] {
  const skips: Skip[] = [];
  for (const raw of output.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line.startsWith('SKIPPED [')) continue;
    // `path:line: reason`, or `path: reason` for a skip pytest has no line for; anything else is reported whole.
    const m = /^SKIPPED \[\d+\] (.+?(?::\d+)?): (.*)$/.exec(line);
    if (!m) skips.push({ where: '(unparsed)', reason: line });
    else if (!GPU_REASON.test(m[2] as string)) skips.push({ where: m[1] as string, reason: m[2] as string });
  }
  return skips;
}

const VitestReport = z.object({
  numPendingTests: z.number().optional(),
  numTodoTests: z.number().optional(),
  testResults: z.array(
    z.object({
      name: z.string(),
      assertionResults: z.array(z.object({ fullName: z.string(), status: z.string() })),
    }),
  ),
});

/** The skipped or todo tests of a vitest JSON report whose name does not say GPU or CUDA. */
export function unexpectedVitestSkips(report: unknown): Skip[] {
  const parsed = VitestReport.parse(report);
  return parsed.testResults.flatMap((file) =>
    file.assertionResults
      .filter((t) => ['skipped', 'pending', 'todo', 'disabled'].includes(t.status) && !GPU_REASON.test(t.fullName))
      .map((t) => ({ where: file.name, reason: `${t.status}: ${t.fullName}` })),
  );
}

function report(tool: string, skips: Skip[]): number {
  if (skips.length === 0) return 0;
  process.stderr.write(`check-skips: ${skips.length} ${tool} test(s) skipped for another reason than a missing GPU:\n`);
  for (const s of skips) process.stderr.write(`  ${s.where}: ${s.reason}\n`);
  return 1;
}

/** Runs `command`, its output shown as it comes and kept; resolves with its exit code and output. */
function run(command: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command[0] as string, command.slice(1), { stdio: ['inherit', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      process.stdout.write(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => process.stderr.write(chunk));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 1 : 0), output }));
  });
}

/** The command line: returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [tool, ...rest] = argv;
  if (tool === 'vitest' && rest.length === 1) {
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(rest[0] as string, 'utf8'));
    } catch (error) {
      process.stderr.write(`check-skips: ${rest[0]}: cannot read vitest's JSON report (${(error as Error).message})\n`);
      return 2;
    }
    return report('vitest', unexpectedVitestSkips(json));
  }
  if (tool === 'pytest' && rest[0] === '--' && rest.length > 1) {
    const command = rest.slice(1);
    if (!command.includes('-rs') && !command.some((a) => /^-r\w*s/.test(a))) {
      process.stderr.write('check-skips: the pytest command needs -rs (skip reasons in the summary)\n');
      return 2;
    }
    const { code, output } = await run(command);
    if (code !== 0) return code;
    return report('pytest', unexpectedPytestSkips(output));
  }
  process.stderr.write('usage: check-skips.ts vitest REPORT.json | check-skips.ts pytest -- PYTEST COMMAND… (with -rs)\n');
  return 2;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main(process.argv.slice(2)).then((code) => process.exit(code), (error: unknown) => {
    process.stderr.write(`check-skips: ${(error as Error).message}\n`);
    process.exit(1);
  });
}
