import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { buildContainerCommand, type ContainerOptions } from './container-command.ts';
import { parseJobLine, type ErrorEvent, type JobSchemas } from './job-events.ts';
import { RunnerError } from './runner-error.ts';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const STDERR_TAIL_CHARS = 4000;

/** The Python of the project venv (`.venv/`), `DOUGPT_PYTHON` when set, else `python3` on PATH. */
export function defaultPython(): string {
  const venv = join(REPO_ROOT, '.venv', 'bin', 'python');
  return process.env.DOUGPT_PYTHON ?? (existsSync(venv) ? venv : 'python3');
}

export interface RunJobOptions<P, R> {
  /** The job's name: `python -m dougpt_gpu <job>`. */
  job: string;
  /** How its lines look (functions/gpu-jobs.ts holds each job's). */
  schemas: JobSchemas<P, R>;
  /** The job JSON (for transcribe: a TranscribeJob, see gpu-runner/src/dougpt_gpu/transcribe/job.py). */
  input: Record<string, unknown>;
  signal?: AbortSignal;
  /** Every line that is neither the result nor an error: progress, checkpoints, … */
  onProgress?: (event: P) => void;
  mode: 'process' | 'container';
  /** process mode: argv that runs the package (default `[defaultPython(), '-m', 'dougpt_gpu']`). */
  command?: string[];
  /** container mode: engine, image, mounts (the job file's folder is added). */
  container?: Omit<ContainerOptions, 'name'>;
  /** Milliseconds between SIGTERM and SIGKILL on cancel. */
  killGraceMs?: number;
}

/**
 * Runs one Python job as a child process or a container: writes the job JSON, validates every stdout line,
 * reports progress, returns the result line. Aborting `signal` kills the child.
 *
 * @example
 * const result = await runJob({ job: 'transcribe', schemas: { progress: ProgressEvent, result: TranscribeResult }, input: { audio, out }, mode: 'process' });
 */
export async function runJob<P, R>(options: RunJobOptions<P, R>): Promise<R> {
  const { job, schemas, input, signal, onProgress, mode } = options;
  if (signal?.aborted) throw new RunnerError('cancelled', `${job}: cancelled before start`, { cause: signal.reason });
  const dir = await mkdtemp(join(tmpdir(), `dougpt-${job}-`));
  try {
    const inputPath = join(dir, 'job.json');
    await writeFile(inputPath, JSON.stringify(input));
    let argv: string[];
    if (mode === 'container') {
      if (!options.container) throw new RunnerError('bad-input', `${job}: container mode needs container options`);
      const container = { ...options.container, mounts: [...options.container.mounts, dir] };
      argv = buildContainerCommand({ ...container, name: `dougpt-${job}-${randomUUID().slice(0, 8)}` }, job, inputPath);
    } else {
      argv = [...(options.command ?? [defaultPython(), '-m', 'dougpt_gpu']), job, '--input', inputPath];
    }
    return await runChild(job, schemas, argv, options.killGraceMs ?? 5000, signal, onProgress);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function runChild<P, R>(
  job: string,
  schemas: JobSchemas<P, R>,
  argv: string[],
  killGraceMs: number,
  signal: AbortSignal | undefined,
  onProgress: ((event: P) => void) | undefined,
): Promise<R> {
  const [file, ...args] = argv;
  const child = execa(file!, args, {
    cancelSignal: signal,
    forceKillAfterDelay: killGraceMs,
    reject: false,
    buffer: false,
    stdin: 'ignore',
    // The job ends itself if this process dies (dougpt_gpu/orphan_guard.py).
    env: { PYTHONUNBUFFERED: '1', DOUGPT_RUNNER_PID: String(process.pid) },
  });
  let stderrTail = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderrTail = (stderrTail + chunk.toString('utf8')).slice(-STDERR_TAIL_CHARS);
  });
  let result: R | undefined;
  let errorMessage: string | undefined;
  let protocolError: RunnerError | undefined;
  try {
    for await (const line of child.iterable({ from: 'stdout' })) {
      if (line.trim() === '' || protocolError) continue;
      try {
        const event = parseJobLine(schemas, JSON.parse(line));
        const kind = (event as { event?: unknown }).event;
        if (kind === 'result') result = event as R;
        else if (kind === 'error') errorMessage = (event as ErrorEvent).message;
        else onProgress?.(event as P);
      } catch (cause) {
        // Keep draining stdout so the child never blocks on a full pipe; report after it exits.
        protocolError = new RunnerError('protocol', `${job}: unexpected output line: ${line.slice(0, 200)}`, { cause });
      }
    }
  } catch {
    // The iterable throws when the child is killed or fails; the awaited result below says which.
  }
  const done = await child;
  const tail = stderrTail.trim();
  const lastLine = tail.split('\n').at(-1) ?? '';
  if (done.isCanceled || signal?.aborted) {
    throw new RunnerError('cancelled', `${job}: cancelled`, { exitCode: done.exitCode ?? null, stderrTail: tail, cause: signal?.reason });
  }
  if (protocolError) throw new RunnerError('protocol', protocolError.message, { exitCode: done.exitCode ?? null, stderrTail: tail, cause: protocolError.cause });
  if (done.exitCode === 0 && result) return result;
  const message = errorMessage ?? (lastLine || `exit code ${done.exitCode ?? done.signal ?? 'unknown'}`);
  if (done.exitCode === 0) throw new RunnerError('protocol', `${job}: exited 0 without a result line`, { exitCode: 0, stderrTail: tail });
  const kind = done.exitCode === 2 ? 'bad-input' : 'failed';
  throw new RunnerError(kind, `${job}: ${message}`, { exitCode: done.exitCode ?? null, stderrTail: tail, cause: done.cause });
}
