import { describe, expect, it } from 'vitest';
import {
  ChatCompletionChunk,
  ChatCompletionRequest,
  ChatCompletionResponse,
  fromChatCompletion,
  ReplyRequest,
  ReplyResponse,
} from '../../../functions/reply/reply-schemas.ts';
import type { ReplyOutcome } from '../../../functions/reply/reply-service.ts';
import { toChatCompletion, toChunks, toReplyResponse } from '../../../web/serve/serve-server.ts';

const outcome: ReplyOutcome = {
  id: 'abc',
  choices: [
    { index: 0, text: 'LUL what a jump', finish_reason: 'stop' },
    { index: 1, text: null, finish_reason: 'content_filter' },
  ],
  replies: ['LUL what a jump'],
  guardrail_actions: [{ guardrail: 'toxicity', action: 'drop', index: 1, attempt: 3, detail: 'fuck' }],
  adapter: { run_id: 'run-1', gguf: '/runs/1/adapter.gguf', base: { name: 'smollm2-135m', gguf: '/m.gguf' } },
  prompt_spec: { version: 'dougpt-chat/1', sha256: 'f'.repeat(64), prompt_hash: 'a'.repeat(16) },
  usage: { prompt_tokens: 59, completion_tokens: 5 },
  latency_ms: 81.5,
};

describe('chat completion requests', () => {
  it('accepts what OpenAI clients send, extra fields included, and takes the last user message as the context', () => {
    const request = ChatCompletionRequest.parse({
      model: 'gpt-4o-mini',
      messages: [
        { role: 'system', content: 'be nice' },
        { role: 'user', content: 'first' },
        { role: 'assistant', content: 'ok' },
        { role: 'user', content: [{ type: 'text', text: 'we did ' }, { type: 'image_url', image_url: { url: 'x' } }, { type: 'text', text: 'it' }] },
      ],
      max_tokens: 24,
      temperature: 0,
      seed: 3,
      stop: '\n',
      n: 2,
      stream: true,
      stream_options: { include_usage: true },
      frequency_penalty: null,
    });
    expect(fromChatCompletion(request)).toEqual({ context: 'we did it', n: 2, seed: 3, temperature: 0, top_p: undefined, max_tokens: 24, stop: ['\n'] });
  });
  it('prefers max_completion_tokens and defaults n to 1', () => {
    const request = ChatCompletionRequest.parse({ messages: [{ role: 'user', content: 'x' }], max_tokens: 100, max_completion_tokens: 10 });
    expect(fromChatCompletion(request)).toMatchObject({ n: 1, max_tokens: 10, stop: [] });
  });
  it.each([
    [{ messages: [] }, 'messages'],
    [{ messages: [{ role: 'system', content: 'only a system turn' }] }, 'messages'],
    [{ messages: [{ role: 'user', content: 'x' }], n: 9 }, 'n'],
    [{ messages: [{ role: 'user', content: 'x' }], temperature: 3 }, 'temperature'],
    [{ messages: [{ role: 'user', content: 'x' }], max_tokens: 0 }, 'max_tokens'],
    [{ messages: [{ role: 'user', content: 'x' }], seed: -1 }, 'seed'],
    [{ messages: [{ role: 'user', content: 'x' }], stop: ['a', 'b', 'c', 'd', 'e'] }, 'stop'],
    [{ messages: [{ role: 'robot', content: 'x' }] }, 'messages'],
  ])('rejects %j naming %s', (body, field) => {
    const result = ChatCompletionRequest.safeParse(body);
    expect(result.success).toBe(false);
    expect(result.error!.issues[0]!.path[0]).toBe(field);
  });
});

describe('/v1/reply requests', () => {
  it('defaults n and normalises stop', () => {
    expect(ReplyRequest.parse({ context: 'x' })).toEqual({ context: 'x', n: 1, stop: [] });
    expect(ReplyRequest.parse({ context: 'x', stop: 'END' }).stop).toEqual(['END']);
  });
  it('rejects unknown fields and a missing context', () => {
    expect(ReplyRequest.safeParse({ context: 'x', bogus: 1 }).success).toBe(false);
    expect(ReplyRequest.safeParse({ n: 1 }).success).toBe(false);
  });
});

describe('responses', () => {
  it('a completion is a valid OpenAI response; a dropped reply is empty with finish_reason content_filter', () => {
    const response = ChatCompletionResponse.parse(toChatCompletion(outcome, 'dougpt'));
    expect(response.choices.map((c) => [c.message.content, c.finish_reason])).toEqual([
      ['LUL what a jump', 'stop'],
      ['', 'content_filter'],
    ]);
    expect(response.usage.total_tokens).toBe(64);
    expect(response.dougpt.guardrail_actions).toHaveLength(1);
  });
  it('stream chunks are valid and concatenate to the reply', () => {
    const chunks = toChunks(outcome, 'dougpt').map((c) => ChatCompletionChunk.parse(c));
    const text = chunks.flatMap((c) => c.choices.filter((x) => x.index === 0).map((x) => x.delta.content ?? '')).join('');
    expect(text).toBe('LUL what a jump');
    expect(chunks[0]!.choices[0]!.delta.role).toBe('assistant');
    expect(chunks.at(-1)!.choices).toEqual([]);
    expect(chunks.at(-1)!.dougpt!.adapter.run_id).toBe('run-1');
  });
  it('/v1/reply response carries replies, actions, adapter and prompt spec', () => {
    expect(ReplyResponse.parse(toReplyResponse(outcome))).toMatchObject({ replies: ['LUL what a jump'], adapter: { run_id: 'run-1' }, prompt_spec: { version: 'dougpt-chat/1' } });
  });
});
