/**
 * The project's layers as data: which folder may import what. `infra/layers/check-layers.ts` enforces them
 * (`make test` runs it); docs/architecture.md draws them.
 *
 * A target is a project path (`functions/reply/engine.ts`), a package name (`zod`, `@temporalio/workflow`)
 * or a Node builtin (`node:fs`). Type-only imports (`import type`, `export type … from`, `import('x').T`)
 * are erased when the code runs; a rule says whether they count.
 */
export interface LayerRule {
  /** Short name printed with each violation. */
  name: string;
  /** Why the rule exists, in one line. */
  why: string;
  /** Project folder (with trailing slash) whose files the rule applies to. */
  from: string;
  /** True: type-only imports are exempt (they do not exist at run time). */
  typesExempt: boolean;
  /** Returns true when importing `target` from a file under `from` breaks the rule. */
  forbids(target: ImportTarget): boolean;
}

/** Where an import leads. */
export type ImportTarget =
  | { kind: 'project'; path: string }
  | { kind: 'package'; name: string }
  | { kind: 'builtin'; name: string };

/** Top-level folders the checker reads (tests and benchmarks may import anything). */
export const SOURCE_FOLDERS = ['common', 'catalog', 'functions', 'workflows', 'gpu-runner/worker', 'infra', 'cli', 'web'] as const;

const under = (target: ImportTarget, ...folders: string[]): boolean =>
  target.kind === 'project' && folders.some((folder) => target.path.startsWith(folder));

export const LAYER_RULES: readonly LayerRule[] = [
  {
    name: 'workflows-deterministic',
    why: 'workflow code is replayed: at run time it may import only @temporalio/workflow and other workflow files',
    from: 'workflows/',
    typesExempt: true,
    forbids: (target) => !(target.kind === 'package' && target.name === '@temporalio/workflow') && !under(target, 'workflows/'),
  },
  {
    name: 'functions-below-infra',
    why: 'activities run from the CLI, tests and workers alike: they get paths, tools and config through their deps or common/',
    from: 'functions/',
    typesExempt: false,
    forbids: (target) => under(target, 'infra/', 'cli/', 'web/'),
  },
  {
    name: 'catalog-at-the-bottom',
    why: 'the lake layer knows tables and objects, not activities, the stack or its front ends',
    from: 'catalog/',
    typesExempt: false,
    forbids: (target) => under(target, 'functions/', 'infra/', 'cli/', 'web/'),
  },
  {
    name: 'gpu-worker-generic',
    why: 'the runner plumbing spawns any job and knows none by name; jobs and their schemas live in functions/',
    from: 'gpu-runner/worker/',
    typesExempt: false,
    forbids: (target) => under(target, 'functions/', 'infra/', 'cli/', 'web/'),
  },
  {
    name: 'common-imports-nothing',
    why: 'common/ is the bottom: every layer may use it, so it uses no other part of the project',
    from: 'common/',
    typesExempt: false,
    forbids: (target) => target.kind === 'project' && !target.path.startsWith('common/'),
  },
];
