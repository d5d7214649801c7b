import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import type { AddressInfo } from 'node:net';
import { createRateLimiter } from '../../functions/reply/rate-limiter.ts';
import type { ReplyMetrics } from '../../functions/reply/reply-metrics.ts';
import {
  ChatCompletionRequest,
  fromChatCompletion,
  ReplyRequest,
  SAMPLING_PARAMETERS,
  STREAMING,
  type ChatCompletionChunk,
  type ChatCompletionResponse,
  type ModelList,
  type ReplyResponse,
} from '../../functions/reply/reply-schemas.ts';
import type { ReplyOutcome, ReplyService } from '../../functions/reply/reply-service.ts';
import { HttpError, parseOr400, readJsonBody, sendJson, sendText } from './http-io.ts';

export const DEFAULT_PORT = 8787;
/** Requests per second per client when `--rate-limit` is not given. */
export const DEFAULT_RATE_LIMIT = 10;
const MODEL_ID = 'dougpt';
/** Metric labels by path; anything else is `other`, so a scanner cannot grow the label set. */
const ENDPOINTS: Record<string, string> = {
  '/v1/chat/completions': 'chat.completions',
  '/v1/reply': 'reply',
  '/v1/models': 'models',
  '/healthz': 'healthz',
  '/metrics': 'metrics',
};

export interface ServeOptions {
  host?: string;
  /** 0: any free port. */
  port?: number;
  /** Required when `host` is not a loopback address; then every request but /healthz needs `Authorization: Bearer <token>`. */
  token?: string;
  /** Requests per second per client (token bucket, burst of the same size); 0 turns it off. */
  rateLimit?: number;
}

export interface ReplyServer {
  url: string;
  close(): Promise<void>;
}

/** The server refuses to start: one line that says why. */
export class ServeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ServeError';
  }
}

/** 127.0.0.0/8, ::1, ::ffff:127.x and `localhost`. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h === '::1') return true;
  const v4 = h.startsWith('::ffff:') ? h.slice(7) : h;
  return isIP(v4) === 4 && v4.startsWith('127.');
}

function bearerMatches(header: string | undefined, token: string): boolean {
  const match = /^Bearer\s+(.+)$/i.exec(header ?? '');
  if (!match) return false;
  const given = Buffer.from(match[1]!.trim());
  const want = Buffer.from(token);
  return given.length === want.length && timingSafeEqual(given, want);
}

const created = () => Math.floor(Date.now() / 1000);

function fingerprint(outcome: ReplyOutcome): string {
  return `${outcome.prompt_spec.version}/${outcome.adapter.run_id ?? 'base'}`;
}

function extension(outcome: ReplyOutcome) {
  return { guardrail_actions: outcome.guardrail_actions, adapter: outcome.adapter, prompt_spec: outcome.prompt_spec };
}

function usage(outcome: ReplyOutcome) {
  return { prompt_tokens: outcome.usage.prompt_tokens, completion_tokens: outcome.usage.completion_tokens, total_tokens: outcome.usage.prompt_tokens + outcome.usage.completion_tokens };
}

export function toChatCompletion(outcome: ReplyOutcome, model: string): ChatCompletionResponse {
  return {
    id: `chatcmpl-${outcome.id}`,
    object: 'chat.completion',
    created: created(),
    model,
    system_fingerprint: fingerprint(outcome),
    choices: outcome.choices.map((c) => ({ index: c.index, message: { role: 'assistant', content: c.text ?? '' }, finish_reason: c.finish_reason, logprobs: null })),
    usage: usage(outcome),
    dougpt: extension(outcome),
  };
}

/**
 * The chunks of a streamed completion. Replies are streamed only after the guardrails passed them
 * (STREAMING: nothing unchecked ever leaves the server), word by word, each choice opening with its
 * role and closing with its finish reason; a last chunk without choices carries DougPT's extension,
 * and the usage when `includeUsage`.
 */
