import type { StackConfig } from '../common/stack-config.ts';
import type { Lake } from '../catalog/lake.ts';
import type { ObjectStore } from '../catalog/object-store.ts';

/** Clients every lake-writing function receives; built once by the worker, or by a test. */
export interface LakeDeps {
  config: StackConfig;
  store: ObjectStore;
  openLake: () => Promise<Lake>;
  /** Scratch space for downloads and intermediate files. */
  workDir: string;
}

/** What a long-running function gets from whoever runs it: cancellation and a progress sink. */
export interface RunContext {
  signal?: AbortSignal;
  /** Called with small JSON progress details; a Temporal activity turns these into heartbeats. */
  progress?: (details: Record<string, unknown>) => void;
}
