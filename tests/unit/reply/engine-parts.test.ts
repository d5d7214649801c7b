import { existsSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AsReadyPool } from '../../../functions/reply/as-ready-pool.ts';
import { LockstepPool } from '../../../functions/reply/lockstep-pool.ts';
import { PromptStates } from '../../../functions/reply/prompt-states.ts';
import type { Generation, GenerateRequest } from '../../../functions/reply/reply-engine.ts';
import type { AdapterInfo } from '../../../functions/reply/reply-schemas.ts';
import type { GenerationSteps } from '../../../functions/reply/sequence-pool.ts';
import { serializeSampling } from '../../../functions/reply/serialize-sampling.ts';

/**
 * The engine's parts on plain objects, without the native addon: the two batching schedules, the
 * saved prompt states and the serial-sampling wrapper. tests/integration/llama-engine.test.ts runs
 * them together on the real model.
 */
const info: AdapterInfo = { run_id: null, gguf: null, base: { name: 'stub', gguf: '/stub.gguf' } };
const request = (prompt: string, seed = 0): GenerateRequest => ({ prompt, maxTokens: 4, temperature: 0, topP: 1, seed, stop: [] });

/** Steps that log `sequence:prompt#step` for each of `length` steps, then return the sequence's name. */
function loggingSteps(log: string[], length: number) {
  return async function* (sequence: { name: string }, r: GenerateRequest): GenerationSteps {
    for (let i = 0; i < length; i++) {
      log.push(`${sequence.name}:${r.prompt}#${i}`);
      await new Promise((resolve) => setImmediate(resolve));
      yield;
    }
    return { text: `${sequence.name}:${r.prompt}`, promptTokens: 1, completionTokens: length, finishReason: 'stop', adapter: info } satisfies Generation;
  };
}

describe('as-ready pool', () => {
  it('runs on free sequences, queues the rest in arrival order, and is disposed after its last generation once retired', async () => {
    const log: string[] = [];
    let released = 0;
    const pool = new AsReadyPool([{ name: 's0' }, { name: 's1' }], info, loggingSteps(log, 2), async () => released++);
    const runs = ['a', 'b', 'c'].map((p) => pool.run(request(p)));
    pool.retire();
    expect(released).toBe(0);
    const texts = (await Promise.all(runs)).map((g) => g.text);
    expect(texts.slice(0, 2).sort()).toEqual(['s0:b', 's1:a']);
    expect(texts[2]).toMatch(/^s[01]:c$/);
    expect(log.findIndex((l) => l.includes(':c#'))).toBeGreaterThan(log.findIndex((l) => l.endsWith('#1')));
    await pool.disposed;
    expect(released).toBe(1);
  });
});

describe('lockstep pool', () => {
  it('advances sequences in steps, lowest first; another sample of a held prompt waits for its sequence', async () => {
    const log: string[] = [];
    const pool = new LockstepPool([{ name: 's0' }, { name: 's1' }], info, loggingSteps(log, 2), async () => undefined);
    const texts = (await Promise.all([pool.run(request('a', 1)), pool.run(request('a', 2)), pool.run(request('b', 3))])).map((g) => g.text);
    // The second sample of `a` waits for s0, which holds `a`; `b` takes s1 at once.
    expect(texts).toEqual(['s0:a', 's0:a', 's1:b']);
    expect(log).toEqual(['s0:a#0', 's1:b#0', 's0:a#1', 's1:b#1', 's0:a#0', 's0:a#1']);
    pool.retire();
    await pool.disposed;
  });

  it('a failed generation rejects its own request only', async () => {
    const pool = new LockstepPool([{ name: 's0' }], info, async function* (_s, r): GenerationSteps {
      yield;
      if (r.prompt === 'bad') throw new Error('evaluation failed');
      return { text: r.prompt, promptTokens: 1, completionTokens: 1, finishReason: 'stop', adapter: info };
    }, async () => undefined);
    const [bad, good] = await Promise.allSettled([pool.run(request('bad')), pool.run(request('good'))]);
    expect(bad).toMatchObject({ status: 'rejected', reason: new Error('evaluation failed') });
    expect(good).toMatchObject({ status: 'fulfilled', value: { text: 'good' } });
  });
});

describe('saved prompt states', () => {
  const sequence = { saveStateToFile: async (file: string) => writeFileSync(file, 'state') };

  it('keeps the newest `limit`, a take marks a prompt as just used, and close removes every file', async () => {
    const states = await PromptStates.open(2);
    await states.save(sequence, 'a');
    await states.save(sequence, 'b');
    const a = states.take('a')!;
    await states.save(sequence, 'c');
    expect(states.take('b')).toBeNull();
    expect(states.take('a')).toBe(a);
    expect(existsSync(a)).toBe(true);
    states.forget('a');
    expect(states.take('a')).toBeNull();
    const c = states.take('c')!;
    await states.close();
    expect(existsSync(c)).toBe(false);
  });

  it('a failed save only loses the shortcut', async () => {
    const states = await PromptStates.open(2);
    await states.save({ saveStateToFile: async () => Promise.reject(new Error('disk full')) }, 'a');
    expect(states.take('a')).toBeNull();
    await states.close();
  });
});

describe('serial sampling', () => {
  it('runs one sampleToken at a time, in call order, whatever each takes', async () => {
    const events: string[] = [];
    const addon = {
      async sampleToken(id: number, ms: number) {
        events.push(`start ${id}`);
        await new Promise((resolve) => setTimeout(resolve, ms));
        events.push(`end ${id}`);
        return id;
      },
    };
    const context = { _ctx: addon };
    serializeSampling(context);
    const results = await Promise.all([addon.sampleToken(1, 20), addon.sampleToken(2, 1), addon.sampleToken(3, 5)]);
    expect(results).toEqual([1, 2, 3]);
    expect(events).toEqual(['start 1', 'end 1', 'start 2', 'end 2', 'start 3', 'end 3']);
    expect(() => serializeSampling({})).toThrow(/no sampleToken/);
  });
});
