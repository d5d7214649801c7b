import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
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
 *
 * The server batches whatever its sequences have queued (the `as-ready` schedule) and llama.cpp is
 * not batch-invariant, so the text of a request's several samples depends on timing. Assertions on
 * model text therefore hold for any batch: an exact text is compared only between requests of one
 * sample (one sequence, evaluated alone), and everything else asserts properties.
 */

const CONTEXT = 'okay chat we are going to win this one, watch this jump';
const home = mkdtempSync(join(tmpdir(), 'dougpt-serve-'));
const base = await resolveBaseModel();
if (!base) process.stderr.write('serve test: skipped: no base model GGUF (run `make setup`)\n');

describe.skipIf(!base)('dougpt serve on the embedded model', () => {
  let stack: ReplyStack;
  let server: ReplyServer;
  let limited: ReplyServer;
  let locked: ReplyServer;
  let lora: Promise<{ dir: string }>;

  beforeAll(async () => {
    lora = makeLoraRun(join(home, 'runs', 'it-lora-1'), 'it-lora-1'); // in the background while the rest runs
    lora.catch(() => undefined); // its failure fails the hot-swap test, which awaits it
    stack = await openReplyStack({ home, base: base!, watchPromoted: true, paritySample: 1, parallel: 2, notice: (l) => process.stderr.write(`serve test: ${l}\n`) });
    server = await startReplyServer(stack, { port: 0, rateLimit: 1000 });
    limited = await startReplyServer(stack, { port: 0, rateLimit: 1 });
    locked = await startReplyServer(stack, { port: 0, token: 'it-token', rateLimit: 1000 });
  });
  afterAll(async () => {
    await server?.close();
    await limited?.close();
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
    expect(first.choices).toHaveLength(2);
    expect(first.usage.prompt_tokens).toBeGreaterThan(20);
    expect(first.usage.completion_tokens).toBeLessThanOrEqual(48);
    // One sample each: its sequence runs alone, so the text cannot depend on how samples were batched.
    const one = { ...body, n: 1 };
    const texts = async (request: object) => ChatCompletionResponse.parse(await (await post(server.url, '/v1/chat/completions', request)).json()).choices.map((c) => c.message.content);
    const again = await texts(one);
    expect(again[0]!.length).toBeGreaterThan(0);
    expect(await texts(one)).toEqual(again);
    expect(await texts({ ...one, seed: 99 })).not.toEqual(again);
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
    const statuses = await Promise.all(Array.from({ length: 3 }, () => post(limited.url, '/v1/reply', { context: 'x', max_tokens: 4 }).then((r) => [r.status, r.headers.get('retry-after')] as const)));
    expect(statuses.filter(([s]) => s === 429).length).toBeGreaterThanOrEqual(1);
    expect(statuses.find(([s]) => s === 429)![1]).toBe('1');
  });

  it('a banned phrase is sampled again, then the reply is dropped, never returned', async () => {
    // Greedy, one sample: the same text on every attempt, whatever ran before; ban a word of it.
    const probe = { context: 'tell me about the history of the castle in the game', n: 1, seed: 3, temperature: 0, max_tokens: 12 };
    const greedy = (await reply(probe)).replies[0] ?? '';
    const word = (greedy.match(/\p{L}{2,}/gu) ?? []).sort((a, b) => b.length - a.length)[0];
    expect(word, `a word to ban in the greedy reply ${JSON.stringify(greedy)}`).toBeDefined();
    const banned = join(home, 'banned.txt');
    writeFileSync(banned, `# test list\n${word}\n`);
    const metrics = new ReplyMetrics();
    const strict = createReplyService({
      engine: stack.engine,
      spec: stack.service.spec,
      guardrails: { toxicity: null, banned: createBannedPhrases(readFileSync(banned, 'utf8').split('\n').filter((l) => !l.startsWith('#'))), scrubViewerNames: null, maxChars: 200, recent: new RecentReplies(50), maxRegenerations: 3 },
      log: stack.log,
      metrics,
    });
    const guarded = await startReplyServer({ service: strict, metrics }, { port: 0, rateLimit: 1000 });
    try {
      const res = await post(guarded.url, '/v1/reply', probe);
      const out = ReplyResponse.parse(await res.json());
      expect(out.replies).toEqual([]);
      expect(out.guardrail_actions.map((a) => [a.guardrail, a.action, a.attempt])).toEqual([
        ['banned_phrase', 'regenerate', 0],
        ['banned_phrase', 'regenerate', 1],
        ['banned_phrase', 'regenerate', 2],
        ['banned_phrase', 'drop', 3],
      ]);
      // The same server still answers what the list allows: sampled replies never carry the word.
      const sampled = ReplyResponse.parse(await (await post(guarded.url, '/v1/reply', { context: CONTEXT, n: 2, seed: 3, max_tokens: 12 })).json());
      for (const text of sampled.replies) expect(text).not.toMatch(new RegExp(`(?<![\\p{L}\\p{N}_])${word}(?![\\p{L}\\p{N}_])`, 'iu'));
      expect(sampled.replies.length + sampled.guardrail_actions.filter((a) => a.action === 'drop').length).toBe(2);
    } finally {
      await guarded.close();
    }
  });

  it('top_k and the penalties change what the model writes; a large frequency penalty removes repeats', async () => {
    // No repetition guardrail here: two settings may well give the same text, and that must not be sampled again.
    const metrics = new ReplyMetrics();
    const service = createReplyService({
      engine: stack.engine,
      spec: stack.service.spec,
      guardrails: { toxicity: null, banned: null, scrubViewerNames: null, maxChars: null, recent: null, maxRegenerations: 0 },
      log: stack.log,
      metrics,
    });
    const open = await startReplyServer({ service, metrics }, { port: 0, rateLimit: 0 });
    try {
      // One greedy sample each: the text depends only on the settings.
      const text = async (extra: object) => {
        const res = await post(open.url, '/v1/chat/completions', { messages: [{ role: 'user', content: CONTEXT }], n: 1, seed: 1, temperature: 0, max_tokens: 32, ...extra });
        expect(res.status).toBe(200);
        return ChatCompletionResponse.parse(await res.json()).choices[0]!.message.content;
      };
      const repeated = (t: string) => {
        const counts = new Map<string, number>();
        for (const w of t.toLowerCase().match(/[\p{L}']+/gu) ?? []) counts.set(w, (counts.get(w) ?? 0) + 1);
        return [...counts.values()].reduce((sum, c) => sum + c - 1, 0);
      };
      const plain = await text({});
      expect(repeated(plain), plain).toBeGreaterThan(0);
      const penalised = await text({ frequency_penalty: 2 });
      expect(repeated(penalised), penalised).toBeLessThan(repeated(plain));
      expect(await text({ presence_penalty: 2 })).not.toBe(plain);
      expect(await text({ repeat_penalty: 1.5 })).not.toBe(plain);
      // top_k 1 leaves only the likeliest token: any seed and temperature write the greedy text.
      expect(await text({ top_k: 1, temperature: 1.5, seed: 5 })).toBe(plain);
      expect(await text({ temperature: 1.5, seed: 5 })).not.toBe(plain);
    } finally {
      await open.close();
    }
  });

  it('swaps in a newly promoted adapter without a restart, and back to the base when unpromoted', async () => {
    const made = await lora;
    // What training writes beside the LoRA: the prompt spec it was trained with.
    const runJson = join(made.dir, 'run.json');
    writeFileSync(runJson, JSON.stringify({ ...JSON.parse(readFileSync(runJson, 'utf8')), prompt_spec: { version: stack.service.spec.spec.version, sha256: stack.service.spec.sha256 } }));
    const probe = { context: CONTEXT, n: 1, seed: 7, temperature: 0 };
    const before = await reply(probe);
    const promoted = join(home, 'promoted.json');
    const promote = (runId: string, dir: string) => {
      writeFileSync(`${promoted}.tmp`, JSON.stringify({ run_id: runId, adapter: dir, promoted_at: new Date().toISOString() }));
      renameSync(`${promoted}.tmp`, promoted);
    };
    promote('it-lora-1', made.dir);
    await expect
      .poll(async () => ModelList.parse(await (await fetch(`${server.url}/v1/models`)).json()).data[0]!.dougpt.adapter.run_id, { timeout: 15_000, interval: 200 })
      .toBe('it-lora-1');
    const after = await reply(probe);
    expect(after.adapter).toMatchObject({ run_id: 'it-lora-1', gguf: join(made.dir, 'adapter.gguf') });
    expect(after.replies).not.toEqual(before.replies);
    // A run trained with another prompt spec is refused: the current adapter keeps serving, /healthz says why.
    const stale = join(home, 'runs', 'it-lora-stale');
    mkdirSync(stale, { recursive: true });
    copyFileSync(join(made.dir, 'adapter.gguf'), join(stale, 'adapter.gguf'));
    writeFileSync(join(stale, 'run.json'), JSON.stringify({ run_id: 'it-lora-stale', base: { name: base!.name }, prompt_spec: { version: 'dougpt-chat/0', sha256: '0'.repeat(64) } }));
    promote('it-lora-stale', stale);
    await expect.poll(() => stack.metrics.adapterRefusals, { timeout: 15_000, interval: 200 }).toBe(1);
    const health = (await (await fetch(`${server.url}/healthz`)).json()) as { adapter: { run_id: string }; adapter_refused: { run_id: string; reason: string } };
    expect(health.adapter.run_id).toBe('it-lora-1');
    expect(health.adapter_refused).toMatchObject({ run_id: 'it-lora-stale', reason: expect.stringMatching(/trained with prompt spec dougpt-chat\/0 .*but the server renders prompt spec/) });
    expect((await reply(probe)).replies).toEqual(after.replies);
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
    // The context is kept as its hash only. Replies are logged verbatim, and a reply may echo the streamer.
    const raw = readdirSync(dir).flatMap((f) => readFileSync(join(dir, f), 'utf8').trim().split('\n')).map((l) => JSON.parse(l) as Record<string, unknown>);
    for (const r of raw) {
      expect(Object.keys(r).filter((k) => k.includes('context'))).toEqual(['context_sha256']);
      expect(JSON.stringify({ ...r, replies: null })).not.toContain(CONTEXT);
    }
    const contextSha = createHash('sha256').update(CONTEXT).digest('hex');
    const withContext = records.filter((r) => r.context_sha256 === contextSha);
    expect(new Set(withContext.map((r) => r.endpoint))).toEqual(new Set(['reply', 'chat.completions', 'mcp']));
    expect(withContext.every((r) => r.prompt_hash === promptHash(renderPrompt(stack.service.spec.spec, CONTEXT)))).toBe(true);
  });
});
