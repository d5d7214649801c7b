import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** How to run and check one long-lived local service. */
export interface ServiceSpec {
  name: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Resolves true when the service answers; never throws. */
  healthy: () => Promise<boolean>;
  /** How long `start` waits for health before giving up. */
  startTimeoutMs: number;
}

export interface ServiceDirs {
  logs: string;
  run: string;
}

export class ServiceStartError extends Error {
  constructor(
    readonly service: string,
    readonly logFile: string,
    reason: string,
  ) {
    super(`${service} failed to start: ${reason} (log: ${logFile})`);
    this.name = 'ServiceStartError';
  }
}

export const logFileOf = (dirs: ServiceDirs, name: string): string => join(dirs.logs, `${name}.log`);
const pidFileOf = (dirs: ServiceDirs, name: string): string => join(dirs.run, `${name}.pid`);

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The pid recorded for a service, if that process still lives. */
export function runningPid(dirs: ServiceDirs, name: string): number | null {
  const file = pidFileOf(dirs, name);
  if (!existsSync(file)) return null;
  const pid = Number(readFileSync(file, 'utf8').trim());
  return Number.isInteger(pid) && pid > 0 && isAlive(pid) ? pid : null;
}

/** Polls `check` until it resolves true or `timeoutMs` passes. */
export async function waitFor(check: () => Promise<boolean>, timeoutMs: number, stillRunning = () => true): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    if (!stillRunning()) return false;
    await sleep(250);
  }
  return check();
}

/**
 * Starts a service detached from this process (it outlives the CLI), unless it already answers.
 * Output goes to `<logs>/<name>.log`, the pid to `<run>/<name>.pid`.
 *
 * @example
 * await startService(minioSpec(config), { logs, run }); // 'started' | 'reused'
 */
export async function startService(spec: ServiceSpec, dirs: ServiceDirs): Promise<'started' | 'reused'> {
  if (await spec.healthy()) return 'reused';
  mkdirSync(dirs.logs, { recursive: true });
  mkdirSync(dirs.run, { recursive: true });
  const logFile = logFileOf(dirs, spec.name);
  const stale = runningPid(dirs, spec.name);
  if (stale !== null) {
    // A process we started earlier is alive but not answering: give it its start window, then replace it.
    if (await waitFor(spec.healthy, spec.startTimeoutMs)) return 'reused';
    await stopPid(stale);
  }
  const fd = openSync(logFile, 'a');
  let exited = false;
  try {
    const child = spawn(spec.command, spec.args, {
      cwd: spec.cwd,
      env: { ...process.env, ...spec.env },
      detached: true,
      stdio: ['ignore', fd, fd],
    });
    child.on('exit', () => {
      exited = true;
    });
    child.on('error', () => {
      exited = true;
    });
    if (child.pid === undefined) throw new ServiceStartError(spec.name, logFile, `could not run ${spec.command}`);
    writeFileSync(pidFileOf(dirs, spec.name), `${child.pid}\n`);
    child.unref();
  } finally {
    closeSync(fd);
  }
  const ok = await waitFor(spec.healthy, spec.startTimeoutMs, () => !exited);
  if (!ok) {
    throw new ServiceStartError(
      spec.name,
      logFile,
      exited ? 'the process exited' : `no answer within ${Math.round(spec.startTimeoutMs / 1000)} s`,
    );
  }
  return 'started';
}

async function stopPid(pid: number, graceMs = 10_000): Promise<void> {
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      // Negative pid: the whole process group, so a service's own children stop with it.
      process.kill(-pid, signal);
    } catch {
      try {
        process.kill(pid, signal);
      } catch {
        /* already gone */
      }
    }
  };
  signalGroup('SIGTERM');
  if (await waitFor(async () => !isAlive(pid), graceMs)) return;
  signalGroup('SIGKILL');
  await waitFor(async () => !isAlive(pid), 5_000);
}

/** Stops a service started by `startService`; returns whether one was running. */
export async function stopService(name: string, dirs: ServiceDirs): Promise<boolean> {
  const pid = runningPid(dirs, name);
  rmSync(pidFileOf(dirs, name), { force: true });
  if (pid === null) return false;
  await stopPid(pid);
  return true;
}

/** GET `url` and report whether it answered with a status below 500 in time. */
export async function httpAnswers(url: string, timeoutMs = 2_000): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    await response.body?.cancel();
    return response.status < 500;
  } catch {
    return false;
  }
}
