import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { createObjectStore } from '../../catalog/object-store.ts';
import { REPO_ROOT } from '../../infra/paths.ts';
import { connectTemporal } from '../../infra/temporal-client.ts';
import type { IngestBatchResult } from '../../workflows/ingest-batch.ts';
import type { GenerateSampleOutput } from '../../functions/sample/generate-sample.ts';
import { config, env, sqlRows, temporal } from './stack.ts';
import { sample, scratchDir } from './samples.ts';
import { identifyVod } from '../../functions/ingest/identify-vod.ts';
import { ingestPrefixes } from '../../catalog/keys.ts';
import { scoreWords } from '../../functions/transcribe/score-words.ts';

const store = createObjectStore(config);
const TABLES = [
  'bronze.vod_manifest', 'silver.audio', 'silver.chat_messages', 'silver.chat_rejects',
  'silver.asr_runs', 'silver.transcript_words', 'silver.transcript_segments', 'silver.chat_offsets', 'gold.pairs',
] as const;

/** Starts ingestBatch with the Temporal CLI, exactly as documented, and waits for its result. */
async function startBatch(id: string, input: unknown): Promise<IngestBatchResult> {
  await temporal(['workflow', 'start', '--type', 'ingestBatch', '--task-queue', 'dougpt', '--workflow-id', id, '--input', JSON.stringify(input)]);
  const { client, connection } = await connectTemporal(config);
  try {
    return (await client.workflow.getHandle(id).result()) as IngestBatchResult;
  } finally {
    await connection.close();
  }
}

async function counts(vodIds: string[]): Promise<Record<string, number>> {
  const list = vodIds.map((id) => `'${id}'`).join(', ');
  const out: Record<string, number> = {};
  for (const table of TABLES) {
    const [row] = await sqlRows(`select count(*) n from ${table} where vod_id in (${list})`);
    out[table] = Number(row?.n);
  }
  return out;
}

const objectsOf = async (vodIds: string[]) =>
  (await Promise.all(vodIds.flatMap((id) => ['bronze/vods/', 'bronze/chat/', 'silver/audio/'].map((p) => store.listKeys(`${p}${id}/`))))).flat().sort();

