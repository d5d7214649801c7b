import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertNew } from '../../../catalog/insert-new.ts';
import { sqlString } from '../../../catalog/lake.ts';
import { asrRuns } from '../../../catalog/tables.ts';
import { writeLake } from '../../../catalog/write-lake.ts';
import { lookupAsrRun, type AsrRequest, type ResolvedAsrBackend } from '../../../functions/transcribe/asr-run.ts';
import { resolveAsrBackend } from '../../../functions/transcribe/resolve-asr-backend.ts';
import { REPO_ROOT } from '../../../infra/paths.ts';
import { memoryLakeDeps, type MemoryLakeDeps } from '../align/memory-lake.ts';

const request: AsrRequest = { vod_id: 'v1', audio_key: 'silver/audio/v1/a.flac', audio_sha256: 'a'.repeat(64), backend: 'auto' };
const cpu: ResolvedAsrBackend = { backend: 'pocketsphinx', model: 'pocketsphinx-5.1.1/en-us' };
const gpu: ResolvedAsrBackend = { backend: 'faster-whisper', model: 'large-v3' };

let deps: MemoryLakeDeps;

async function commitRun(runId: string, backend: string): Promise<void> {
  await writeLake(deps, (lake) =>
    insertNew(
      lake,
      asrRuns,
      `SELECT ${sqlString(runId)} run_id, 'v1' vod_id, 'k' audio_key, 's' audio_sha256, ${sqlString(backend)} backend, NULL model, '{}' config, ` +
        `'tk' transcript_key, 'ts' transcript_sha256, 0::BIGINT words, 0::BIGINT segments, 0::BIGINT duration_ms, 0::BIGINT runtime_ms, now() created_at`,
    ),
  );
}

describe('transcription run ids', () => {
  beforeAll(async () => {
    deps = await memoryLakeDeps();
  });
  afterAll(() => deps?.dispose());

  it('a CPU run of `auto` does not stand in for a later GPU run of the same audio; re-runs find their own run', async () => {
    const first = await lookupAsrRun({ ...request, resolved: cpu }, deps);
    expect(first.exists).toBe(false);
    await commitRun(first.run_id, cpu.backend);

    expect(await lookupAsrRun({ ...request, resolved: cpu }, deps)).toEqual({ run_id: first.run_id, exists: true });
    // The same backend asked for by name is the same run.
    expect(await lookupAsrRun({ ...request, backend: 'pocketsphinx', resolved: cpu }, deps)).toEqual({ run_id: first.run_id, exists: true });

    const onGpu = await lookupAsrRun({ ...request, resolved: gpu }, deps);
    expect(onGpu.exists).toBe(false);
    expect(onGpu.run_id).not.toBe(first.run_id);
    // Another whisper model is another run too.
    expect((await lookupAsrRun({ ...request, resolved: { ...gpu, model: 'small.en' } }, deps)).run_id).not.toBe(onGpu.run_id);
  });
});

const python = join(REPO_ROOT, '.venv', 'bin', 'python');

describe.skipIf(!existsSync(python))('resolveAsrBackend (the job\'s own Python)', () => {
  it('names the backend and model the way the transcribe job reports them', async () => {
    const sphinx = (await execa(python, ['-c', "from importlib.metadata import version; print(version('pocketsphinx'))"])).stdout.trim();
    const auto = await resolveAsrBackend({ backend: 'auto' }, { python });
    // No model is in the local cache here, so even a GPU machine picks pocketsphinx for `auto`.
    expect(auto).toEqual({ backend: 'pocketsphinx', model: `pocketsphinx-${sphinx}/en-us` });
    expect(await resolveAsrBackend({ backend: 'faster-whisper', model: 'small.en' }, { python })).toEqual({ backend: 'faster-whisper', model: 'small.en' });
    expect(await resolveAsrBackend({ backend: 'faster-whisper' }, { python })).toEqual({ backend: 'faster-whisper', model: 'large-v3' });
  }, 120_000);
});
