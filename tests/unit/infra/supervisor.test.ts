import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runningPid, ServiceStartError, startService, stopService, type ServiceSpec } from '../../../infra/supervisor.ts';

const dirs = () => {
  const root = mkdtempSync(join(tmpdir(), 'dougpt-sup-'));
  return { logs: join(root, 'logs'), run: join(root, 'run') };
};

describe('supervisor', () => {
  it('a service that exits at once fails with one line naming it and its log file', async () => {
    const d = dirs();
    const spec: ServiceSpec = {
      name: 'broken',
      command: 'sh',
      args: ['-c', 'echo "bind: address already in use" >&2; exit 3'],
      healthy: async () => false,
      startTimeoutMs: 5_000,
    };
    const error = await startService(spec, d).then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(ServiceStartError);
    const message = (error as Error).message;
    expect(message.split('\n')).toHaveLength(1);
    expect(message).toMatch(/^broken failed to start: the process exited \(log: .*broken\.log\)$/);
    expect(readFileSync(join(d.logs, 'broken.log'), 'utf8')).toContain('address already in use');
  });

  it('starts a detached service, reuses it while healthy, and stops it', async () => {
    const d = dirs();
    let started = false;
    const spec: ServiceSpec = {
      name: 'sleeper',
      command: 'sleep',
      args: ['60'],
      healthy: async () => started && runningPid(d, 'sleeper') !== null,
      startTimeoutMs: 5_000,
    };
    const first = startService(spec, d);
    started = true;
    expect(await first).toBe('started');
    const pid = runningPid(d, 'sleeper');
    expect(pid).not.toBeNull();
    expect(await startService(spec, d)).toBe('reused');
    expect(runningPid(d, 'sleeper')).toBe(pid);
    expect(await stopService('sleeper', d)).toBe(true);
    expect(runningPid(d, 'sleeper')).toBeNull();
    expect(await stopService('sleeper', d)).toBe(false);
  });
});
