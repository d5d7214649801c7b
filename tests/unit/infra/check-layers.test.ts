import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkSources, listImports, resolveTarget } from '../../../infra/layers/check-layers.ts';
import { REPO_ROOT } from '../../../infra/paths.ts';

const rulesBroken = (path: string, text: string): string[] => checkSources([{ path, text }]).map((v) => `${v.rule} ${v.target}`);

describe('listImports', () => {
  it('finds static, type-only, re-exported, dynamic and required imports with their lines', () => {
    const text = [
      "import { a } from './a.ts';",
      "import type { B } from '../b.ts';",
      "import { type C, type D } from './cd.ts';",
      "import { e, type F } from './ef.ts';",
      "export { g } from './g.ts';",
      "export type { H } from './h.ts';",
      "import './effects.ts';",
      "const m = await import('./dynamic.ts');",
      "const r = require('./required.cjs');",
      "let t: import('./typed.ts').T;",
    ].join('\n');
    expect(listImports(text)).toEqual([
      { specifier: './a.ts', line: 1, typeOnly: false },
      { specifier: '../b.ts', line: 2, typeOnly: true },
      { specifier: './cd.ts', line: 3, typeOnly: true },
      { specifier: './ef.ts', line: 4, typeOnly: false },
      { specifier: './g.ts', line: 5, typeOnly: false },
      { specifier: './h.ts', line: 6, typeOnly: true },
      { specifier: './effects.ts', line: 7, typeOnly: false },
      { specifier: './dynamic.ts', line: 8, typeOnly: false },
      { specifier: './required.cjs', line: 9, typeOnly: false },
      { specifier: './typed.ts', line: 10, typeOnly: true },
    ]);
  });

  it('tells project files, packages and Node builtins apart', () => {
    expect(resolveTarget('functions/reply/x.ts', '../../infra/paths.ts')).toEqual({ kind: 'project', path: 'infra/paths.ts' });
    expect(resolveTarget('functions/x.ts', '@temporalio/workflow/lib/x.js')).toEqual({ kind: 'package', name: '@temporalio/workflow' });
    expect(resolveTarget('functions/x.ts', 'zod/v4')).toEqual({ kind: 'package', name: 'zod' });
    expect(resolveTarget('functions/x.ts', 'fs')).toEqual({ kind: 'builtin', name: 'fs' });
    expect(resolveTarget('functions/x.ts', 'node:fs')).toEqual({ kind: 'builtin', name: 'node:fs' });
  });
});

describe('layer rules on planted violations', () => {
  it('workflows: only @temporalio/workflow and workflow files at run time; types from anywhere', () => {
    expect(rulesBroken('workflows/w.ts', "import { proxyActivities } from '@temporalio/workflow';\nimport { X } from './names.ts';")).toEqual([]);
    expect(rulesBroken('workflows/w.ts', "import type { A } from '../functions/activities.ts';\nimport type { Dirent } from 'node:fs';")).toEqual([]);
    expect(rulesBroken('workflows/w.ts', "import { readFile } from 'node:fs';")).toEqual(['workflows-deterministic node:fs']);
    expect(rulesBroken('workflows/w.ts', "import { stageMedia } from '../functions/ingest/stage-media.ts';")).toEqual(['workflows-deterministic functions/ingest/stage-media.ts']);
    expect(rulesBroken('workflows/w.ts', "import { z } from 'zod';")).toEqual(['workflows-deterministic zod']);
  });

  it('functions: never infra, cli or web, not even for types', () => {
    expect(rulesBroken('functions/reply/base-model.ts', "import { REPO_ROOT } from '../../infra/paths.ts';")).toEqual(['functions-below-infra infra/paths.ts']);
    expect(rulesBroken('functions/deps.ts', "import type { StackConfig } from '../infra/config.ts';")).toEqual(['functions-below-infra infra/config.ts']);
    expect(rulesBroken('functions/x.ts', "const w = await import('../web/serve.ts');\nimport { run } from '../cli/main.ts';")).toEqual(['functions-below-infra web/serve.ts', 'functions-below-infra cli/main.ts']);
    expect(rulesBroken('functions/x.ts', "import { REPO_ROOT } from '../common/paths.ts';\nimport { openLake } from '../catalog/lake.ts';")).toEqual([]);
  });

  it('catalog: never functions, infra, cli or web', () => {
    expect(rulesBroken('catalog/write-lake.ts', "import { commitOutcome } from '../infra/verify-commit.ts';")).toEqual(['catalog-at-the-bottom infra/verify-commit.ts']);
    expect(rulesBroken('catalog/x.ts', "export { pairKey } from '../functions/align/pair.ts';")).toEqual(['catalog-at-the-bottom functions/align/pair.ts']);
    expect(rulesBroken('catalog/x.ts', "import type { StackConfig } from '../common/stack-config.ts';")).toEqual([]);
  });

  it('gpu-runner/worker: never functions; common/: nothing of the project', () => {
    expect(rulesBroken('gpu-runner/worker/job-events.ts', "import { TrainRunResult } from '../../functions/train/train-events.ts';")).toEqual(['gpu-worker-generic functions/train/train-events.ts']);
    expect(rulesBroken('common/paths.ts', "import { loadConfig } from '../infra/config.ts';")).toEqual(['common-imports-nothing infra/config.ts']);
    expect(rulesBroken('common/paths.ts', "import { join } from 'node:path';\nimport { z } from 'zod';\nimport { which } from './which.ts';")).toEqual([]);
  });

  it('leaves tests and files outside the checked folders alone', () => {
    expect(rulesBroken('tests/unit/x.test.ts', "import { loadConfig } from '../../infra/config.ts';")).toEqual([]);
  });
});

describe('check-layers command', () => {
  it('exits 1 and names file, line and rule for a violation planted in a repository', () => {
    const root = mkdtempSync(join(tmpdir(), 'dougpt-layers-'));
    try {
      const plant = (path: string, text: string) => {
        mkdirSync(dirname(join(root, path)), { recursive: true });
        writeFileSync(join(root, path), text);
      };
      plant('catalog/lake.ts', "import { join } from 'node:path';\n");
      plant('catalog/bad.ts', "import { join } from 'node:path';\nimport { findTool } from '../infra/tools.ts';\n");
      let status = 0;
      let stderr = '';
      try {
        execFileSync(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'infra/layers/check-layers.ts'), '--root', root], { encoding: 'utf8', stdio: 'pipe', cwd: REPO_ROOT });
      } catch (error) {
        const failed = error as { status: number; stderr: string };
        status = failed.status;
        stderr = failed.stderr;
      }
      expect(status).toBe(1);
      expect(stderr.trim().split('\n')).toEqual([expect.stringMatching(/^catalog\/bad\.ts:2: catalog-at-the-bottom: imports infra\/tools\.ts \(/)]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
