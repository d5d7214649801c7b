import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GenerateSampleOutput } from '../../../functions/sample/generate-sample.ts';

const cli = fileURLToPath(new URL('../../../bin/dougpt.js', import.meta.url));
const haveTools = [['ffmpeg', '-version'], ['espeak-ng', '--version']].every(
  ([tool, flag]) => spawnSync(tool as string, [flag as string]).status === 0,
);

describe('dougpt sample', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dougpt-sample-cli-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it.each([
    [['--duration-s', 'abc'], /--duration-s abc/],
    [['--lag-schedule', '5:3'], /--lag-schedule "5:3": lag schedule must start at 0/],
    [['--lag-s', '3', '--lag-schedule', '0:3'], /give one of them/],
  ])('rejects %j with exit code 2 and one line', async (args, message) => {
    const result = await execa('node', [cli, 'sample', '--out', dir, ...args], { reject: false });
    expect(result.exitCode).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(message);
  });

  it.skipIf(!haveTools)('writes the four files and prints a JSON summary', async () => {
    const result = await execa('node', [cli, 'sample', '--out', dir, '--seed', '4', '--duration-s', '8', '--whole-second-offsets', '--json']);
    const out = GenerateSampleOutput.parse(JSON.parse(result.stdout));
    expect(out.duration_ms).toBe(8000);
    expect(out.whole_second_offsets).toBe(true);
    expect(out.lag_schedule).toEqual([{ from_ms: 0, lag_ms: 5000 }]);
    for (const path of Object.values(out.files)) expect((await stat(path)).size).toBeGreaterThan(0);
  }, 60_000);
});
