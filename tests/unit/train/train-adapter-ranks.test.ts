import { execFileSync } from 'node:child_process';
import { copyFile, mkdtemp, readdir, readFile } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ObjectStore } from '../../../catalog/object-store.ts';
import { datasetPrefix } from '../../../functions/dataset/build-lake-dataset.ts';
import { defaultPython } from '../../../gpu-runner/worker/run-job.ts';
import { createGpuActivities } from '../../../infra/gpu-activities.ts';

const REPO = join(import.meta.dirname, '../../..');

/** An object store over local files: keys map to the paths they were put from. */
function fileStore(files: Map<string, string>): ObjectStore {
  return {
    bucket: 'test',
    ensureBucket: async () => {},
    exists: async (key) => files.has(key),
    putFileOnce: async (key, path) => {
      if (files.has(key)) return false;
      files.set(key, path);
      return true;
    },
    listMultipartUploads: async () => [],
    getToFile: async (key, path) => copyFile(files.get(key)!, path),
    remove: async (key) => void files.delete(key),
    listKeys: async (prefix) => [...files.keys()].filter((k) => k.startsWith(prefix)).sort(),
    uri: (key) => `file://${key}`,
  };
}

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    out.push(...(entry.isDirectory() ? await walk(path) : [path]));
  }
  return out;
}

/** Live (not zombie) processes below `pid` in the process table, with their command lines. */
function descendants(pid: number): Map<number, string> {
  const parent = new Map<number, number>();
  for (const name of execFileSync('ls', ['/proc'], { encoding: 'utf8' }).split('\n')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (state !== 'Z') parent.set(Number(name), Number(ppid));
    } catch {
      // The process ended while the table was read.
    }
  }
  const found = new Map<number, string>();
  let frontier = [pid];
  while (frontier.length) {
    frontier = [...parent].filter(([child, p]) => frontier.includes(p) && !found.has(child)).map(([child]) => child);
    for (const child of frontier) {
      let cmd = '';
      try {
        cmd = readFileSync(`/proc/${child}/cmdline`, 'utf8').replaceAll('\0', ' ');
      } catch {
        // Ended meanwhile.
      }
      found.set(child, cmd);
    }
  }
  return found;
}

function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0] !== 'Z';
  } catch {
    return false;
  }
}

describe('trainAdapter activity with 2 data-parallel ranks (gloo, tiny random Qwen2)', () => {
  let root = '';
  let datasetId = '';
  const files = new Map<string, string>();

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'train-ranks-'));
    const make = [
      'import sys; from pathlib import Path',
      'from train_fixtures import make_dataset, tiny_base',
      'tiny_base(Path(sys.argv[1]) / "base"); make_dataset(Path(sys.argv[1]) / "ds", rows=16, validation=2, test=2)',
    ].join('\n');
    const pythonPath = [join(REPO, 'gpu-runner/tests'), process.env.PYTHONPATH].filter(Boolean).join(':');
    execFileSync(defaultPython(), ['-c', make, root], { env: { ...process.env, PYTHONPATH: pythonPath }, stdio: 'ignore' });
    datasetId = JSON.parse(await readFile(join(root, 'ds', 'dataset.json'), 'utf8')).dataset_id;
    for (const path of await walk(join(root, 'ds'))) files.set(`${datasetPrefix(datasetId)}${relative(join(root, 'ds'), path)}`, path);
  }, 120_000);

  it("heartbeats rank 0's progress, one beat per step, and a cancel leaves no rank in the process table", async () => {
    const { trainAdapter } = createGpuActivities({ store: fileStore(files), workDir: join(root, 'work') });
    const env = new MockActivityEnvironment();
    const beats: Array<Record<string, unknown>> = [];
    env.on('heartbeat', (d: Record<string, unknown>) => beats.push(d));
    const running$ = env.run(trainAdapter, {
      dataset_id: datasetId,
      preset: 'cpu-smoke' as const,
      base_model: join(root, 'base'),
      processes: 2,
      overrides: { threads: 1, optim: { max_steps: 1000, warmup_steps: 1 }, batch: { batch_size: 4, max_length: 192 }, checkpoint: { every_steps: 0 } },
    });
    const outcome = running$.then(
      () => 'finished',
      (error: unknown) => error,
    );
    await expect.poll(() => beats.filter((b) => 'loss' in b).length, { timeout: 150_000, interval: 500 }).toBeGreaterThanOrEqual(3);
    const tree = descendants(process.pid);
    const jobs = [...tree].filter(([, cmd]) => cmd.includes('dougpt_gpu') || cmd.includes('torch.distributed.run'));
    // The launcher, torchrun, and the two ranks.
    expect(jobs.filter(([, cmd]) => cmd.includes('-m dougpt_gpu train')).length, JSON.stringify(jobs)).toBeGreaterThanOrEqual(3);
    expect(jobs.some(([, cmd]) => cmd.includes('torch.distributed.run --nproc-per-node=2'))).toBe(true);

    env.cancel('CANCELLED');
    expect(await outcome).not.toBe('finished');
    await expect.poll(() => jobs.filter(([pid]) => running(pid)).map(([pid]) => pid), { timeout: 20_000, interval: 250 }).toEqual([]);

    // Rank 0 alone reports: the progress beats count the steps once each (1, 2, 3, …), not once per rank.
    // A keep-alive beat between steps repeats the last progress byte for byte: those are not counted (another
    // rank's report of the same step would carry its own loss and time).
    const progress = beats.filter((b) => 'loss' in b).filter((b, i, all) => i === 0 || JSON.stringify(b) !== JSON.stringify(all[i - 1]));
    const steps = progress.map((b) => b.step);
    expect(steps).toEqual(steps.map((_, i) => i + 1));
    expect(existsSync(join(root, 'work'))).toBe(true);
  }, 240_000);
});
