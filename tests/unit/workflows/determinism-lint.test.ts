import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../../infra/paths.ts';

/**
 * The lint rule that keeps workflows deterministic: workflow files import values only from
 * `@temporalio/workflow` and other workflow files; anything else (Node builtins, activities, the
 * catalog) may only be imported as types. No clocks or randomness either.
 */
const dir = join(REPO_ROOT, 'workflows');
const files = readdirSync(dir).filter((f) => f.endsWith('.ts'));

function violations(source: string): string[] {
  const found: string[] = [];
  for (const match of source.matchAll(/^\s*import\s+(type\s+)?[^'"]*?from\s+['"]([^'"]+)['"]/gm)) {
    const [, typeOnly, from] = match;
    if (typeOnly || !from) continue;
    if (from === '@temporalio/workflow' || /^\.\/[\w-]+\.ts$/.test(from)) continue;
    found.push(`imports ${from} as a value`);
  }
  for (const match of source.matchAll(/^\s*import\s+['"]([^'"]+)['"]/gm)) found.push(`imports ${match[1]} for effects`);
  if (/\bMath\.random\s*\(/.test(source)) found.push('uses Math.random');
  if (/\b(Date\.now|new Date)\s*\(/.test(source)) found.push('reads the clock');
  if (/\b(setTimeout|setInterval)\s*\(/.test(source)) found.push('uses Node timers (use sleep from @temporalio/workflow)');
  if (/\brequire\s*\(/.test(source)) found.push('uses require');
  return found;
}

describe('workflow determinism lint', () => {
  it('finds workflow files', () => {
    expect(files.length).toBeGreaterThanOrEqual(4);
  });

  it.each(files)('%s imports only @temporalio/workflow, workflow files and types', (file) => {
    expect(violations(readFileSync(join(dir, file), 'utf8'))).toEqual([]);
  });

  it('flags what it is meant to flag', () => {
    expect(violations("import { readFile } from 'node:fs';")).toEqual(['imports node:fs as a value']);
    expect(violations("import { stageMedia } from '../functions/ingest/stage-media.ts';")).toHaveLength(1);
    expect(violations("import type { IngestActivities } from '../functions/activities.ts';")).toEqual([]);
    expect(violations('const t = Date.now();')).toEqual(['reads the clock']);
    expect(violations('const r = Math.random();')).toEqual(['uses Math.random']);
  });
});
