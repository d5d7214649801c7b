import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LAKE } from '../../../catalog/lake.ts';
import { alignVod } from '../../../functions/align/align-vod.ts';
import { makeChat, makeLines } from './fixture.ts';
import { commitChatVersion, commitWords, memoryLakeDeps, type MemoryLakeDeps } from './memory-lake.ts';

const VOD = 'v1';
const RUN = 'asr-test';
const SHA_1 = '1'.repeat(64);
const SHA_2 = '2'.repeat(64);

let deps: MemoryLakeDeps;

async function count(sql: string): Promise<number> {
  const lake = await deps.openLake();
  try {
    return Number((await lake.all(sql))[0]?.n);
  } finally {
    lake.close();
  }
}

const { lines, words } = makeLines(60, 8_000);
const first = makeChat(lines, () => 5_000, { seed: 7 }).messages.map((m) => ({ ...m, vod_id: VOD }));
// The corrected file: the same message ids, fixed texts, and a tenth of the messages dropped.
const second = first.filter((_, i) => i % 10 !== 3).map((m) => ({ ...m, text: `${m.text} fixed` }));

describe('alignVod over a re-ingested chat file', () => {
  beforeAll(async () => {
    deps = await memoryLakeDeps();
    await commitWords(deps, VOD, RUN, words);
    await commitChatVersion(deps, VOD, SHA_1, first);
    await commitChatVersion(deps, VOD, SHA_2, second);
  });
  afterAll(() => deps?.dispose());

  it('keeps every message of the corrected version, even where its ids repeat the first version', async () => {
    const n = await count(`SELECT count(*) n FROM ${LAKE}.silver.chat_messages WHERE chat_sha256 = '${SHA_2}'`);
    expect(n).toBe(second.length);
    // A re-commit of the same version writes nothing new.
    const again = await commitChatVersion(deps, VOD, SHA_2, second);
    expect(again.rows_written.chat_messages).toBe(0);
  });

  it("aligns only the newest manifest's chat version", async () => {
    const result = await alignVod({ vod_id: VOD, asr_run_id: RUN }, deps);
    expect(result.pairs).toBeGreaterThan(0);
    expect(result.pairs + result.rejects).toBe(second.length);
    const rows = await count(`SELECT count(*) n FROM ${LAKE}.gold.pairs WHERE align_id = '${result.align_id}' AND chat_sha256 = '${SHA_2}'`);
    expect(rows).toBe(second.length);
    const stale = await count(
      `SELECT count(*) n FROM ${LAKE}.gold.pairs WHERE align_id = '${result.align_id}' AND pair_id IS NOT NULL AND reply_text NOT LIKE '% fixed'`,
    );
    expect(stale).toBe(0);
  });
});
