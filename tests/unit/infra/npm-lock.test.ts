import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { REPO_ROOT } from '../../../infra/paths.ts';

const Lock = z.object({
  packages: z.record(z.string(), z.object({ dependencies: z.record(z.string(), z.string()).optional(), optionalDependencies: z.record(z.string(), z.string()).optional() })),
});
const lock = Lock.parse(JSON.parse(readFileSync(join(REPO_ROOT, 'package-lock.json'), 'utf8')));

/** Where Node would find `name` from the package at `from`: its own node_modules, then each folder above. */
function resolves(from: string, name: string): boolean {
  let dir = from;
  for (;;) {
    if (lock.packages[`${dir ? `${dir}/` : ''}node_modules/${name}`]) return true;
    if (!dir) return false;
    const cut = dir.lastIndexOf('/node_modules/');
    dir = cut < 0 ? '' : dir.slice(0, cut);
  }
}

/**
 * `npm ci` (what `make setup` runs on a fresh clone) refuses a lock that lacks an entry for any
 * dependency, optional platform packages included, even those it would skip on this system.
 */
describe('package-lock.json', () => {
  it('has an entry for every dependency and optional dependency, so `npm ci` accepts it', () => {
    const missing = Object.entries(lock.packages).flatMap(([path, pkg]) =>
      Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies })
        .filter((name) => !resolves(path, name))
        .map((name) => `${path || '(root)'} -> ${name}`),
    );
    expect(missing).toEqual([]);
  });

  it('is what setup installs, with `npm ci`', () => {
    const setup = readFileSync(join(REPO_ROOT, 'infra', 'setup.sh'), 'utf8');
    expect(setup).toMatch(/\bnpm ci\b/);
    expect(setup).not.toMatch(/\bnpm install\b/);
  });
});
