import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Guardrails } from '../../../functions/reply/guardrails/guardrails.ts';
import { memoryLogSink } from '../../../functions/reply/inference-log.ts';
import { ReplyMetrics } from '../../../functions/reply/reply-metrics.ts';
import { createReplyService } from '../../../functions/reply/reply-service.ts';
import { loadPromptSpec } from '../../../functions/prompt/prompt-spec.ts';
import { ChatCompletionChunk, ModelList } from '../../../functions/reply/reply-schemas.ts';
import { isLoopback, ServeError, startReplyServer, type ReplyServer } from '../../../web/serve/serve-server.ts';
import { stubEngine } from './stub-engine.ts';

const guardrails: Guardrails = { toxicity: null, banned: null, scrubViewerNames: null, maxChars: 200, recent: null, maxRegenerations: 1 };

function stack() {
  const metrics = new ReplyMetrics();
  const service = createReplyService({ engine: stubEngine((r) => `hello chat ${r.seed}`), spec: loadPromptSpec(), guardrails, log: memoryLogSink(), metrics });
  return { service, metrics };
}

describe('reply server in front of the model', () => {
  let server: ReplyServer;
  let limited: ReplyServer;
  beforeAll(async () => {
    server = await startReplyServer(stack(), { port: 0, token: 'sekret', rateLimit: 1000 });
    limited = await startReplyServer(stack(), { port: 0, rateLimit: 2 });
  });
  afterAll(async () => {
    await server.close();
    await limited.close();
  });
  const post = (base: string, path: string, body: unknown, headers: Record<string, string> = { authorization: 'Bearer sekret' }) =>
    fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });

  it('needs the bearer token everywhere but /healthz', async () => {
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    const denied = await post(server.url, '/v1/reply', { context: 'x' }, {});
    expect(denied.status).toBe(401);
    expect(denied.headers.get('www-authenticate')).toBe('Bearer');
    expect((await post(server.url, '/v1/reply', { context: 'x' }, { authorization: 'Bearer wrong!' })).status).toBe(401);
    expect((await fetch(`${server.url}/metrics`)).status).toBe(401);
    expect((await post(server.url, '/v1/reply', { context: 'x' })).status).toBe(200);
  });

  it('answers 413 past 64 KiB, 400 for bad JSON or fields, 404 and 405', async () => {
    const big = await post(server.url, '/v1/reply', { context: 'x'.repeat(70 * 1024) });
    expect(big.status).toBe(413);
    const bad = await post(server.url, '/v1/reply', '{nope');
    expect(bad.status).toBe(400);
    const field = await post(server.url, '/v1/chat/completions', { messages: [{ role: 'user', content: 'x' }], n: 99 });
    expect(field.status).toBe(400);
    expect(await field.json()).toMatchObject({ error: { param: 'n', type: 'invalid_request_error' } });
    expect((await fetch(`${server.url}/v2/nothing`, { headers: { authorization: 'Bearer sekret' } })).status).toBe(404);
    expect((await fetch(`${server.url}/v1/reply`, { headers: { authorization: 'Bearer sekret' } })).status).toBe(405);
  });

  it('streams SSE chunks ending in [DONE]', async () => {
    const res = await post(server.url, '/v1/chat/completions', { messages: [{ role: 'user', content: 'go' }], stream: true, seed: 5 });
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    const events = (await res.text()).split('\n\n').filter((e) => e.length > 0);
    expect(events.every((e) => e.startsWith('data: '))).toBe(true);
    expect(events.at(-1)).toBe('data: [DONE]');
    const text = events.slice(0, -1).map((e) => JSON.parse(e.slice(6)) as { choices: { delta: { content?: string } }[] }).flatMap((c) => c.choices.map((x) => x.delta.content ?? '')).join('');
    expect(text).toBe('hello chat 5');
  });

  it('refuses a client past its rate with 429 and Retry-After, and counts it', async () => {
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 5; i++) {
      const res = await post(limited.url, '/v1/reply', { context: `x${i}` }, {});
      statuses.push(res.status);
      if (res.status === 429) retryAfter = res.headers.get('retry-after');
    }
    expect(statuses.slice(0, 2)).toEqual([200, 200]);
    expect(statuses).toContain(429);
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
    const metrics = await (await fetch(`${limited.url}/metrics`)).text();
    expect(metrics).toMatch(/dougpt_rate_limited_total [1-9]/);
  });
});

