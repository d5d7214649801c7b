import { describe, expect, it } from 'vitest';
import { buildMemoryIndex, memoryIndexText, parseMemoryIndex } from '../../../functions/memory/memory-index.ts';
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
