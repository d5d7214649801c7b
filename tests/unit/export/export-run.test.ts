import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ExportError } from '../../../functions/export/export-error.ts';
import { exportRun, type ExportRunDeps } from '../../../functions/export/export-run.ts';
import { loadPromptSpec } from '../../../functions/prompt/prompt-spec.ts';

/** exportRun on small stand-in files: what it copies, checks and refuses (no model is loaded here). */

const spec = loadPromptSpec();
const sha = (bytes: string | Buffer) => createHash('sha256').update(bytes).digest('hex');
const BASE_BYTES = 'GGUF stand-in base model bytes';
const LORA_BYTES = 'GGUF stand-in lora bytes';

function fixture(run: Record<string, unknown> = {}) {
  const root = mkdtempSync(join(tmpdir(), 'dougpt-export-unit-'));
  const base = join(root, 'models', 'SmolLM2-135M-Instruct.Q4_1.gguf');
  mkdirSync(dirname(base), { recursive: true });
  writeFileSync(base, BASE_BYTES);
  const runDir = join(root, 'run');
  mkdirSync(runDir);
  writeFileSync(join(runDir, 'adapter.gguf'), LORA_BYTES);
  writeFileSync(
    join(runDir, 'run.json'),
    JSON.stringify({ run_id: 'abc123', base: { name: 'smollm2-135m', sha256: sha(BASE_BYTES) }, prompt_spec: { version: spec.spec.version, sha256: spec.sha256 }, end_token: '<|im_end|>', ...run }),
  );
  const deps: ExportRunDeps = { resolveBase: async (name) => ({ name, gguf: base }) };
  return { root, base, runDir, deps, out: join(root, 'out', 'export') };
}

const failure = async (promise: Promise<unknown>) => {
  const error = await promise.then(() => null, (e: unknown) => e);
  expect(error).toBeInstanceOf(ExportError);
  return error as ExportError;
};

describe('exportRun', () => {
  it('ollama: base and LoRA byte for byte, the spec, a Modelfile naming both, a README and export.json; progress reaches the total', async () => {
    const f = fixture();
    const seen: [number, number][] = [];
    const result = await exportRun({ run_dir: f.runDir, format: 'ollama', out: f.out }, { ...f.deps, onProgress: (done, total) => seen.push([done, total]) });
    expect(result).toMatchObject({ run_id: 'abc123', model: 'SmolLM2-135M-Instruct.Q4_1.gguf', adapter: 'abc123.lora.gguf', merged: false, warnings: [] });
    expect(readFileSync(join(f.out, result.model), 'utf8')).toBe(BASE_BYTES);
    expect(readFileSync(join(f.out, 'abc123.lora.gguf'), 'utf8')).toBe(LORA_BYTES);
    expect(readFileSync(join(f.out, 'prompt_spec.json'), 'utf8')).toBe(spec.text);
    const modelfile = readFileSync(join(f.out, 'Modelfile'), 'utf8').split('\n');
    expect(modelfile).toContain('FROM ./SmolLM2-135M-Instruct.Q4_1.gguf');
    expect(modelfile).toContain('ADAPTER ./abc123.lora.gguf');
    expect(result.files.find((x) => x.name === 'abc123.lora.gguf')?.sha256).toBe(sha(LORA_BYTES));
    expect(result.base.sha256).toBe(sha(BASE_BYTES));
    expect(JSON.parse(readFileSync(join(f.out, 'export.json'), 'utf8'))).toEqual(result);
    expect(readFileSync(join(f.out, 'README.md'), 'utf8')).toContain('ollama create dougpt-abc123 -f Modelfile');
    expect(seen.at(-1)).toEqual([BASE_BYTES.length + LORA_BYTES.length, BASE_BYTES.length + LORA_BYTES.length]);
    expect(readdirSync(dirname(f.out))).toEqual(['export']);
  });

  it('gguf: no Modelfile; an empty existing folder is used', async () => {
    const f = fixture();
    mkdirSync(f.out, { recursive: true });
    const result = await exportRun({ run_dir: f.runDir, format: 'gguf', out: f.out }, f.deps);
    expect(result.files.map((x) => x.name)).toEqual(['SmolLM2-135M-Instruct.Q4_1.gguf', 'abc123.lora.gguf', 'example-prompt.txt', 'prompt_spec.json']);
    expect(existsSync(join(f.out, 'Modelfile'))).toBe(false);
  });

  it('refuses a base whose sha256 is not the one trained on, naming both', async () => {
    const f = fixture({ base: { name: 'smollm2-135m', sha256: 'f'.repeat(64) } });
    const error = await failure(exportRun({ run_dir: f.runDir, format: 'gguf', out: f.out }, f.deps));
    expect(error.kind).toBe('base');
    expect(error.message).toMatch(/smollm2-135m: .*ffffffffffff.* is [0-9a-f]{12}/);
    expect(existsSync(f.out)).toBe(false);
  });

  it('refuses a run trained on another prompt spec; warns when run.json names none', async () => {
    const other = fixture({ prompt_spec: { version: 'dougpt-chat/0', sha256: '0'.repeat(64) } });
    expect((await failure(exportRun({ run_dir: other.runDir, format: 'ollama', out: other.out }, other.deps))).kind).toBe('prompt-spec');
    const none = fixture({ prompt_spec: undefined });
    const result = await exportRun({ run_dir: none.runDir, format: 'ollama', out: none.out }, none.deps);
    expect(result.warnings).toHaveLength(1);
    expect(result.warnings[0]).toContain(spec.spec.version);
  });

  it('names a folder that is not a run, a missing LoRA and a non-empty out', async () => {
    const f = fixture();
    expect((await failure(exportRun({ run_dir: f.root, format: 'gguf', out: f.out }, f.deps))).message).toMatch(/no run\.json/);
    writeFileSync(join(f.runDir, 'run.json'), '{"run_id": 3}');
    expect((await failure(exportRun({ run_dir: f.runDir, format: 'gguf', out: f.out }, f.deps))).message).toMatch(/run_id/);
    const g = fixture();
    mkdirSync(g.out, { recursive: true });
    writeFileSync(join(g.out, 'x'), '');
    expect((await failure(exportRun({ run_dir: g.runDir, format: 'gguf', out: g.out }, g.deps))).kind).toBe('out');
    const h = fixture();
    rmSync(join(h.runDir, 'adapter.gguf'));
    expect((await failure(exportRun({ run_dir: h.runDir, format: 'gguf', out: h.out }, h.deps))).message).toMatch(/no adapter\.gguf/);
  });

  it('--merge: a missing Python and a failing merge are one clear line each; nothing is left behind', async () => {
    const f = fixture();
    const missing = await failure(exportRun({ run_dir: f.runDir, format: 'ollama', out: f.out, merge: true }, { ...f.deps, python: '/no/such/python' }));
    expect(missing.kind).toBe('merge');
    expect(missing.message).toBe("--merge: /no/such/python not found (the project's Python merges; run `make setup`)");
    // The stand-in files are no GGUF: the real merger refuses them.
    const broken = await failure(exportRun({ run_dir: f.runDir, format: 'ollama', out: f.out, merge: true }, f.deps));
    expect(broken.message).toMatch(/^--merge: the LoRA could not be merged: /);
    expect(broken.message.split('\n')).toHaveLength(1);
    expect(readdirSync(f.root).sort()).toEqual(['models', 'out', 'run']);
    expect(readdirSync(join(f.root, 'out'))).toEqual([]);
  });

});
