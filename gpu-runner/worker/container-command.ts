/** Default image name built from gpu-runner/Dockerfile (`docker build -t dougpt-gpu gpu-runner`). */
export const DEFAULT_GPU_IMAGE = 'dougpt-gpu:0.1.0';

export interface ContainerOptions {
  engine: 'docker' | 'podman';
  image: string;
  /** Host directories the job reads or writes; each is mounted at the same path, so job JSON paths need no rewriting. */
  mounts: string[];
  /** 'all' GPUs or none (CPU-only container). */
  gpus: 'all' | 'none';
  /** Container name, so an operator can find (and kill) it. */
  name: string;
  /** `uid:gid` to run as, so files written into the mounts belong to the caller. */
  user?: string;
}

/**
 * argv of a one-shot container running one job. `--init` forwards the runner's SIGTERM to Python (the CLI
 * proxies signals to the container), `--rm` leaves nothing behind. Podman reaches GPUs through CDI.
 *
 * @example
 * buildContainerCommand({ engine: 'docker', image: 'dougpt-gpu:0.1.0', mounts: ['/data'], gpus: 'all', name: 'dougpt-job-1' },
 *   'transcribe', '/data/job.json')
 * // ['docker', 'run', '--rm', '--init', '--name', 'dougpt-job-1', '--gpus', 'all', '-v', '/data:/data',
 * //  'dougpt-gpu:0.1.0', 'transcribe', '--input', '/data/job.json']
 */
export function buildContainerCommand(options: ContainerOptions, job: string, inputPath: string): string[] {
  const argv = [options.engine, 'run', '--rm', '--init', '--name', options.name];
  if (options.gpus === 'all') {
    argv.push(...(options.engine === 'docker' ? ['--gpus', 'all'] : ['--device', 'nvidia.com/gpu=all']));
  }
  if (options.user) argv.push('--user', options.user);
  for (const dir of [...new Set(options.mounts)].sort()) {
    if (!dir.startsWith('/')) throw new Error(`container mount must be an absolute path: ${dir}`);
    argv.push('-v', `${dir}:${dir}`);
  }
  argv.push(options.image, job, '--input', inputPath);
  return argv;
}
