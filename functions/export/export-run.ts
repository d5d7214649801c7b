import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { mkdir, readdir, readFile, realpath, rename, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { z } from 'zod';
import { loadPromptSpec, renderPrompt, type LoadedPromptSpec } from '../prompt/prompt-spec.ts';
import { END_OF_TURN, type BaseModelRef } from '../reply/llama-engine.ts';
import { DEFAULT_SAMPLING } from '../reply/reply-service.ts';
import { ExportError } from './export-error.ts';
import { EXAMPLE_CONTEXT, exportReadme } from './export-readme.ts';
import { MERGED_TYPE, mergeLora } from './merge-lora.ts';
import { renderModelfile } from './ollama-modelfile.ts';

export const ExportFormat = z.enum(['gguf', 'ollama']);
export type ExportFormat = z.infer<typeof ExportFormat>;

export const ExportRunInput = z.object({
  /** A training run folder (OUT of `dougpt train`, or one fetched from `gold/adapters/<run_id>/`). */
  run_dir: z.string().min(1),
  format: ExportFormat,
  /** Folder to create; must not exist or be empty. */
  out: z.string().min(1),
  /** Fold the LoRA into the base: one GGUF (adapted weights Q8_0), no runtime adapter. */
  merge: z.boolean().default(false),
});
export type ExportRunInput = z.input<typeof ExportRunInput>;

export const ExportedFile = z.object({ name: z.string(), bytes: z.number().int(), sha256: z.string() });
export type ExportedFile = z.infer<typeof ExportedFile>;

export const ExportRunOutput = z.object({
  run_id: z.string(),
  format: ExportFormat,
  out: z.string(),
  merged: z.boolean(),
  base: z.object({ name: z.string(), file: z.string(), sha256: z.string() }),
  /** The LoRA's file in `out`; null when merged into the model. */
  adapter: z.string().nullable(),
  /** The model file to load (the base, or the merged model). */
  model: z.string(),
  prompt_spec: z.object({ version: z.string(), sha256: z.string() }),
  files: z.array(ExportedFile),
  /** What the caller should know (a run.json without a prompt spec, …). */
  warnings: z.array(z.string()),
});
export type ExportRunOutput = z.infer<typeof ExportRunOutput>;

/** The part of run.json an export reads. */
const RunJson = z.looseObject({
  run_id: z.string().min(1),
  base: z.looseObject({ name: z.string().min(1), gguf: z.string().nullish(), sha256: z.string().nullish() }),
  prompt_spec: z.object({ version: z.string(), sha256: z.string() }).optional(),
  end_token: z.string().optional(),
  chat_template: z.string().optional(),
});

export interface ExportRunDeps {
  /** The base model's GGUF on this machine (`resolveBaseModel`). */
  resolveBase: (name: string) => Promise<BaseModelRef | null>;
  spec?: LoadedPromptSpec;
  /** Bytes copied so far, of `total` (every file of the export together). */
  onProgress?: (done: number, total: number) => void;
  /** Python that runs the merger; default: the project's venv. */
  python?: string;
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}

async function readRunJson(runDir: string): Promise<z.infer<typeof RunJson>> {
  const path = join(runDir, 'run.json');
  let value: unknown;
  try {
    value = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ExportError('run', code === 'ENOENT' ? `${runDir}: no run.json (not a training run folder)` : `${path}: not JSON`, { cause: error });
  }
  const parsed = RunJson.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ExportError('run', `${path}: not a training run.json (${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'})`);
  }
  return parsed.data;
}

/** The run's base GGUF: the file run.json names, else this machine's copy of the named base; its sha256 must match run.json's. */
async function findBase(run: z.infer<typeof RunJson>, deps: ExportRunDeps): Promise<{ path: string; sha256: string }> {
  const candidates = [run.base.gguf, (await deps.resolveBase(run.base.name))?.gguf].filter((p): p is string => Boolean(p) && existsSync(p as string));
  const seen: string[] = [];
  for (const path of [...new Set(candidates)]) {
    const sha256 = await sha256File(path);
    if (!run.base.sha256 || run.base.sha256 === sha256) return { path, sha256 };
    seen.push(`${path} is ${sha256.slice(0, 12)}`);
  }
  const want = run.base.sha256 ? ` with sha256 ${run.base.sha256.slice(0, 12)}…` : '';
  throw new ExportError('base', `${run.base.name}: no GGUF of the run's base model${want} on this machine${seen.length ? ` (${seen.join('; ')})` : ' (run `make setup`)'}`);
}

/** Copies `from` to `to`, reporting bytes as they pass. */
async function copyCounting(from: string, to: string, onBytes: (n: number) => void): Promise<void> {
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      onBytes(chunk.length);
      done(null, chunk);
    },
  });
  await pipeline(createReadStream(from), counter, createWriteStream(to));
}

/** A file name for the base in the export: its real name (the cache's `model.gguf` is a link to it). */
async function baseFileName(path: string, name: string): Promise<string> {
  const real = basename(await realpath(path));
  return (real === 'model.gguf' ? `${name}.gguf` : real).replace(/[^\w.+-]+/g, '-');
}

