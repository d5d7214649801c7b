import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../../infra/paths.ts';

/**
 * What keeps workflow code deterministic beyond its imports (those are checked by
 * infra/layers/check-layers.ts, rule `workflows-deterministic`): no clocks, randomness, Node timers or require.
 */
const dir = join(REPO_ROOT, 'workflows');
const files = readdirSync(dir).filter((f) => f.endsWith('.ts'));

function violations(source: string): string[] {
  const found: string[] = [];
  if (/\bMath\.random\s*\(/.test(source)) found.push('uses Math.random');
  if (/\b(Date\.now|new Date)\s*\(/.test(source)) found.push('reads the clock');
  if (/\b(setTimeout|setInterval)\s*\(/.test(source)) found.push('uses Node timers (use sleep from @temporalio/workflow)');
  if (/\brequire\s*\(/.test(source)) found.push('uses require');
  return found;
}

describe('workflow determinism lint (clocks, randomness, timers)', () => {
  it('finds workflow files', () => {
    expect(files.length).toBeGreaterThanOrEqual(4);
  });

  it.each(files)('%s reads no clock, randomness or Node timers', (file) => {
    expect(violations(readFileSync(join(dir, file), 'utf8'))).toEqual([]);
  });

  it('flags what it is meant to flag', () => {
    expect(violations('const t = Date.now();')).toEqual(['reads the clock']);
    expect(violations('const r = Math.random();')).toEqual(['uses Math.random']);
  });
});
