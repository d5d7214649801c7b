import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertNew } from '../../../catalog/insert-new.ts';
import { sqlString } from '../../../catalog/lake.ts';
import { asrRuns } from '../../../catalog/tables.ts';
import { writeLake } from '../../../catalog/write-lake.ts';
import { AsrRequest as AsrRequestSchema, asrRunId, lookupAsrRun, type AsrRequest, type ResolvedAsrBackend } from '../../../functions/transcribe/asr-run.ts';
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
  it('names the backend, model, sha256 and settings the way the transcribe job resolves them', async () => {
    const sphinx = (await execa(python, ['-c', "from importlib.metadata import version; print(version('pocketsphinx'))"])).stdout.trim();
    const gpus = Number((await execa(python, ['-c', 'import ctranslate2; print(ctranslate2.get_cuda_device_count())'])).stdout.trim());
    const auto = await resolveAsrBackend({ backend: 'auto' }, { python });
    // On a CPU: the embedded Whisper tiny.en in int8 (on a GPU without large-v3 cached: the same model there).
    expect(auto).toMatchObject({ backend: 'faster-whisper', model: 'tiny.en', device: gpus ? 'cuda' : 'cpu', language: 'en' });
    expect(auto.model_sha256).toMatch(/^[0-9a-f]{64}$/);
    if (!gpus) expect(auto.compute_type).toBe('int8');
    expect(auto.options).toMatchObject({ beam_size: 5, vad: { enabled: true } });
    expect(await resolveAsrBackend({ backend: 'pocketsphinx' }, { python })).toMatchObject({ backend: 'pocketsphinx', model: `pocketsphinx-${sphinx}/en-us`, model_sha256: null });
    // Named and not local: kept by name (the job fetches it), sha256 unknown until then.
    expect(await resolveAsrBackend({ backend: 'faster-whisper', model: 'small.en' }, { python })).toMatchObject({ backend: 'faster-whisper', model: 'small.en', model_sha256: null });
    // Another compute type is another run.
    const float32 = await resolveAsrBackend({ backend: 'auto', compute_type: 'float32' }, { python });
    expect(float32.compute_type).toBe('float32');
    const id = (resolved: ResolvedAsrBackend) => asrRunId(AsrRequestSchema.parse(request), resolved);
    expect(id(float32)).not.toBe(id(auto));
    expect(id(auto)).toBe(id({ ...auto }));
    // A different model file under the same name is another run.
    expect(id({ ...auto, model_sha256: 'f'.repeat(64) })).not.toBe(id(auto));
    await expect(resolveAsrBackend({ backend: 'auto', language: 'de' }, { python })).rejects.toThrow(/English-only/);
  }, 120_000);
});
