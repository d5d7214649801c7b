import { execa } from 'execa';
import { z } from 'zod';
import { ResolvedAsrBackend } from './asr-run.ts';

export const ResolveAsrBackendInput = z.object({
  backend: z.enum(['auto', 'faster-whisper', 'pocketsphinx']).default('auto'),
  model: z.string().min(1).optional(),
  compute_type: z.string().min(1).optional(),
  device: z.enum(['auto', 'cpu', 'cuda']).optional(),
  language: z.string().min(1).optional(),
});
export type ResolveAsrBackendInput = z.input<typeof ResolveAsrBackendInput>;

/**
 * Run by the transcribe job's own Python with its own `resolve`, so `auto` resolves exactly as the job's
 * `pick_backend` does (Whisper on a GPU, the embedded tiny.en on a CPU, else pocketsphinx), with the
 * model's sha256, device, compute type and decoding options the job will use.
 */
const PROBE = `
import json, sys
request = json.loads(sys.argv[1])
from dougpt_gpu.transcribe.job import SphinxOptions, VadOptions, WhisperOptions
from dougpt_gpu.transcribe.resolve import resolve
whisper = {k: request[k] for k in ("model", "compute_type", "device", "language") if request.get(k) is not None}
resolved = resolve(request["backend"], WhisperOptions(**whisper), VadOptions(), SphinxOptions())
print(json.dumps(resolved.as_json()))
`;

/**
 * The backend and model a transcription with these settings would use on this machine. Runs on the
 * GPU worker that will run the job, since only it knows its GPU and its model cache.
 *
 * @example
 * await resolveAsrBackend({ backend: 'auto' }, { python: '.venv/bin/python' })
 * // { backend: 'faster-whisper', model: 'tiny.en', model_sha256: '1a5a…', device: 'cpu', compute_type: 'int8', … } on a CPU
 */
export async function resolveAsrBackend(raw: ResolveAsrBackendInput, deps: { python: string; signal?: AbortSignal }): Promise<ResolvedAsrBackend> {
  const input = ResolveAsrBackendInput.parse(raw);
  const { stdout } = await execa(deps.python, ['-c', PROBE, JSON.stringify(input)], { cancelSignal: deps.signal });
  const last = stdout.trim().split('\n').at(-1) ?? '';
  return ResolvedAsrBackend.parse(JSON.parse(last));
}
