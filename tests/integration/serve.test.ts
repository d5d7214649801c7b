import { mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { promptHash, renderPrompt } from '../../functions/prompt/prompt-spec.ts';
import { resolveBaseModel } from '../../functions/reply/base-model.ts';
import { createBannedPhrases } from '../../functions/reply/guardrails/banned-phrases.ts';
import { InferenceLogRecord } from '../../functions/reply/inference-log.ts';
import { openReplyStack, type ReplyStack } from '../../functions/reply/open-reply-stack.ts';
import { ReplyMetrics } from '../../functions/reply/reply-metrics.ts';
import { ChatCompletionChunk, ChatCompletionResponse, ModelList, ReplyResponse } from '../../functions/reply/reply-schemas.ts';
import { createReplyService } from '../../functions/reply/reply-service.ts';
import { RecentReplies } from '../../functions/reply/guardrails/recent-replies.ts';
import { CHAT_REPLY_TOOL, createMcpServer } from '../../web/serve/mcp-server.ts';
import { startReplyServer, type ReplyServer } from '../../web/serve/serve-server.ts';
import { makeLoraRun } from './lora-run.ts';

/**
 * The reply server on the real embedded model (SmolLM2-135M GGUF through node-llama-cpp): every
 * endpoint, SSE, seeds, auth, limits, guardrail regeneration, the adapter hot swap on a promotion
 * and the inference log. Needs no Temporal stack.
 */

const CONTEXT = 'okay chat we are going to win this one, watch this jump';
const home = mkdtempSync(join(tmpdir(), 'dougpt-serve-'));
const base = await resolveBaseModel();
if (!base) process.stderr.write('serve test: skipped: no base model GGUF (run `make setup`)\n');

describe.skipIf(!base)('dougpt serve on the embedded model', () => {
  let stack: ReplyStack;
  let server: ReplyServer;
  let guarded: ReplyServer;
  let locked: ReplyServer;
  let lora: Promise<{ dir: string }>;
  const banned = join(home, 'banned.txt');

  beforeAll(async () => {
    lora = makeLoraRun(join(home, 'runs', 'it-lora-1'), 'it-lora-1'); // in the background while the rest runs
    lora.catch(() => undefined); // its failure fails the hot-swap test, which awaits it
    writeFileSync(banned, '# test list\nthe\n');
    stack = await openReplyStack({ home, base: base!, watchPromoted: true, paritySample: 1, parallel: 2, notice: (l) => process.stderr.write(`serve test: ${l}\n`) });
    server = await startReplyServer(stack, { port: 0, rateLimit: 1000 });
    // The same engine behind a server that bans the commonest English word and allows 1 request/s.
    const metrics = new ReplyMetrics();
    const strict = createReplyService({
      engine: stack.engine,
      spec: stack.service.spec,
      guardrails: { toxicity: null, banned: createBannedPhrases(readFileSync(banned, 'utf8').split('\n').filter((l) => !l.startsWith('#'))), scrubViewerNames: null, maxChars: 200, recent: new RecentReplies(50), maxRegenerations: 3 },
      log: stack.log,
      metrics,
    });
    guarded = await startReplyServer({ service: strict, metrics }, { port: 0, rateLimit: 1 });
    locked = await startReplyServer(stack, { port: 0, token: 'it-token', rateLimit: 1000 });
  });
  afterAll(async () => {
    await server?.close();
    await guarded?.close();
    await locked?.close();
    await stack?.close();
  });

  const post = (url: string, path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const reply = async (body: Record<string, unknown>) => {
    const res = await post(server.url, '/v1/reply', body);
    expect(res.status).toBe(200);
    return ReplyResponse.parse(await res.json());
  };

  it('health and models name the base model and the prompt spec', async () => {
    const health = (await (await fetch(`${server.url}/healthz`)).json()) as { status: string; adapter: { run_id: string | null } };
    expect(health).toMatchObject({ status: 'ok', adapter: { run_id: null } });
    const models = ModelList.parse(await (await fetch(`${server.url}/v1/models`)).json());
    expect(models.data[0]).toMatchObject({ id: 'dougpt', dougpt: { adapter: { run_id: null, base: { name: base!.name } }, prompt_spec: { version: stack.service.spec.spec.version } } });
  });

  it('/v1/reply: short non-empty replies, prompt spec version and hash of the prompt training renders', async () => {
    const out = await reply({ context: CONTEXT, n: 3, seed: 11 });
    expect(out.replies.length).toBeGreaterThan(0);
    for (const text of out.replies) {
      expect(text.trim().length).toBeGreaterThan(0);
      expect(Array.from(text).length).toBeLessThanOrEqual(stack.service.spec.spec.reply.max_chars);
      expect(text).not.toContain('<|im_end|>');
    }
    expect(out.prompt_spec).toEqual({ version: stack.service.spec.spec.version, sha256: stack.service.spec.sha256, prompt_hash: promptHash(renderPrompt(stack.service.spec.spec, CONTEXT)) });
  });

  it('chat completions: OpenAI shape, n choices, usage; the same seed gives the same reply', async () => {
    const body = { model: 'dougpt', messages: [{ role: 'system', content: 'ignored' }, { role: 'user', content: CONTEXT }], n: 2, seed: 1234, temperature: 0.9, max_tokens: 24 };
    const first = ChatCompletionResponse.parse(await (await post(server.url, '/v1/chat/completions', body)).json());
    const second = ChatCompletionResponse.parse(await (await post(server.url, '/v1/chat/completions', body)).json());
    expect(first.choices).toHaveLength(2);
    expect(first.usage.prompt_tokens).toBeGreaterThan(20);
    expect(first.usage.completion_tokens).toBeLessThanOrEqual(48);
    expect(second.choices.map((c) => c.message.content)).toEqual(first.choices.map((c) => c.message.content));
    const other = ChatCompletionResponse.parse(await (await post(server.url, '/v1/chat/completions', { ...body, seed: 99 })).json());
    expect(other.choices.map((c) => c.message.content)).not.toEqual(first.choices.map((c) => c.message.content));
  });

  it('streams SSE data chunks that add up to the reply, ending with [DONE]', async () => {
    const body = { messages: [{ role: 'user', content: CONTEXT }], seed: 5, stream: true };
    const res = await post(server.url, '/v1/chat/completions', body);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const events = (await res.text()).split('\n\n').filter((e) => e.length > 0);
    expect(events.at(-1)).toBe('data: [DONE]');
    const chunks = events.slice(0, -1).map((e) => ChatCompletionChunk.parse(JSON.parse(e.replace(/^data: /, ''))));
    const streamed = chunks.flatMap((c) => c.choices.map((x) => x.delta.content ?? '')).join('');
    const whole = ChatCompletionResponse.parse(await (await post(server.url, '/v1/chat/completions', { ...body, stream: false })).json());
    expect(streamed).toBe(whole.choices[0]!.message.content);
    expect(chunks.at(-1)!.dougpt!.prompt_spec.version).toBe(stack.service.spec.spec.version);
  });

  it('401 without the bearer token, 413 past 64 KiB, 429 past the rate', async () => {
    expect((await post(locked.url, '/v1/reply', { context: 'x' })).status).toBe(401);
    expect((await post(locked.url, '/v1/reply', { context: 'x', n: 1, max_tokens: 4 }, { authorization: 'Bearer it-token' })).status).toBe(200);
    expect((await post(server.url, '/v1/reply', { context: 'y'.repeat(65 * 1024) })).status).toBe(413);
    const statuses = await Promise.all(Array.from({ length: 3 }, () => post(guarded.url, '/v1/reply', { context: 'x', max_tokens: 4 }).then((r) => [r.status, r.headers.get('retry-after')] as const)));
    expect(statuses.filter(([s]) => s === 429).length).toBeGreaterThanOrEqual(1);
    expect(statuses.find(([s]) => s === 429)![1]).toBe('1');
  });

  it('a banned phrase is sampled again, and never returned', async () => {
    await new Promise((r) => setTimeout(r, 1100)); // the strict server's bucket refills
    const res = await post(guarded.url, '/v1/reply', { context: 'tell me about the history of the castle in the game', n: 4, seed: 3, temperature: 1 });
    const out = ReplyResponse.parse(await res.json());
    const actions = out.guardrail_actions.filter((a) => a.guardrail === 'banned_phrase');
    expect(actions.some((a) => a.action === 'regenerate')).toBe(true);
    for (const text of out.replies) expect(text).not.toMatch(/(?<![\p{L}\p{N}_])the(?![\p{L}\p{N}_])/iu);
    expect(out.replies.length + actions.filter((a) => a.action === 'drop').length).toBe(4);
  });

  it('swaps in a newly promoted adapter without a restart, and back to the base when unpromoted', async () => {
    const made = await lora;
    const probe = { context: CONTEXT, n: 1, seed: 7, temperature: 0 };
    const before = await reply(probe);
    const promoted = join(home, 'promoted.json');
    writeFileSync(`${promoted}.tmp`, JSON.stringify({ run_id: 'it-lora-1', adapter: made.dir, promoted_at: new Date().toISOString() }));
    renameSync(`${promoted}.tmp`, promoted);
    await expect
      .poll(async () => ModelList.parse(await (await fetch(`${server.url}/v1/models`)).json()).data[0]!.dougpt.adapter.run_id, { timeout: 15_000, interval: 200 })
      .toBe('it-lora-1');
    const after = await reply(probe);
    expect(after.adapter).toMatchObject({ run_id: 'it-lora-1', gguf: join(made.dir, 'adapter.gguf') });
    expect(after.replies).not.toEqual(before.replies);
    rmSync(promoted);
    await expect.poll(async () => (await reply({ ...probe, n: 1 })).adapter.run_id, { timeout: 15_000, interval: 300 }).toBeNull();
    expect((await reply(probe)).replies).toEqual(before.replies);
    expect(stack.metrics.adapterSwaps).toBeGreaterThanOrEqual(2);
  });

  it('MCP chat_reply answers through the same guardrails', async () => {
    const mcp = createMcpServer(stack.service, '0.0.0-test');
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await mcp.connect(serverSide);
    const client = new Client({ name: 'it', version: '0' });
    await client.connect(clientSide);
    expect((await client.listTools()).tools.map((t) => t.name)).toContain(CHAT_REPLY_TOOL);
    const result = await client.callTool({ name: CHAT_REPLY_TOOL, arguments: { context: CONTEXT, n: 2, seed: 4 } });
    const structured = result.structuredContent as { replies: string[]; prompt_spec: { version: string } };
    expect(structured.replies.length).toBeGreaterThan(0);
    expect(structured.prompt_spec.version).toBe(stack.service.spec.spec.version);
    await client.close();
    await mcp.close();
  });

  it('metrics count requests, latency, guardrail actions and parity checks without mismatches', async () => {
    const text = await (await fetch(`${server.url}/metrics`)).text();
    expect(text).toMatch(/dougpt_requests_total\{endpoint="reply",status="200"\} [1-9]/);
    expect(text).toMatch(/dougpt_request_latency_ms\{quantile="0.95"\} \d/);
    expect(stack.metrics.parityChecks).toBeGreaterThan(0);
    expect(text).toMatch(/dougpt_prompt_parity_mismatches_total 0/);
  });

  it('logs every request to the JSONL inference log', async () => {
    await stack.log.flush();
    const dir = join(home, 'inference-log');
    const records = readdirSync(dir).flatMap((f) => readFileSync(join(dir, f), 'utf8').trim().split('\n')).map((l) => InferenceLogRecord.parse(JSON.parse(l)));
    expect(records.length).toBeGreaterThanOrEqual(10);
    expect(new Set(records.map((r) => r.endpoint))).toEqual(new Set(['reply', 'chat.completions', 'mcp']));
    for (const r of records) expect(r.prompt_spec.version).toBe(stack.service.spec.spec.version);
    expect(records.some((r) => r.guardrail_actions.some((a) => a.guardrail === 'banned_phrase'))).toBe(true);
    expect(JSON.stringify(records)).not.toContain('watch this jump');
  });
});