export function toChunks(outcome: ReplyOutcome, model: string, includeUsage = false): ChatCompletionChunk[] {
  const base = { id: `chatcmpl-${outcome.id}`, object: 'chat.completion.chunk' as const, created: created(), model, system_fingerprint: fingerprint(outcome) };
  const chunks: ChatCompletionChunk[] = [];
  for (const c of outcome.choices) {
    chunks.push({ ...base, choices: [{ index: c.index, delta: { role: 'assistant', content: '' }, finish_reason: null, logprobs: null }] });
    for (const piece of (c.text ?? '').match(/\S+\s*|\s+/gu) ?? []) {
      chunks.push({ ...base, choices: [{ index: c.index, delta: { content: piece }, finish_reason: null, logprobs: null }] });
    }
    chunks.push({ ...base, choices: [{ index: c.index, delta: {}, finish_reason: c.finish_reason, logprobs: null }] });
  }
  chunks.push({ ...base, choices: [], dougpt: extension(outcome), ...(includeUsage ? { usage: usage(outcome) } : {}) });
  return chunks;
}

export function toReplyResponse(outcome: ReplyOutcome): ReplyResponse {
  return {
    replies: outcome.replies, guardrail_actions: outcome.guardrail_actions, adapter: outcome.adapter, prompt_spec: outcome.prompt_spec, latency_ms: outcome.latency_ms,
    ...(outcome.memories ? { memories: outcome.memories } : {}),
  };
}

/**
 * The reply API's request handler over a reply service: OpenAI-compatible chat completions (with
 * SSE streaming), `/v1/reply`, `/v1/models`, `/healthz`, `/metrics`; bearer auth, per-client rate
 * limit and the body limit in front. Mountable in tests or another server.
 */
