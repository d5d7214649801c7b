import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { REPO_ROOT } from '../../infra/paths.ts';
import { findTool } from '../../infra/tools.ts';

/** Temporal's local test server (the project's `temporal` CLI) and the workflow bundle, built once per file. */
export interface WorkflowTestEnv {
  env: TestWorkflowEnvironment;
  bundle: WorkflowBundleWithSourceMap;
}

export async function startWorkflowTestEnv(): Promise<WorkflowTestEnv> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const temporal = findTool('temporal');
  if (!temporal) throw new Error('temporal CLI missing: run `make setup`');
  const env = await TestWorkflowEnvironment.createLocal({ server: { executable: { type: 'existing-path', path: temporal } } });
  const bundle = await bundleWorkflowCode({ workflowsPath: join(REPO_ROOT, 'workflows', 'index.ts') });
  return { env, bundle };
}

/** Runs `body` with a worker on a fresh task queue whose activities are the given stubs. */
export async function withStubWorker<T>(t: WorkflowTestEnv, stubs: object, body: (taskQueue: string) => Promise<T>): Promise<T> {
  const taskQueue = `test-${randomUUID()}`;
  const worker = await Worker.create({ connection: t.env.nativeConnection, taskQueue, workflowBundle: t.bundle, activities: stubs });
  return worker.runUntil(body(taskQueue));
}
