import { execa } from 'execa';
import { z } from 'zod';
import { ResolvedAsrBackend } from './asr-run.ts';

export const ResolveAsrBackendInput = z.object({
  backend: z.enum(['auto', 'faster-whisper', 'pocketsphinx']).default('auto'),
  model: z.string().min(1).optional(),
});
export type ResolveAsrBackendInput = z.input<typeof ResolveAsrBackendInput>;

/**
 * Run by the transcribe job's own Python with its own helpers, so `auto` resolves exactly as the job's
 * `pick_backend` does (faster-whisper when CTranslate2 sees a CUDA GPU and the model is local, else
 * pocketsphinx), and the model is named as the job reports it. Without faster-whisper installed,
 * `auto` is pocketsphinx.
 */
const PROBE = `
import json, sys
request = json.loads(sys.argv[1])
from dougpt_gpu.transcribe.job import SphinxOptions, WhisperOptions
from dougpt_gpu.transcribe.sphinx_backend import SphinxBackend
whisper = WhisperOptions(model=request["model"]) if request.get("model") else WhisperOptions()
backend = request["backend"]
if backend == "auto":
    try:
        from dougpt_gpu.transcribe.whisper_backend import cuda_device_count, model_is_available
        backend = "faster-whisper" if cuda_device_count() and model_is_available(whisper) else "pocketsphinx"
    except ImportError:
        backend = "pocketsphinx"
model = whisper.model if backend == "faster-whisper" else SphinxBackend(SphinxOptions()).model
print(json.dumps({"backend": backend, "model": model}))
`;

/**
 * The backend and model a transcription with these settings would use on this machine. Runs on the
 * GPU worker that will run the job, since only it knows its GPU and its model cache.
 *
 * @example
 * await resolveAsrBackend({ backend: 'auto' }, { python: '.venv/bin/python' })
 * // { backend: 'pocketsphinx', model: 'pocketsphinx-5.1.1/en-us' } on a machine without a GPU
 */
export async function resolveAsrBackend(raw: ResolveAsrBackendInput, deps: { python: string; signal?: AbortSignal }): Promise<ResolvedAsrBackend> {
  const input = ResolveAsrBackendInput.parse(raw);
  const { stdout } = await execa(deps.python, ['-c', PROBE, JSON.stringify(input)], { cancelSignal: deps.signal });
  const last = stdout.trim().split('\n').at(-1) ?? '';
  return ResolvedAsrBackend.parse(JSON.parse(last));
}