describe('ingestBatch', () => {
  let a: GenerateSampleOutput;
  let b: GenerateSampleOutput;
  let first: IngestBatchResult;
  /** Entry A gives no vod_id (derived from its file name), entry B names its own. */
  let idA: string;
  let idB: string;
  const input = () => ({ vods: [{ video: a.files.video, chat: a.files.chat }, { video: b.files.video, chat: b.files.chat, vod_id: b.vod_id }] });

  beforeAll(async () => {
    [a, b] = await Promise.all([sample(11), sample(12)]);
    idA = await identifyVod({ video: a.files.video });
    idB = b.vod_id;
    first = await startBatch(`it-ingest-first-${Date.now()}`, input());
  });

  it('fills the lake from a batch started with `temporal workflow start`', async () => {
    expect(first.failed).toEqual([]);
    expect(first.succeeded.map((s) => s.vod_id).sort()).toEqual([idA, idB].sort());
    const c = await counts([idA, idB]);
    expect(c['bronze.vod_manifest']).toBe(2);
    expect(c['silver.audio']).toBe(2);
    const accepted = first.succeeded.reduce((n, s) => n + s.chat_messages, 0);
    const rejected = first.succeeded.reduce((n, s) => n + s.chat_rejects, 0);
    expect(c['silver.chat_messages']).toBe(accepted);
    expect(c['silver.chat_rejects']).toBe(rejected);
    expect(accepted + rejected).toBe(a.messages + b.messages);
    const [manifest] = await sqlRows(`select * from bronze.vod_manifest where vod_id = '${idA}'`);
    expect(manifest?.video_sha256).toBe(a.video_sha256);
    expect(Number(manifest?.duration_ms)).toBeGreaterThan(25_000);
    expect(manifest?.chat_format).toBe('twitchdownloader');
    const [audio] = await sqlRows(`select sample_rate, channels, source_video_sha256, "key" from silver.audio where vod_id = '${idA}'`);
    expect(Number(audio?.sample_rate)).toBe(16_000);
    expect(Number(audio?.channels)).toBe(1);
    expect(audio?.source_video_sha256).toBe(a.video_sha256);
    expect(await store.exists(String(audio?.key))).toBe(true);
    expect(await store.exists(String(manifest?.video_key))).toBe(true);
    // Transcribed and aligned after ingest: one run per VOD, and every chat message either paired or rejected.
    expect(c['silver.asr_runs']).toBe(2);
    expect(c['silver.transcript_words']).toBeGreaterThan(20);
    expect(c['gold.pairs']).toBe(accepted);
    expect(c['silver.chat_offsets']).toBeGreaterThanOrEqual(2);
    const [words] = await sqlRows(`select count(*) n, max(end_ms) last_end, bool_and(start_ms <= end_ms) ordered from silver.transcript_words where vod_id = '${idA}'`);
    expect(words?.ordered).toBe(true);
    expect(Number(words?.last_end)).toBeLessThanOrEqual(Number(manifest?.duration_ms));
    expect(String(manifest?.video_key)).toBe(`bronze/vods/${idA}/${a.video_sha256}.mp4`);
    // The staged Parquet went away with the commit.
    expect(await store.listKeys(`staging/chat/${idA}/`)).toEqual([]);
    expect(await store.listKeys(`staging/chat/${idB}/`)).toEqual([]);
  });

  it('transcribes with the embedded Whisper tiny.en on the CPU: the script comes back, word starts on time', async () => {
    const [run] = await sqlRows(`select backend, model, config from silver.asr_runs where vod_id = '${idA}'`);
    expect(run?.backend).toBe('faster-whisper');
    expect(run?.model).toBe('tiny.en');
    const resolved = JSON.parse(String(run?.config)).resolved as { model_sha256: string; compute_type: string; device: string };
    expect(resolved.model_sha256).toMatch(/^[0-9a-f]{64}$/);
    expect([resolved.device, resolved.compute_type]).toEqual(['cpu', 'int8']);
    const recognised = (await sqlRows(`select word, start_ms from silver.transcript_words where vod_id = '${idA}' order by idx`))
      .map((w) => ({ word: String(w.word), start_ms: Number(w.start_ms) }));
    const script = JSON.parse(readFileSync(a.files.transcript, 'utf8')) as { words: Array<{ word: string; start_ms: number }> };
    const score = scoreWords(script.words, recognised);
    expect(score.wer).toBeLessThanOrEqual(0.3);
    expect(score.median_start_error_ms).not.toBeNull();
    expect(score.median_start_error_ms!).toBeLessThanOrEqual(250);
  });

  it('a second identical run adds no row and no object', async () => {
    const ids = [idA, idB];
    const before = { rows: await counts(ids), objects: await objectsOf(ids) };
    const again = await startBatch(`it-ingest-again-${Date.now()}`, input());
    expect(again.failed).toEqual([]);
    for (const vod of again.succeeded) {
      expect(Object.values(vod.rows_written)).toEqual([0, 0, 0, 0]);
      expect(vod.processed?.transcribed).toBe(false);
    }
    expect(await counts(ids)).toEqual(before.rows);
    expect(await objectsOf(ids)).toEqual(before.objects);
  });

  it('a stage reset as from the Web UI re-runs it without duplicating a row', async () => {
    const ids = [idA, idB];
    const before = await counts(ids);
    // The Web UI's "Reset" button issues this same request.
    await temporal(['workflow', 'reset', '--workflow-id', `process/${idA}`, '--type', 'FirstWorkflowTask', '--reason', 'integration test']);
    const { client, connection } = await connectTemporal(config);
    try {
      const handle = client.workflow.getHandle(`process/${idA}`);
      const result = (await handle.result()) as { transcribed: boolean; pairs: number };
      expect(result.transcribed).toBe(false);
      const runs = (await handle.describe()).runId;
      expect(runs).toBeTruthy();
    } finally {
      await connection.close();
    }
    expect(await counts(ids)).toEqual(before);
  });

  it('any Iceberg reader sees the same rows: pyiceberg counts what dougpt sql counts', async () => {
    const python = join(REPO_ROOT, '.venv', 'bin', 'python');
    const script = `
import json, os, sys
from pyiceberg.catalog import load_catalog
cat = load_catalog("lake", type="rest", uri=os.environ["ICEBERG_REST_URI"], **{
  "s3.endpoint": os.environ["AWS_ENDPOINT_URL"], "s3.access-key-id": os.environ["AWS_ACCESS_KEY_ID"],
  "s3.secret-access-key": os.environ["AWS_SECRET_ACCESS_KEY"], "s3.region": os.environ["AWS_REGION"], "s3.path-style-access": "true"})
ids = sys.argv[1:]
out = {}
for name in ${JSON.stringify(TABLES)}:
    t = cat.load_table(name).scan().to_arrow()
    out[name] = sum(1 for v in t.column("vod_id").to_pylist() if v in ids)
print(json.dumps(out))`;
    const { stdout } = await execa(python, ['-c', script, idA, idB], { env });
    expect(JSON.parse(stdout)).toEqual(await counts([idA, idB]));
  });

  it('bad inputs fail with a one-line reason naming the input, leave nothing, and the good VOD completes', async () => {
    const good = await sample(13);
    const notMedia = join(scratchDir, 'notes.mp4');
    writeFileSync(notMedia, 'these are just words, not a video\n'.repeat(50));
    const truncated = join(scratchDir, 'truncated.mp4');
    const bytes = readFileSync(a.files.video);
    writeFileSync(truncated, bytes.subarray(0, Math.floor(bytes.length * 0.4)));
    const notChat = join(scratchDir, 'captions.chat.json');
    copyFileSync(join(REPO_ROOT, '..', 'shared', 'formats', 'whisperx_reference_transcription.json'), notChat);
    const missing = join(scratchDir, 'does-not-exist.mp4');
    // A URL that answers 404 (a refused connection or a 5xx is retried, not bad input).
    const gone = createServer((_req, res) => res.writeHead(404).end());
    await new Promise<void>((resolve) => gone.listen(0, '127.0.0.1', resolve));
    const unreachable = `http://127.0.0.1:${(gone.address() as AddressInfo).port}/vod.mp4`;
    const bad = [
      { video: missing, chat: a.files.chat, vod_id: 'bad-missing' },
      { video: notMedia, chat: a.files.chat, vod_id: 'bad-not-media' },
      { video: truncated, chat: a.files.chat, vod_id: 'bad-truncated' },
      { video: a.files.video, chat: notChat, vod_id: 'bad-chat' },
      { video: unreachable, chat: a.files.chat, vod_id: 'bad-url' },
    ];
    const result = await startBatch(`it-ingest-bad-${Date.now()}`, { vods: [{ video: good.files.video, chat: good.files.chat }, ...bad], concurrency: 3 });
    gone.close();
    expect(result.succeeded.map((s) => s.vod_id)).toEqual([await identifyVod({ video: good.files.video })]);
    const reasons = Object.fromEntries(result.failed.map((f) => [f.vod_id, f.error]));
    expect(Object.keys(reasons).sort()).toEqual(bad.map((b) => b.vod_id).sort());
    for (const reason of Object.values(reasons)) expect(String(reason).split('\n')).toHaveLength(1);
    expect(reasons['bad-missing']).toContain(missing);
    expect(reasons['bad-not-media']).toContain(notMedia);
    expect(reasons['bad-truncated']).toContain(truncated);
    expect(reasons['bad-truncated']).toMatch(/truncat/i);
    expect(reasons['bad-chat']).toContain(notChat);
    expect(reasons['bad-url']).toContain(unreachable);
    const ids = bad.map((b) => b.vod_id);
    expect(await counts(ids)).toEqual(Object.fromEntries(TABLES.map((t) => [t, 0])));
    expect(await objectsOf(ids)).toEqual([]);
    expect(await store.listKeys('staging/chat/bad-')).toEqual([]);
  });
});

