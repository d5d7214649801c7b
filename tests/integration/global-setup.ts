import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../infra/config.ts';
import { down, up } from '../../infra/stack.ts';

/**
 * Starts one real local stack for every integration file, with its own state directory and ports
 * so a developer's running stack is never touched; stops it at the end. Test files inherit the
 * environment set here (DOUGPT_HOME and the ports).
 */
// DOUGPT_TEST_PORT_OFFSET moves them all, so two suites can run side by side. Ports move in steps of
// two: MinIO's console sits next to MinIO, so offsets one apart would otherwise collide.
const offset = Number(process.env.DOUGPT_TEST_PORT_OFFSET ?? 0);
const port = (base: number) => String(base + 2 * offset);
const TEST_PORTS = {
  DOUGPT_TEMPORAL_PORT: port(17233),
  DOUGPT_TEMPORAL_UI_PORT: port(18233),
  DOUGPT_MINIO_PORT: port(19100),
  DOUGPT_MINIO_CONSOLE_PORT: port(19101),
  DOUGPT_CATALOG_PORT: port(18281),
};

export default async function setup(): Promise<() => Promise<void>> {
  const home = process.env.DOUGPT_TEST_HOME ?? mkdtempSync(join(tmpdir(), 'dougpt-it-'));
  Object.assign(process.env, TEST_PORTS, { DOUGPT_HOME: home });
  const config = loadConfig();
  const started = Date.now();
  await up(config, { onEvent: (service, state) => process.stderr.write(`[stack] ${service}: ${state}\n`) });
  process.stderr.write(`[stack] up in ${((Date.now() - started) / 1000).toFixed(1)} s, state in ${home}\n`);
  return async () => {
    if (process.env.DOUGPT_TEST_KEEP_STACK === '1') return;
    await down(config);
    // The state directory made here (MinIO's data, the catalog, logs: tens of MB a run) goes with the stack.
    if (!process.env.DOUGPT_TEST_HOME) rmSync(home, { recursive: true, force: true });
  };
}
