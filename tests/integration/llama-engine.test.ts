import { readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveBaseModel } from '../../functions/reply/base-model.ts';
import { createLlamaEngine } from '../../functions/reply/llama-engine.ts';
import type { GenerateRequest } from '../../functions/reply/reply-engine.ts';

/**
 * The lockstep engine on the real embedded model: a sample of a prompt whose sequence has moved on
 * (a simulation's redraw) loads the prompt's saved evaluation instead of evaluating it again, the
 * text still repeats for the same requests, and closing the engine removes the saved states.
 */
const base = await resolveBaseModel();
if (!base) process.stderr.write('llama-engine test: skipped: no base model GGUF (run `make setup`)\n');

const PREFIX = '<|im_start|>system\nYou are Twitch chat. Reply with one short chat message.<|im_end|>\n';
const prompt = (context: string) => `${PREFIX}<|im_start|>user\n${context}<|im_end|>\n<|im_start|>assistant\n`;
const request = (context: string, seed: number): GenerateRequest => ({ prompt: prompt(context), maxTokens: 8, temperature: 0.8, topP: 0.95, seed, stop: [] });
const CONTEXTS = ['okay chat we are going left this time', 'nobody touch the lava please', 'is that a golden pickle', 'we did it we beat the boss'];
const statesDirs = () => readdirSync(tmpdir()).filter((name) => name.startsWith('dougpt-prompt-states-'));

describe.skipIf(!base)('lockstep engine: saved prompt evaluations', () => {
  const run = async (options: { loseStates?: boolean } = {}) => {
    const existing = statesDirs();
    const engine = await createLlamaEngine({ base: base!, parallel: 2, schedule: 'lockstep', promptPrefix: () => PREFIX });
    const dirs = statesDirs();
    try {
      const first = CONTEXTS.map((context, i) => request(context, i + 1));
      await engine.prefetch?.(first);
      const texts = await Promise.all(first.map(async (r) => (await engine.generate(r)).text));
      if (options.loseStates) {
        for (const dir of dirs.filter((d) => !existing.includes(d))) {
          for (const file of readdirSync(join(tmpdir(), dir))) rmSync(join(tmpdir(), dir, file));
        }
      }
      // Both sequences now hold the last two prompts: another sample of the first loads its saved evaluation.
      const again = await engine.generate(request(CONTEXTS[0] as string, 99));
      return { texts: [...texts, again.text], reuse: engine.promptReuse?.(), dirs };
    } finally {
      await engine.close();
    }
  };

  it('loads a prompt its sequence no longer holds, repeats the text, and removes the states on close', async () => {
    const before = statesDirs();
    const a = await run();
    expect(a.reuse).toEqual({ evaluated: 4, held: 0, loaded: 1 });
    expect(a.dirs.filter((d) => !before.includes(d))).toHaveLength(1);
    expect(statesDirs().filter((d) => !before.includes(d))).toEqual([]);
    const b = await run();
    expect(b.texts).toEqual(a.texts);
    expect(a.texts.join('').length).toBeGreaterThan(0);
  }, 120_000);

  it('a saved state that is gone only costs the shortcut: the prompt is evaluated again', async () => {
    const lost = await run({ loseStates: true });
    expect(lost.reuse).toEqual({ evaluated: 5, held: 0, loaded: 0 });
    expect(lost.texts).toHaveLength(5);
    expect(lost.texts.slice(0, 4).join('').length).toBeGreaterThan(0);
  }, 120_000);
});
