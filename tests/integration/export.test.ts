import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createObjectStore } from '../../catalog/object-store.ts';
import { sha256File, type ExportRunOutput } from '../../functions/export/export-run.ts';
import { loadPromptSpec, renderContext, renderPrompt } from '../../functions/prompt/prompt-spec.ts';
import { resolveBaseModel } from '../../functions/reply/base-model.ts';
import { createLlamaEngine } from '../../functions/reply/llama-engine.ts';
import type { ReplyEngine } from '../../functions/reply/reply-engine.ts';
import { hasGo, renderWithGo } from '../unit/export/render-with-go.ts';
import { makeLoraRun } from './lora-run.ts';
import { config, dougpt } from './stack.ts';

/**
 * `dougpt export` on a LoRA in the exact format training writes (adapter/, adapter.gguf, run.json):
 * the exported files load in node-llama-cpp and reply exactly as the run's own files do.
 */

const home = mkdtempSync(join(tmpdir(), 'dougpt-export-'));
const base = await resolveBaseModel();
const spec = loadPromptSpec();
const CONTEXT = 'okay chat we are going to win this one, watch this jump';
const exportJson = async (args: string[]) => JSON.parse((await dougpt(['export', ...args, '--json'])).stdout) as ExportRunOutput;

/** One reply of an engine on the spec's prompt, with a fixed seed. */
async function replyOf(engine: ReplyEngine): Promise<string> {
  try {
    const out = await engine.generate({ prompt: renderPrompt(spec.spec, CONTEXT), maxTokens: 16, temperature: 0.8, topP: 0.95, seed: 7, stop: [] });
    return out.text;
  } finally {
    await engine.close();
  }
}

describe.skipIf(!base)('dougpt export', () => {
  const runId = `it-export-${Date.now().toString(36)}`;
  let run: { dir: string };

  beforeAll(async () => {
    run = await makeLoraRun(join(home, 'runs', runId), runId);
    // What training writes beside the LoRA: the prompt spec it was trained with.
    const path = join(run.dir, 'run.json');
    const json = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    writeFileSync(path, JSON.stringify({ ...json, prompt_spec: { version: spec.spec.version, sha256: spec.sha256 }, end_token: '<|im_end|>' }));
  });

  it('gguf: base and LoRA copied byte for byte; node-llama-cpp loads both from the folder and replies as from the run', async () => {
    const out = join(home, 'gguf');
    const result = await exportJson(['--run', run.dir, '--format', 'gguf', '--out', out]);
    expect(result).toMatchObject({ run_id: runId, format: 'gguf', merged: false, warnings: [] });
    const model = join(out, result.model);
    const lora = join(out, result.adapter!);
    expect(await sha256File(model)).toBe(await sha256File(base!.gguf));
    expect(await sha256File(lora)).toBe(await sha256File(join(run.dir, 'adapter.gguf')));
    for (const name of ['README.md', 'export.json', 'prompt_spec.json', 'example-prompt.txt']) expect(existsSync(join(out, name)), name).toBe(true);
    expect(readFileSync(join(out, 'example-prompt.txt'), 'utf8')).toBe(renderPrompt(spec.spec, 'okay chat we are going left'));

    const exported = await replyOf(await createLlamaEngine({ base: { name: result.base.name, gguf: model }, adapter: { run_id: runId, gguf: lora }, parallel: 1 }));
    const original = await replyOf(await createLlamaEngine({ base: base!, adapter: { run_id: runId, gguf: join(run.dir, 'adapter.gguf') }, parallel: 1 }));
    const baseOnly = await replyOf(await createLlamaEngine({ base: { name: result.base.name, gguf: model }, parallel: 1 }));
    expect(exported.trim().length).toBeGreaterThan(0);
    expect(exported).toBe(original);
    // The LoRA is applied: the base alone says something else.
    expect(exported).not.toBe(baseOnly);
  });

  it('ollama: a Modelfile naming the exported files, whose TEMPLATE renders the prompt spec exactly', async () => {
    const out = join(home, 'ollama');
    const result = await exportJson(['--run', run.dir, '--format', 'ollama', '--out', out]);
    const modelfile = readFileSync(join(out, 'Modelfile'), 'utf8');
    const lines = modelfile.split('\n');
    expect(lines).toContain(`FROM ./${result.model}`);
    expect(lines).toContain(`ADAPTER ./${result.adapter}`);
    expect(lines).toContain(`PARAMETER num_predict ${spec.spec.reply.max_tokens}`);
    for (const line of lines.filter((l) => /^(FROM|ADAPTER) /.test(l))) expect(existsSync(join(out, line.split(' ')[1]!))).toBe(true);
    if (!hasGo) return;
    const contexts = [CONTEXT, '', 'chat   what\ndo I do'];
    const rendered = await renderWithGo(modelfile, contexts.map((c) => [{ role: 'user', content: renderContext(spec.spec, c) }]));
    expect(rendered).toEqual(contexts.map((c) => renderPrompt(spec.spec, c)));
  });

  it('a run id is fetched from the lake (gold/adapters/<run_id>/)', async () => {
    const store = createObjectStore(config);
    await store.ensureBucket();
    for (const name of ['adapter.gguf', 'run.json']) await store.putFileOnce(`gold/adapters/${runId}/${name}`, join(run.dir, name));
    const result = await exportJson(['--run', runId, '--format', 'ollama', '--out', join(home, 'from-lake')]);
    expect(result.run_id).toBe(runId);
    expect(result.files.find((f) => f.name === result.adapter)?.sha256).toBe(await sha256File(join(run.dir, 'adapter.gguf')));
    const missing = await dougpt(['export', '--run', 'no-such-run-id', '--format', 'gguf', '--out', join(home, 'none')], { reject: false });
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr.trim()).toBe('dougpt: --run no-such-run-id: no such folder, and no run gold/adapters/no-such-run-id/ in the lake');
  });

  it('--merge: one GGUF with the LoRA folded in; node-llama-cpp loads it alone and it replies unlike the base', async () => {
    const out = join(home, 'merged');
    const result = await exportJson(['--run', run.dir, '--format', 'ollama', '--merge', '--out', out]);
    expect(result).toMatchObject({ merged: true, adapter: null, model: `${runId}.merged.q8_0.gguf` });
    const lines = readFileSync(join(out, 'Modelfile'), 'utf8').split('\n');
    expect(lines).toContain(`FROM ./${result.model}`);
    expect(lines.some((l) => l.startsWith('ADAPTER'))).toBe(false);
    const merged = await replyOf(await createLlamaEngine({ base: { name: 'merged', gguf: join(out, result.model) }, parallel: 1 }));
    const baseOnly = await replyOf(await createLlamaEngine({ base: base!, parallel: 1 }));
    expect(merged.trim().length).toBeGreaterThan(0);
    expect(merged).not.toBe(baseOnly);
  });

});