describe('OpenAI parameters', () => {
  const engine = stubEngine((r) => `hello chat ${r.seed}`);
  const metrics = new ReplyMetrics();
  let server: ReplyServer;
  beforeAll(async () => {
    server = await startReplyServer({ service: createReplyService({ engine, spec: loadPromptSpec(), guardrails, log: memoryLogSink(), metrics }), metrics }, { port: 0, rateLimit: 0 });
  });
  afterAll(async () => server.close());
  const complete = (extra: object) =>
    fetch(`${server.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ messages: [{ role: 'user', content: 'go' }], ...extra }) });

  it('hands top_k and the penalties to the engine; unset penalties stay unset', async () => {
    expect((await complete({ top_k: 5, presence_penalty: 0.5, frequency_penalty: 1.5, repeat_penalty: 1.3, seed: 1 })).status).toBe(200);
    expect(engine.requests.at(-1)).toMatchObject({ topK: 5, presencePenalty: 0.5, frequencyPenalty: 1.5, repeatPenalty: 1.3 });
    expect((await complete({ seed: 2 })).status).toBe(200);
    const plain = engine.requests.at(-1)!;
    expect(plain.topK).toBe(40);
    expect(['presencePenalty', 'frequencyPenalty', 'repeatPenalty'].filter((k) => k in plain)).toEqual([]);
    const reply = await fetch(`${server.url}/v1/reply`, { method: 'POST', body: JSON.stringify({ context: 'go', top_k: 1, frequency_penalty: 2 }) });
    expect(reply.status).toBe(200);
    expect(engine.requests.at(-1)).toMatchObject({ topK: 1, frequencyPenalty: 2 });
  });

  it.each([
    [{ logprobs: true }, 'logprobs'],
    [{ top_logprobs: 3 }, 'top_logprobs'],
    [{ tools: [{ type: 'function', function: { name: 'f' } }] }, 'tools'],
    [{ response_format: { type: 'json_object' } }, 'response_format'],
    [{ logit_bias: { '50256': -100 } }, 'logit_bias'],
    [{ min_p: 0.1 }, 'min_p'],
    [{ presence_penalty: 3 }, 'presence_penalty'],
    [{ repeat_penalty: 0 }, 'repeat_penalty'],
  ])('answers 400 naming what it cannot honour: %j', async (extra, param) => {
    const res = await complete(extra);
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { param: string; message: string } };
    expect(body.error.param).toBe(param);
    expect(body.error.message.startsWith(`${param}: `)).toBe(true);
  });

  it('accepts the values of those fields that ask for nothing, as stock clients send them', async () => {
    const res = await complete({ logprobs: false, tools: [], tool_choice: 'none', response_format: { type: 'text' }, logit_bias: {}, store: false, service_tier: 'auto', user: 'u1', stream_options: null });
    expect(res.status).toBe(200);
    const unknown = await fetch(`${server.url}/v1/reply`, { method: 'POST', body: JSON.stringify({ context: 'go', logprobs: true }) });
    expect(((await unknown.json()) as { error: { param: string } }).error.param).toBe('logprobs');
  });

  it('says in /v1/models that streams are held until the guardrails pass; include_usage adds the usage', async () => {
    const models = ModelList.parse(await (await fetch(`${server.url}/v1/models`)).json());
    expect(models.data[0]!.dougpt.streaming.mode).toBe('after_guardrails');
    expect(models.data[0]!.dougpt.parameters).toEqual(expect.arrayContaining(['top_k', 'presence_penalty', 'frequency_penalty', 'repeat_penalty']));
    const events = (await (await complete({ stream: true, stream_options: { include_usage: true } })).text()).split('\n\n').filter((e) => e.startsWith('data: {'));
    const last = ChatCompletionChunk.parse(JSON.parse(events.at(-1)!.slice(6)));
    expect(last.usage).toMatchObject({ prompt_tokens: 10, completion_tokens: 3, total_tokens: 13 });
  });
});

describe('exposure', () => {
  it('knows loopback addresses', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]', '::ffff:127.0.0.1']) expect(isLoopback(h), h).toBe(true);
    for (const h of ['0.0.0.0', '::', '192.168.1.2', '10.0.0.1', 'example.com']) expect(isLoopback(h), h).toBe(false);
  });
  it('refuses to listen beyond loopback without a token', async () => {
    await expect(startReplyServer(stack(), { host: '0.0.0.0', port: 0 })).rejects.toThrow(ServeError);
  });
});
