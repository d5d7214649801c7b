import { join } from 'node:path';
import { execa } from 'execa';
import { loadConfig } from '../../infra/config.ts';
import { REPO_ROOT } from '../../infra/paths.ts';
import { stackEnv } from '../../infra/stack.ts';

/** The stack global-setup.ts started, as seen from a test file. */
export const config = loadConfig();
export const env: NodeJS.ProcessEnv = { ...process.env, ...stackEnv(config) };

/** Runs the real CLI against the test stack. */
export async function dougpt(args: string[], options: { reject?: boolean } = {}) {
  const result = await execa(process.execPath, [join(REPO_ROOT, 'bin', 'dougpt.js'), ...args], {
    env,
    reject: options.reject ?? true,
    cwd: REPO_ROOT,
  });
  return { stdout: String(result.stdout), stderr: String(result.stderr), exitCode: result.exitCode ?? 0 };
}

/** Runs the Temporal CLI exactly as a user would, against the test stack. */
export async function temporal(args: string[]) {
  const result = await execa('temporal', [...args, '--address', config.temporalAddress], { env });
  return String(result.stdout);
}

/** Rows of a read-only lake query, through `dougpt sql --json`. */
export async function sqlRows(query: string): Promise<Record<string, unknown>[]> {
  const { stdout } = await dougpt(['sql', query, '--json']);
  return JSON.parse(stdout) as Record<string, unknown>[];
}
