import { describe, expect, it } from 'vitest';
import { createBannedPhrases } from '../../../functions/reply/guardrails/banned-phrases.ts';
import type { Guardrails } from '../../../functions/reply/guardrails/guardrails.ts';
import { RecentReplies } from '../../../functions/reply/guardrails/recent-replies.ts';
import { InferenceLogRecord, memoryLogSink } from '../../../functions/reply/inference-log.ts';
import { createParityCheck } from '../../../functions/reply/prompt-parity.ts';
import { ReplyMetrics } from '../../../functions/reply/reply-metrics.ts';
import { createReplyService, sampleSeed } from '../../../functions/reply/reply-service.ts';
import { loadPromptSpec, promptHash, renderPrompt } from '../../../functions/prompt/prompt-spec.ts';
import { SMOLLM2_TEMPLATE, stubEngine } from './stub-engine.ts';

const spec = loadPromptSpec();
const guardrails = (over: Partial<Guardrails> = {}): Guardrails => ({
  toxicity: null,
  banned: null,
  scrubViewerNames: null,
  maxChars: 200,
  recent: new RecentReplies(50),
  maxRegenerations: 2,
  ...over,
});

describe('reply service', () => {
  it('renders the prompt with the prompt spec and logs its version and hash', async () => {
    const engine = stubEngine((r) => `reply ${r.seed}`);
    const log = memoryLogSink();
    const service = createReplyService({ engine, spec, guardrails: guardrails(), log });
    const outcome = await service.reply({ context: 'we  are so back', n: 2, seed: 7, stop: [], endpoint: 'reply', client: '127.0.0.1' });
    const prompt = renderPrompt(spec.spec, 'we  are so back');
    expect(engine.requests.map((r) => r.prompt)).toEqual([prompt, prompt]);
    expect(outcome.prompt_spec).toEqual({ version: spec.spec.version, sha256: spec.sha256, prompt_hash: promptHash(prompt) });
    expect(outcome.replies).toEqual([`reply ${sampleSeed(7, 0, 0)}`, `reply ${sampleSeed(7, 1, 0)}`]);
    expect(sampleSeed(7, 0, 0)).toBe(7);
    const [record] = log.records;
    expect(InferenceLogRecord.parse(record)).toMatchObject({
      endpoint: 'reply',
      prompt_spec: { version: spec.spec.version, sha256: spec.sha256 },
      prompt_hash: promptHash(prompt),
      adapter: { run_id: null },
      params: { n: 2, seed: 7, seeded: true, max_tokens: spec.spec.reply.max_tokens },
      replies: outcome.replies,
      status: 'ok',
    });
    expect(record!.client).not.toContain('127.0.0.1');
    expect(JSON.stringify(record)).not.toContain('so back');
  });

  it('samples a banned reply again, then drops it after the regeneration budget', async () => {
    // Reply 0 is always banned; reply 1 is banned on its first sample only.
    const engine = stubEngine((r) => (r.seed === sampleSeed(1, 1, 1) ? 'fine reply' : r.seed === sampleSeed(1, 1, 0) ? 'gg bad' : 'gg always'));
    const metrics = new ReplyMetrics();
    const service = createReplyService({ engine, spec, guardrails: guardrails({ banned: createBannedPhrases(['gg']) }), log: memoryLogSink(), metrics });
    const outcome = await service.reply({ context: 'x', n: 2, seed: 1, stop: [], endpoint: 'reply' });
    expect(outcome.replies).toEqual(['fine reply']);
    expect(outcome.choices.map((c) => c.finish_reason)).toEqual(['content_filter', 'stop']);
    expect(outcome.guardrail_actions).toEqual([
      { guardrail: 'banned_phrase', action: 'regenerate', index: 0, attempt: 0, detail: 'gg' },
      { guardrail: 'banned_phrase', action: 'regenerate', index: 1, attempt: 0, detail: 'gg' },
      { guardrail: 'banned_phrase', action: 'regenerate', index: 0, attempt: 1, detail: 'gg' },
      { guardrail: 'banned_phrase', action: 'drop', index: 0, attempt: 2, detail: 'gg' },
    ]);
    expect(engine.requests).toHaveLength(5);
    expect(metrics.snapshot()).toMatchObject({ replies: 1, replies_dropped: 1 });
  });

  it('gives the same replies to the same seeded request, even though they were just served', async () => {
    const engine = stubEngine((r) => `same ${r.seed % 3}`);
    const service = createReplyService({ engine, spec, guardrails: guardrails(), log: memoryLogSink() });
    const call = { context: 'same', n: 1, seed: 99, stop: [], endpoint: 'reply' as const };
    const first = await service.reply(call);
    const second = await service.reply(call);
    expect(second.replies).toEqual(first.replies);
    expect(second.guardrail_actions).toEqual([]);
    // Another request that lands on the same text is a repeat.
    const other = await service.reply({ ...call, context: 'different' });
    expect(other.guardrail_actions[0]).toMatchObject({ guardrail: 'repetition', action: 'regenerate' });
  });

  it('logs a failed request and rethrows', async () => {
    const engine = stubEngine(() => {
      throw new Error('engine down');
    });
    const log = memoryLogSink();
    const service = createReplyService({ engine, spec, guardrails: guardrails(), log });
    await expect(service.reply({ context: 'x', n: 1, stop: [], endpoint: 'cli' })).rejects.toThrow('engine down');
    expect(log.records[0]).toMatchObject({ status: 'error', error: 'engine down', params: { seeded: false } });
  });

  it('counts the shadow parity check in the metrics', async () => {
    const metrics = new ReplyMetrics();
    const parity = createParityCheck({ spec, trainedSpec: () => null, chatTemplate: SMOLLM2_TEMPLATE, sampleRate: 1 });
    const service = createReplyService({ engine: stubEngine(() => 'ok'), spec, guardrails: guardrails({ recent: null }), log: memoryLogSink(), metrics, parity });
    for (let i = 0; i < 3; i++) await service.reply({ context: `ctx ${i}`, n: 1, stop: [], endpoint: 'reply' });
    await expect.poll(() => metrics.parityChecks).toBe(3);
    expect(metrics.parityMismatches).toBe(0);
  });
});

