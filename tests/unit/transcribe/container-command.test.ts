import { describe, expect, it } from 'vitest';
import { buildContainerCommand } from '../../../gpu-runner/worker/container-command.ts';

describe('buildContainerCommand', () => {
  const base = { image: 'dougpt-gpu:0.1.0', mounts: ['/work/out', '/data', '/data'], name: 'dougpt-transcribe-1' };

  it('docker: --gpus all, each folder mounted once at its own path, the job after the image', () => {
    expect(buildContainerCommand({ ...base, engine: 'docker', gpus: 'all', user: '1000:1000' }, 'transcribe', '/tmp/j/job.json')).toEqual([
      'docker', 'run', '--rm', '--init', '--name', 'dougpt-transcribe-1', '--gpus', 'all', '--user', '1000:1000',
      '-v', '/data:/data', '-v', '/work/out:/work/out', 'dougpt-gpu:0.1.0', 'transcribe', '--input', '/tmp/j/job.json',
    ]);
  });

  it('podman reaches the GPU through CDI; CPU-only containers get no GPU flag', () => {
    const podman = buildContainerCommand({ ...base, engine: 'podman', gpus: 'all' }, 'transcribe', '/tmp/job.json');
    expect(podman.slice(0, 8)).toEqual(['podman', 'run', '--rm', '--init', '--name', 'dougpt-transcribe-1', '--device', 'nvidia.com/gpu=all']);
    const cpu = buildContainerCommand({ ...base, engine: 'docker', gpus: 'none' }, 'transcribe', '/tmp/job.json');
    expect(cpu).not.toContain('--gpus');
  });

  it('refuses relative mounts', () => {
    expect(() => buildContainerCommand({ ...base, mounts: ['data'], engine: 'docker', gpus: 'all' }, 'transcribe', '/j.json')).toThrow(/absolute/);
  });
});
