/**
 * Time to first byte of a streamed chat completion (`stream: true`) through `dougpt serve`'s HTTP
 * API on the embedded base model, beside the whole reply unstreamed (`stream: false`) and the
 * engine's own time to its first token (prompt evaluated, one token sampled: the earliest a server
 * that streams tokens before the guardrails could send a byte). The server holds each reply until
 * the guardrails pass it (STREAMING in reply-schemas.ts), so its first byte should come with the
 * whole reply; this measures by how much that is later than a token stream's would be.
 *
 *   npx tsx tests/bench/stream-ttfb.bench.ts [--requests 12] [--max-tokens 24]
 *
 * One client at a time, n = 1, the server's defaults otherwise (guardrails on, one thread). Prints
 * the figures, then one JSON line.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadPromptSpec, renderPrompt } from '../../functions/prompt/prompt-spec.ts';
import { resolveBaseModel } from '../../functions/reply/base-model.ts';
import { memoryLogSink } from '../../functions/reply/inference-log.ts';
import { openReplyStack } from '../../functions/reply/open-reply-stack.ts';
import { DEFAULT_SAMPLING, replyStops } from '../../functions/reply/reply-service.ts';
import { startReplyServer } from '../../web/serve/serve-server.ts';
import { quantile, STREAMER_CONTEXTS } from './streamer-contexts.ts';


const { values } = parseArgs({ options: { requests: { type: 'string', default: '12' }, 'max-tokens': { type: 'string', default: '24' } } });
const requests = Number(values.requests);
const maxTokens = Number(values['max-tokens']);

const base = await resolveBaseModel();
if (!base) throw new Error('no base model GGUF: run `make setup`');
const home = mkdtempSync(join(tmpdir(), 'dougpt-ttfb-'));
const stack = await openReplyStack({ home, base, log: memoryLogSink(), paritySample: 0 });
const server = await startReplyServer(stack, { port: 0, rateLimit: 0 });
const spec = loadPromptSpec();

const p = quantile;
const body = (context: string, seed: number, stream: boolean) => JSON.stringify({ messages: [{ role: 'user', content: context }], n: 1, seed, max_tokens: maxTokens, stream });

const firstByte: number[] = [];
const whole: number[] = [];
const firstToken: number[] = [];
try {
  // One warm-up of each path: the first evaluation pays for loading pages of the model.
  await (await fetch(`${server.url}/v1/chat/completions`, { method: 'POST', body: body(STREAMER_CONTEXTS[0]!, 0, false) })).text();
  for (let i = 0; i < requests; i++) {
    // A new context for each measure: a sequence that still holds a prompt would evaluate only its last token.
    const context = (m: number) => STREAMER_CONTEXTS[(3 * i + m) % STREAMER_CONTEXTS.length]!;
    const seed = 1000 + i;
    let started = performance.now();
    const res = await fetch(`${server.url}/v1/chat/completions`, { method: 'POST', body: body(context(0), seed, true) });
    const reader = res.body!.getReader();
    await reader.read();
    firstByte.push(performance.now() - started);
    while (!(await reader.read()).done);

    started = performance.now();
    await (await fetch(`${server.url}/v1/chat/completions`, { method: 'POST', body: body(context(1), seed, false) })).text();
    whole.push(performance.now() - started);

    started = performance.now();
    await stack.engine.generate({
      prompt: renderPrompt(spec.spec, context(2)),
      maxTokens: 1,
      temperature: DEFAULT_SAMPLING.temperature,
      topP: DEFAULT_SAMPLING.top_p,
      topK: DEFAULT_SAMPLING.top_k,
      seed,
      stop: replyStops([]),
    });
    firstToken.push(performance.now() - started);
  }
} finally {
  await server.close();
  await stack.close();
  rmSync(home, { recursive: true, force: true });
}

const row = (name: string, xs: number[]) => `${name.padEnd(44)} p50 ${p(xs, 0.5).toFixed(0).padStart(5)} ms   p90 ${p(xs, 0.9).toFixed(0).padStart(5)} ms`;
process.stdout.write(
  [
    `stream time to first byte, ${requests} requests, n = 1, ≤ ${maxTokens} tokens, load ${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} cores`,
    row('streamed (held until the guardrails pass)', firstByte),
    row('not streamed (whole reply)', whole),
    row("engine's first token (prompt + 1 token)", firstToken),
    '',
  ].join('\n'),
);
const figures = {
  bench: 'stream-ttfb',
  requests,
  max_tokens: maxTokens,
  load_1m: Number(loadavg()[0]!.toFixed(2)),
  ttfb_stream_ms: { p50: Math.round(p(firstByte, 0.5)), p90: Math.round(p(firstByte, 0.9)) },
  whole_reply_ms: { p50: Math.round(p(whole, 0.5)), p90: Math.round(p(whole, 0.9)) },
  engine_first_token_ms: { p50: Math.round(p(firstToken, 0.5)), p90: Math.round(p(firstToken, 0.9)) },
};
process.stdout.write(`${JSON.stringify(figures)}\n`);