describe('prompt parity check', () => {
  const check = createParityCheck({ spec, trainedSpec: () => null, chatTemplate: SMOLLM2_TEMPLATE, sampleRate: 1 });
  it("agrees with renderPrompt through the model's own chat template, long and empty contexts included", async () => {
    const long = Array.from({ length: 200 }, (_, i) => `w${i}`).join('  \n ');
    for (const context of ['okay chat', '', '   ', long, 'quotes " and {context} and \\n']) {
      expect(await check.check(context, renderPrompt(spec.spec, context)), context.slice(0, 20)).toEqual({ match: true });
    }
  });
  it('reports a prompt that training would not have rendered', async () => {
    const served = renderPrompt(spec.spec, 'hello').replace('Streamer:', 'Streamer said:');
    const result = await check.check('hello', served);
    expect(result.match).toBe(false);
    expect(result.detail).toMatch(/renders differ at character \d+/);
  });
  it("compares against the served adapter's trained spec, not the server's own", async () => {
    const prompt = renderPrompt(spec.spec, 'x');
    const same = createParityCheck({ spec, trainedSpec: () => ({ version: spec.spec.version, sha256: spec.sha256 }), chatTemplate: SMOLLM2_TEMPLATE, sampleRate: 1 });
    expect(await same.check('x', prompt)).toEqual({ match: true });
    const other = createParityCheck({ spec, trainedSpec: () => ({ version: 'dougpt-chat/0', sha256: 'f'.repeat(64) }), chatTemplate: SMOLLM2_TEMPLATE, sampleRate: 1 });
    expect((await other.check('x', prompt)).detail).toBe(`the adapter was trained with prompt spec dougpt-chat/0 (ffffffffffff…), the server renders ${spec.spec.version} (${spec.sha256.slice(0, 12)}…)`);
    const byVersion = createParityCheck({ spec, trainedSpec: () => ({ version: 'dougpt-chat/0' }), chatTemplate: null, sampleRate: 1 });
    expect((await byVersion.check('x', prompt)).match).toBe(false);
    const altered = createParityCheck({ spec: { text: spec.text.replace('Streamer:', 'Streamer said:'), sha256: spec.sha256 }, trainedSpec: () => null, chatTemplate: null, sampleRate: 1 });
    expect((await altered.check('x', prompt)).detail).toMatch(/hashes to .*not to the/);
  });
  it('without a template, checks against ChatML rendered by its own code', async () => {
    const plain = createParityCheck({ spec, trainedSpec: () => null, chatTemplate: null, sampleRate: 1 });
    expect(await plain.check('abc', renderPrompt(spec.spec, 'abc'))).toEqual({ match: true });
  });
});