export function createReplyHandler(deps: { service: ReplyService; metrics: ReplyMetrics; token?: string; rateLimit?: number }) {
  const { service, metrics } = deps;
  const limiter = deps.rateLimit && deps.rateLimit > 0 ? createRateLimiter({ ratePerSecond: deps.rateLimit }) : null;
  const started = Date.now();

  const generate = async (req: IncomingMessage, res: ServerResponse, route: 'chat.completions' | 'reply') => {
    const body = await readJsonBody(req);
    const client = req.socket.remoteAddress ?? null;
    // A client that goes away stops its generation.
    const abort = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) abort.abort(new Error('client closed the connection'));
    });
    if (route === 'reply') {
      const request = parseOr400(ReplyRequest, body);
      const outcome = await service.reply({ ...request, endpoint: 'reply', client, signal: abort.signal });
      sendJson(res, 200, toReplyResponse(outcome));
      return outcome.latency_ms;
    }
    const request = parseOr400(ChatCompletionRequest, body);
    const model = request.model ?? MODEL_ID;
    const outcome = await service.reply({ ...fromChatCompletion(request), endpoint: 'chat.completions', client, signal: abort.signal });
    if (!request.stream) {
      sendJson(res, 200, toChatCompletion(outcome, model));
      return outcome.latency_ms;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    for (const chunk of toChunks(outcome, model, request.stream_options?.include_usage === true)) res.write(`data: ${JSON.stringify(chunk)}\n\n`);
    res.end('data: [DONE]\n\n');
    return outcome.latency_ms;
  };

  const route = async (req: IncomingMessage, res: ServerResponse, path: string): Promise<{ endpoint: string; latency?: number }> => {
    const method = req.method ?? 'GET';
    if (path === '/healthz') {
      if (method !== 'GET') throw new HttpError(405, 'use GET', 'method_not_allowed');
      const adapter = service.engine.adapter;
      // adapter_refused: the last adapter the hot swap refused (another prompt spec or base), and why.
      sendJson(res, 200, { status: 'ok', adapter, adapter_refused: metrics.lastAdapterRefusal, prompt_spec: { version: service.spec.spec.version, sha256: service.spec.sha256 }, uptime_s: Math.round((Date.now() - started) / 1000) });
      return { endpoint: 'healthz' };
    }
    if (deps.token && !bearerMatches(req.headers.authorization, deps.token)) {
      throw new HttpError(401, 'missing or wrong bearer token (Authorization: Bearer <token>)', 'invalid_api_key', null, { 'www-authenticate': 'Bearer' });
    }
    if (path === '/metrics') {
      if (method !== 'GET') throw new HttpError(405, 'use GET', 'method_not_allowed');
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.searchParams.get('format') === 'json' || /application\/json/.test(req.headers.accept ?? '')) sendJson(res, 200, metrics.snapshot());
      else sendText(res, 200, metrics.render(), 'text/plain; version=0.0.4; charset=utf-8');
      return { endpoint: 'metrics' };
    }
    const endpoint = ENDPOINTS[path];
    if (endpoint !== 'chat.completions' && endpoint !== 'reply' && endpoint !== 'models') throw new HttpError(404, `${path}: no such endpoint (POST /v1/chat/completions, POST /v1/reply, GET /v1/models, /healthz, /metrics)`, 'not_found');
    if (limiter) {
      const taken = limiter.take(req.socket.remoteAddress ?? 'unknown');
      if (!taken.ok) {
        metrics.rateLimited++;
        throw new HttpError(429, `rate limit: ${deps.rateLimit} requests per second per client`, 'rate_limit_exceeded', null, { 'retry-after': String(Math.max(1, Math.ceil(taken.retryAfterMs / 1000))) });
      }
    }
    if (endpoint === 'models') {
      if (method !== 'GET') throw new HttpError(405, 'use GET', 'method_not_allowed');
      const list: ModelList = {
        object: 'list',
        data: [
          {
            id: MODEL_ID,
            object: 'model',
            created: Math.floor(started / 1000),
            owned_by: 'dougpt',
            dougpt: {
              adapter: service.engine.adapter,
              prompt_spec: { version: service.spec.spec.version, sha256: service.spec.sha256 },
              streaming: STREAMING,
              parameters: [...SAMPLING_PARAMETERS],
            },
          },
        ],
      };
      sendJson(res, 200, list);
      return { endpoint };
    }
    if (method !== 'POST') throw new HttpError(405, 'use POST', 'method_not_allowed');
    return { endpoint, latency: await generate(req, res, endpoint) };
  };

  return (req: IncomingMessage, res: ServerResponse): void => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    route(req, res, path).then(
      ({ endpoint, latency }) => metrics.request(endpoint, res.statusCode, latency),
      (error: unknown) => {
        const http = error instanceof HttpError ? error : null;
        const status = http?.status ?? (res.destroyed ? 499 : 500);
        metrics.request(ENDPOINTS[path] ?? 'other', status);
        if (!http && !res.destroyed) process.stderr.write(`serve: ${req.method} ${path} failed: ${error instanceof Error ? error.message : String(error)}\n`);
        if (res.headersSent || res.destroyed) {
          res.destroy();
          return;
        }
        const body = http?.body() ?? { error: { message: 'internal error while replying', type: 'server_error', code: 'server_error', param: null } };
        // Past the body limit the rest of the upload is not read: close the connection after answering.
        const headers = { ...(http?.headers ?? {}), ...(status === 413 ? { connection: 'close' } : {}) };
        sendJson(res, status, body, headers);
      },
    );
  };
}

/**
 * Starts the reply server. A host other than loopback needs a token: the server refuses to start
 * without one, so a model is never exposed to the network unauthenticated by mistake.
 *
 * @example
 * const server = await startReplyServer({ service, metrics }, { port: 8787 });
 * // curl -s localhost:8787/v1/chat/completions -d '{"messages":[{"role":"user","content":"we won"}]}'
 */
export async function startReplyServer(deps: { service: ReplyService; metrics: ReplyMetrics }, options: ServeOptions = {}): Promise<ReplyServer> {
  const host = options.host ?? '127.0.0.1';
  if (!isLoopback(host) && !options.token) throw new ServeError(`--host ${host} is not a loopback address: pass --token (clients then send Authorization: Bearer <token>)`);
  const handler = createReplyHandler({ ...deps, token: options.token, rateLimit: options.rateLimit ?? DEFAULT_RATE_LIMIT });
  const server = createServer(handler);
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? DEFAULT_PORT, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const shown = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shown}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
