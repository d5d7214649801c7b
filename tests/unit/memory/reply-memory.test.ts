import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildMemoryIndex, memoryIndexText, parseMemoryIndex } from '../../../functions/memory/memory-index.ts';
import { AdapterError, resolveAdapter } from '../../../functions/reply/adapter-source.ts';
import { adapterMemory } from '../../../functions/reply/open-reply-stack.ts';
import { RecentReplies } from '../../../functions/reply/guardrails/recent-replies.ts';
import { InferenceLogRecord, memoryLogSink } from '../../../functions/reply/inference-log.ts';
import { ReplyResponse } from '../../../functions/reply/reply-schemas.ts';
import { createReplyService } from '../../../functions/reply/reply-service.ts';
import { loadPromptSpec, renderPrompt } from '../../../functions/prompt/prompt-spec.ts';
import { toReplyResponse } from '../../../web/serve/serve-server.ts';
import { stubEngine } from '../reply/stub-engine.ts';

const spec = loadPromptSpec();
const guardrails = { toxicity: null, banned: null, scrubViewerNames: null, maxChars: 200, recent: new RecentReplies(50), maxRegenerations: 2 };
const memory = parseMemoryIndex(memoryIndexText(buildMemoryIndex('ds-x', [
  { pair_id: 'p1', vod_id: 'v1', offset_ms: 1000, context: 'the penguin jumped into the lava', reply: 'rip penguin' },
  { pair_id: 'p2', vod_id: 'v1', offset_ms: 2000, context: 'thank you for the subs', reply: 'o7' },
])));

describe('replies with the voice memory', () => {
  it('puts the recalled moments in the prompt, returns them and logs their ids', async () => {
    const engine = stubEngine(() => 'LUL');
    const log = memoryLogSink();
    const service = createReplyService({ engine, spec, guardrails, log, memory });
    const outcome = await service.reply({ context: 'penguin  is back', n: 1, seed: 1, stop: [], endpoint: 'reply' });
    const memories = [{ pair_id: 'p1', context: 'the penguin jumped into the lava', reply: 'rip penguin' }];
    expect(engine.requests[0]!.prompt).toBe(renderPrompt(spec.spec, 'penguin  is back', memories));
    expect(engine.requests[0]!.prompt).toContain('chat said "rip penguin"');
    expect(outcome.memories).toEqual([expect.objectContaining(memories[0])]);
    expect(ReplyResponse.parse(toReplyResponse(outcome)).memories?.map((m) => m.pair_id)).toEqual(['p1']);
    expect(InferenceLogRecord.parse(log.records[0])).toMatchObject({ memory: { sha256: memory.sha256, pair_ids: ['p1'] } });
  });

  it('without an index: the dougpt-chat/1 prompt, no memories field, nothing logged about memory', async () => {
    const engine = stubEngine(() => 'LUL');
    const log = memoryLogSink();
    const outcome = await createReplyService({ engine, spec, guardrails, log }).reply({ context: 'the penguin is back', n: 1, seed: 1, stop: [], endpoint: 'reply' });
    expect(engine.requests[0]!.prompt).toBe(renderPrompt(spec.spec, 'the penguin is back'));
    expect(outcome).not.toHaveProperty('memories');
    expect(log.records[0]).not.toHaveProperty('memory');
  });
});

describe('the voice memory travels with the adapter trained with it', () => {
  const runFolder = (name: string, record: object, memoryText?: string) => {
    const dir = join(mkdtempSync(join(tmpdir(), 'dougpt-memrun-')), name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'adapter.gguf'), 'GGUF');
    writeFileSync(join(dir, 'run.json'), JSON.stringify({ run_id: name, base: { name: 'b' }, ...record }));
    if (memoryText !== undefined) writeFileSync(join(dir, 'memory.json'), memoryText);
    return dir;
  };
  const text = memoryIndexText(buildMemoryIndex('ds-x', [
    { pair_id: 'p1', vod_id: 'v1', offset_ms: 1000, context: 'the penguin jumped into the lava', reply: 'rip penguin' },
  ]));

  it('loads the index copied beside the adapter, checked against the hash training recorded', () => {
    const sha256 = parseMemoryIndex(text).sha256;
    const adapter = resolveAdapter(runFolder('with-memory', { memory: { sha256, file: 'memory.json' } }, text));
    expect(adapter.memory).toEqual({ sha256, path: join(dirname(adapter.gguf), 'memory.json') });
    expect(adapterMemory(adapter, spec)?.sha256).toBe(sha256);
    expect(adapterMemory(resolveAdapter(runFolder('without', {})), spec)).toBeNull();
    expect(adapterMemory(null, spec)).toBeNull();
    const altered = resolveAdapter(runFolder('altered', { memory: { sha256, file: 'memory.json' } }, text.replace('rip penguin', 'rip pengu')));
    expect(() => adapterMemory(altered, spec)).toThrow(AdapterError);
    expect(() => adapterMemory(altered, spec)).toThrow(/voice memory .* hashes to .*, not the .* it was trained with/);
    const missing = resolveAdapter(runFolder('missing', { memory: { sha256, file: 'memory.json' } }));
    expect(() => adapterMemory(missing, spec)).toThrow(/its voice memory/);
  });

  it('swaps with the adapter: the service renders with whichever index it holds', async () => {
    const engine = stubEngine(() => 'LUL');
    const service = createReplyService({ engine, spec, guardrails, log: memoryLogSink() });
    expect((await service.reply({ context: 'penguin is back', n: 1, seed: 1, stop: [], endpoint: 'reply' })).memories).toBeUndefined();
    service.useMemory(memory);
    const outcome = await service.reply({ context: 'penguin is back', n: 1, seed: 1, stop: [], endpoint: 'reply' });
    expect(outcome.memories?.map((m) => m.pair_id)).toEqual(['p1']);
    expect(engine.requests.at(-1)!.prompt).toBe(service.prompt({ context: 'penguin is back' }).prompt);
    service.useMemory(null);
    expect(service.prompt({ context: 'penguin is back' }).recalled).toEqual([]);
  });

  it("a simulated moment never recalls its own VOD's chat near it", () => {
    const service = createReplyService({ engine: stubEngine(() => 'LUL'), spec, guardrails, log: memoryLogSink(), memory });
    expect(service.prompt({ context: 'penguin', vod_id: 'v1', offset_ms: 30_000 }).recalled).toEqual([]);
    expect(service.prompt({ context: 'penguin', vod_id: 'v1', offset_ms: 30 * 60_000 }).recalled.map((m) => m.pair_id)).toEqual(['p1']);
    expect(service.prompt({ context: 'penguin', vod_id: 'v2', offset_ms: 1000 }).recalled.map((m) => m.pair_id)).toEqual(['p1']);
  });
});
