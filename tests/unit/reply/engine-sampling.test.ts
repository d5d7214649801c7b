import { describe, expect, it } from 'vitest';
import type { Token } from 'node-llama-cpp';
import { firstStop, penaltiesOf } from '../../../functions/reply/generation-steps.ts';
import type { GenerateRequest } from '../../../functions/reply/reply-engine.ts';

const request: GenerateRequest = { prompt: 'p', maxTokens: 24, temperature: 0.8, topP: 0.95, seed: 1, stop: [] };

describe('penalties handed to node-llama-cpp', () => {
  it('none unless the request sets one that does something', () => {
    expect(penaltiesOf(request, () => [])).toBeNull();
    expect(penaltiesOf({ ...request, presencePenalty: 0, frequencyPenalty: 0, repeatPenalty: 1 }, () => [])).toBeNull();
  });
  it("punish the reply's own tokens, every one of them (the window is the token budget)", () => {
    const out = [1, 2, 2] as Token[];
    const penalties = penaltiesOf({ ...request, frequencyPenalty: 1.5 }, () => out)!;
    expect(penalties).toMatchObject({ maxPunishTokens: 24, penalty: 1, presencePenalty: 0, frequencyPenalty: 1.5 });
    expect(typeof penalties.punishTokens === 'function' ? penalties.punishTokens() : penalties.punishTokens).toBe(out);
    expect(penaltiesOf({ ...request, repeatPenalty: 1.3 }, () => [])).toMatchObject({ penalty: 1.3, presencePenalty: 0, frequencyPenalty: 0 });
  });
});

describe('stop strings', () => {
  it('cut at the earliest of them', () => {
    expect(firstStop('gg wp<|im_end|>\nmore', ['\n', '<|im_end|>'])).toBe(5);
    expect(firstStop('no stop here', ['\n'])).toBe(-1);
  });
});
