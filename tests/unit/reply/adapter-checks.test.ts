import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { loadPromptSpec } from '../../../functions/prompt/prompt-spec.ts';
import { checkAdapter, promptSpecNotice } from '../../../functions/reply/adapter-checks.ts';
import { AdapterError, resolveAdapter, type AdapterSource } from '../../../functions/reply/adapter-source.ts';
import { followAdapterSource } from '../../../functions/reply/follow-adapter.ts';
import type { AdapterRef } from '../../../functions/reply/reply-engine.ts';
import { ReplyMetrics } from '../../../functions/reply/reply-metrics.ts';
import { REPO_ROOT } from '../../../infra/paths.ts';
import { openStackFromFlags } from '../../../cli/commands/reply.ts';
import { UserError } from '../../../cli/errors.ts';
import { stubEngine } from './stub-engine.ts';

const spec = loadPromptSpec();
const base = { name: 'smollm2-135m', gguf: '/m.gguf', sha256: 'b'.repeat(64) };
const OTHER = { version: 'dougpt-chat/0', sha256: 'f'.repeat(64) };

/** A training run folder whose run.json records `promptSpec` (omitted: none). */
function runFolder(root: string, runId: string, promptSpec?: object): string {
  const dir = join(root, runId);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'adapter.gguf'), 'GGUF');
  writeFileSync(join(dir, 'run.json'), JSON.stringify({ run_id: runId, base: { name: 'smollm2-135m' }, ...(promptSpec ? { prompt_spec: promptSpec } : {}) }));
  return dir;
}

describe('an adapter is served only with the prompt spec it was trained with', () => {
  const root = mkdtempSync(join(tmpdir(), 'adapter-checks-'));
  const same = runFolder(root, 'run-same', { version: spec.spec.version, sha256: spec.sha256 });
  const other = runFolder(root, 'run-other', OTHER);

  it('reads the trained spec from run.json', () => {
    expect(resolveAdapter(same).prompt_spec).toEqual({ version: spec.spec.version, sha256: spec.sha256 });
    expect(resolveAdapter(runFolder(root, 'run-none')).prompt_spec).toBeUndefined();
  });

  it('refuses another spec in one line naming both versions; accepts the same one, or none recorded with a notice', () => {
    expect(() => checkAdapter(resolveAdapter(same), { base, spec })).not.toThrow();
    expect(() => checkAdapter(null, { base, spec })).not.toThrow();
    let error: unknown;
    try {
      checkAdapter(resolveAdapter(other), { base, spec });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(AdapterError);
    const message = (error as Error).message;
    expect(message).not.toContain('\n');
    expect(message).toContain('prompt spec dougpt-chat/0 (sha256 ffffffffffff…)');
    expect(message).toContain(`prompt spec ${spec.spec.version} (sha256 ${spec.sha256.slice(0, 12)}…)`);
    // Only a version recorded: compared by version.
    expect(() => checkAdapter({ run_id: 'r', gguf: '/r.gguf', prompt_spec: { version: 'dougpt-chat/0' } }, { base, spec })).toThrow(/prompt spec dougpt-chat\/0, but/);
    const none = resolveAdapter(join(root, 'run-none'));
    expect(() => checkAdapter(none, { base, spec })).not.toThrow();
    expect(promptSpecNotice(none, spec)).toMatch(/names no prompt spec/);
    expect(promptSpecNotice(resolveAdapter(same), spec)).toBeNull();
  });

  it('still refuses another base', () => {
    expect(() => checkAdapter({ run_id: 'r', gguf: '/r.gguf', base: { name: 'qwen2.5-1.5b' } }, { base, spec })).toThrow(/trained on base qwen2.5-1.5b, but the server runs smollm2-135m/);
  });

  it('the hot swap keeps the current adapter and records why it refused one', async () => {
    let current: AdapterRef | null = resolveAdapter(same);
    let changed: () => void = () => undefined;
    const source: AdapterSource = { describe: 'test', current: async () => current, watch: (onChange) => ((changed = onChange), () => undefined) };
    const engine = stubEngine(() => 'x');
    const metrics = new ReplyMetrics();
    const notices: string[] = [];
    const swapped: (string | null)[] = [];
    followAdapterSource({ source, engine, metrics, check: (a) => checkAdapter(a, { base, spec }), onSwap: (a) => swapped.push(a?.run_id ?? null), notice: (l) => notices.push(l) });
    changed();
    await expect.poll(() => engine.adapter.run_id).toBe('run-same');
    current = resolveAdapter(other);
    changed();
    await expect.poll(() => metrics.adapterRefusals).toBe(1);
    expect(engine.adapter.run_id).toBe('run-same');
    expect(metrics.lastAdapterRefusal).toMatchObject({ run_id: 'run-other', reason: expect.stringContaining('prompt spec dougpt-chat/0') });
    expect(metrics.render()).toMatch(/dougpt_adapter_refusals_total 1/);
    expect(notices.at(-1)).toMatch(/^adapter not swapped, still serving run-same: .*prompt spec/);
    expect(swapped).toEqual(['run-same']);
    expect(metrics.adapterSwaps).toBe(1);
  });

  it('dougpt reply, serve and mcp refuse it with the reason, exit 2', async () => {
    const reason = new RegExp(`trained with prompt spec dougpt-chat/0 .*but the server renders prompt spec ${spec.spec.version.replace('/', '\\/')} `);
    const home = mkdtempSync(join(tmpdir(), 'adapter-checks-home-'));
    // The three commands open their model through openStackFromFlags; one of them end to end.
    const error = await openStackFromFlags({ adapter: other, maxRegenerations: '3' }, { home }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).exitCode).toBe(2);
    expect((error as UserError).message).toMatch(reason);
    const cli = join(REPO_ROOT, 'bin', 'dougpt.js');
    const serve = await execa(process.execPath, [cli, 'serve', '--adapter', other, '--port', '0'], { reject: false, env: { DOUGPT_HOME: home, DOUGPT_REGISTRY: 'off' } });
    expect(serve.exitCode, serve.stderr).toBe(2);
    expect(serve.stderr.trim()).toMatch(new RegExp(`^dougpt: \\S+adapter\\.gguf: ${reason.source}`));
  });
});