/** The innermost message of a failure chain (workflow → activity → application failure). */
function innermost(error: unknown): string {
  let current = error;
  while (current instanceof Error && current.cause instanceof Error) current = current.cause;
  return current instanceof Error ? current.message : String(current);
}

describe('compensation', () => {
  it('a failure after the media upload, after the chat upload, or inside the commit leaves no object under the VOD\'s prefixes and no row', async () => {
    const vod = await sample(11);
    const points = ['media-uploaded', 'chat-uploaded', 'commit'] as const;
    const stamp = Date.now();
    const ids = points.map((point) => `it-fail-${point}-${stamp}`);
    const { client, connection } = await connectTemporal(config);
    let outcomes: PromiseSettledResult<unknown>[];
    try {
      outcomes = await Promise.allSettled(
        points.map((point, i) =>
          client.workflow.execute('ingestVod', {
            taskQueue: 'dougpt',
            workflowId: `ingest/${ids[i]}`,
            args: [{ vod_id: ids[i], video: vod.files.video, chat: vod.files.chat, process: false, test_fail_at: point }],
          }),
        ),
      );
    } finally {
      await connection.close();
    }
    expect(outcomes.map((o) => (o.status === 'rejected' ? innermost(o.reason) : 'succeeded'))).toEqual(
      points.map((point) => `injected failure at ${point} (test_fail_at)`),
    );
    expect(await counts(ids)).toEqual(Object.fromEntries(TABLES.map((t) => [t, 0])));
    const left = (await Promise.all(ids.flatMap((id) => ingestPrefixes(id).map((prefix) => store.listKeys(prefix))))).flat();
    expect(left).toEqual([]);
  });
});