/** `out` must be absent or an empty folder: an export never mixes with other files. */
async function checkOut(out: string): Promise<void> {
  if (!existsSync(out)) return;
  if (!(await stat(out)).isDirectory()) throw new ExportError('out', `${out}: exists and is not a folder`);
  if ((await readdir(out)).length > 0) throw new ExportError('out', `${out}: not empty (export into a new folder)`);
}

/**
 * Exports a training run for other runtimes: the base GGUF and the run's GGUF LoRA side by side
 * (`gguf`), plus an Ollama Modelfile whose TEMPLATE renders the prompt spec exactly (`ollama`); with
 * `merge`, one GGUF with the LoRA folded in (the gpu-runner's GGUF merger). Writes into a
 * temporary sibling folder and renames it into place, so a failed export leaves nothing behind.
 *
 * @example
 * await exportRun({ run_dir: 'runs/abc', format: 'ollama', out: 'export/abc' }, { resolveBase: (name) => resolveBaseModel({ name }) });
 * // { run_id: 'abc', files: [{ name: 'SmolLM2-135M-Instruct.Q4_1.gguf', … }, { name: 'abc.lora.gguf', … }, { name: 'Modelfile', … }, …] }
 */
export async function exportRun(raw: ExportRunInput, deps: ExportRunDeps): Promise<ExportRunOutput> {
  const input = ExportRunInput.parse(raw);
  const runDir = resolve(input.run_dir);
  const out = resolve(input.out);
  const run = await readRunJson(runDir);
  const lora = join(runDir, 'adapter.gguf');
  if (!existsSync(lora)) throw new ExportError('run', `${runDir}: no adapter.gguf (has training finished?)`);
  await checkOut(out);

  const spec = deps.spec ?? loadPromptSpec();
  const warnings: string[] = [];
  if (!run.prompt_spec) warnings.push(`run.json names no prompt spec: the export renders prompts with ${spec.spec.version} (${spec.sha256.slice(0, 12)}…)`);
  else if (run.prompt_spec.sha256 !== spec.sha256) {
    throw new ExportError('prompt-spec', `${run.run_id}: trained with prompt spec ${run.prompt_spec.version} (${run.prompt_spec.sha256.slice(0, 12)}…), this checkout has ${spec.spec.version} (${spec.sha256.slice(0, 12)}…)`);
  }
  // The Ollama TEMPLATE and the example prompt are ChatML: an adapter trained in another family is not exported.
  if (run.chat_template && run.chat_template !== 'chatml') {
    throw new ExportError('run', `${run.run_id}: trained in chat template ${run.chat_template}; the export writes ChatML prompts and an Ollama ChatML TEMPLATE only`);
  }
  const stop = run.end_token ?? END_OF_TURN;
  const base = await findBase(run, deps);
  const baseName = await baseFileName(base.path, run.base.name);
  const fileStem = run.run_id.replace(/[^\w.+-]+/g, '-');
  const loraName = `${fileStem}.lora.gguf`;

  await mkdir(dirname(out), { recursive: true });
  const temp = `${out}.part-${process.pid}`;
  await rm(temp, { recursive: true, force: true });
  await mkdir(temp);
  try {
    let model: string;
    let adapter: string | null;
    if (input.merge) {
      model = `${fileStem}.merged.${MERGED_TYPE}.gguf`;
      adapter = null;
      await mergeLora({ base: base.path, lora, out: join(temp, model) }, deps.python ? { python: deps.python } : {});
    } else {
      const total = (await stat(base.path)).size + (await stat(lora)).size;
      let done = 0;
      const onBytes = (n: number) => deps.onProgress?.((done += n), total);
      await copyCounting(base.path, join(temp, baseName), onBytes);
      await copyCounting(lora, join(temp, loraName), onBytes);
      model = baseName;
      adapter = loraName;
    }
    await writeFile(join(temp, 'prompt_spec.json'), spec.text);
    await writeFile(join(temp, 'example-prompt.txt'), renderPrompt(spec.spec, EXAMPLE_CONTEXT));
    if (input.format === 'ollama') {
      const modelfile = renderModelfile({ spec: spec.spec, from: `./${model}`, adapter: adapter && `./${adapter}`, stop, sampling: DEFAULT_SAMPLING });
      await writeFile(join(temp, 'Modelfile'), modelfile);
    }
    const files: ExportedFile[] = [];
    for (const name of (await readdir(temp)).sort()) {
      const path = join(temp, name);
      files.push({ name, bytes: (await stat(path)).size, sha256: await sha256File(path) });
    }
    const result: ExportRunOutput = {
      run_id: run.run_id,
      format: input.format,
      out,
      merged: input.merge,
      base: { name: run.base.name, file: baseName, sha256: base.sha256 },
      adapter,
      model,
      prompt_spec: { version: spec.spec.version, sha256: spec.sha256 },
      files,
      warnings,
    };
    await writeFile(join(temp, 'README.md'), exportReadme(result, { spec: spec.spec, stop, sampling: DEFAULT_SAMPLING }));
    await writeFile(join(temp, 'export.json'), `${JSON.stringify(result, null, 2)}\n`);
    if (existsSync(out)) await rmdir(out);
    await rename(temp, out);
    return result;
  } catch (error) {
    await rm(temp, { recursive: true, force: true });
    throw error;
  }
}
