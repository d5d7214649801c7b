import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../infra/paths.ts';

const dir = join(REPO_ROOT, 'tests', 'fixtures', 'histories');
const histories = readdirSync(dir).filter((f) => f.endsWith('.json'));

/**
 * Histories recorded from real runs (`temporal workflow show --output json`). Replaying them against
 * today's workflow code fails when a change breaks determinism for runs already in flight.
 */
describe('workflow replay', () => {
  it('has recorded histories to replay', () => {
    expect(histories.length).toBeGreaterThan(0);
  });

  it.each(histories)('%s replays deterministically', async (file) => {
    const history = historyFromJSON(JSON.parse(readFileSync(join(dir, file), 'utf8')));
    await expect(
      Worker.runReplayHistory({ workflowsPath: join(REPO_ROOT, 'workflows', 'index.ts') }, history),
    ).resolves.toBeUndefined();
  });
});
