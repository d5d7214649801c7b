import { CHATML } from '../../../functions/prompt/chat-templates.ts';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ChatMessage } from '../../../functions/chat/chat-message.ts';
import { loadPromptSpec } from '../../../functions/prompt/prompt-spec.ts';
import { RecentReplies } from '../../../functions/reply/guardrails/recent-replies.ts';
import { memoryLogSink } from '../../../functions/reply/inference-log.ts';
import type { GenerateRequest, ReplyEngine } from '../../../functions/reply/reply-engine.ts';
import { createReplyService } from '../../../functions/reply/reply-service.ts';
import { TwitchDownloaderChatFile } from '../../../functions/sample/twitch-downloader-chat-file.ts';
import { fitPacingFromFiles } from '../../../functions/simulate/fit-pacing-files.ts';
import type { PacingModel } from '../../../functions/simulate/pacing-model.ts';
import { planMessages } from '../../../functions/simulate/plan-messages.ts';
import { simulateTranscript } from '../../../functions/simulate/simulate-transcript.ts';
import type { Transcript } from '../../../functions/transcribe/transcript.ts';
import { alignedStreams } from './streams.ts';

let data: Awaited<ReturnType<typeof alignedStreams>>;
let model: PacingModel;
let transcript: Transcript;

beforeAll(async () => {
  data = await alignedStreams([31, 32], 180_000);
  model = await fitPacingFromFiles({ pairs: [data.streams[0]!.align] });
  transcript = data.streams[1]!.stream.transcript;
}, 120_000);

describe('planMessages', () => {
  it('is a pure function of the seed, and the count follows the expected rate', () => {
    const a = planMessages(transcript, model, { seed: 7 });
    expect(planMessages(transcript, model, { seed: 7 })).toEqual(a);
    expect(planMessages(transcript, model, { seed: 8 }).messages).not.toEqual(a.messages);
    // A Poisson total: within 5 standard deviations of what the model expects.
    expect(Math.abs(a.drawn - a.expected)).toBeLessThan(5 * Math.sqrt(a.expected));
    const doubled = planMessages(transcript, model, { seed: 7, rateScale: 2 });
    expect(doubled.expected).toBeCloseTo(2 * a.expected, 6);
    expect(planMessages(transcript, model, { seed: 7, maxMessages: 25 }).messages).toEqual(a.messages.slice(0, 25));
  });

  it('answers the phrase the streamer last finished before each message, the lag taken off', () => {
    const plan = planMessages(transcript, model, { seed: 3 });
    expect(plan.messages.length).toBeGreaterThan(100);
    let previous = -Infinity;
    for (const m of plan.messages) {
      expect(m.offset_ms).toBeGreaterThanOrEqual(previous);
      previous = m.offset_ms;
      const seen = m.offset_ms - plan.lag_ms;
      if (m.phrase >= 0) expect(plan.phraseEnds[m.phrase]!).toBeLessThanOrEqual(seen);
      const next = plan.phraseEnds[m.phrase + 1];
      if (next !== undefined) expect(next).toBeGreaterThan(seen);
    }
    // Every phrase has words for the reply prompt.
    expect(plan.contexts.every((c) => c.length > 0)).toBe(true);
  });
});

/** A stand-in engine for the reply path: the text is a function of the prompt's last words and the seed. */
function echoEngine(): ReplyEngine & { requests: GenerateRequest[]; prefetched: GenerateRequest[]; taken: number } {
  const requests: GenerateRequest[] = [];
  const prefetched: GenerateRequest[] = [];
  const ready = new Set<string>();
  const key = (r: GenerateRequest) => JSON.stringify([r.prompt, r.maxTokens, r.temperature, r.topP, r.seed, r.stop]);
  return {
    requests,
    prefetched,
    taken: 0,
    adapter: { run_id: null, gguf: null, base: { name: 'stub', gguf: '/dev/null' } },
    chatTemplate: null,
    template: CHATML,
    async prefetch(batch) {
      prefetched.push(...batch);
      for (const r of batch) ready.add(key(r));
    },
    async generate(request) {
      requests.push(request);
      if (ready.delete(key(request))) this.taken++;
      const said = request.prompt.split('<|im_start|>user\n')[1]!.split('<|im_end|>')[0]!.split(' ').slice(-2).join(' ');
      const text = request.seed % 5 === 0 ? 'Kappa' : `${said} ${request.seed % 97} LUL`;
      return { text, promptTokens: 10, completionTokens: 3, finishReason: 'stop', adapter: this.adapter };
    },
    async useAdapter() {},
    async close() {},
  };
}

function service(engine: ReplyEngine) {
  return createReplyService({
    engine,
    spec: loadPromptSpec(),
    guardrails: { toxicity: null, banned: null, scrubViewerNames: null, maxChars: 200, recent: new RecentReplies(50), maxRegenerations: 3 },
    log: memoryLogSink(),
  });
}

describe('simulateTranscript (stand-in engine)', () => {
  it('writes a TwitchDownloader file the normaliser reads back whole, and the same seed writes the same bytes', async () => {
    const run = async (name: string, seed: number) => {
      const engine = echoEngine();
      const summary = await simulateTranscript({
        transcript,
        model,
        service: service(engine),
        sequences: 1,
        vodId: 'sim-unit',
        seed,
        maxMessages: 120,
        chatOut: join(data.dir, `${name}.json`),
        recordsOut: join(data.dir, `${name}.jsonl`),
      });
      return { summary, engine, chat: readFileSync(join(data.dir, `${name}.json`), 'utf8'), records: readFileSync(join(data.dir, `${name}.jsonl`), 'utf8') };
    };
    const a = await run('a', 11);
    const b = await run('b', 11);
    const c = await run('c', 12);
    expect(a.chat).toBe(b.chat);
    expect(a.records).toBe(b.records);
    expect(c.chat).not.toBe(a.chat);

    expect(a.summary.planned).toBe(120);
    expect(a.summary.messages + a.summary.dropped).toBe(120);
    expect(a.summary.normalized).toEqual({ accepted: a.summary.messages, rejected: 0, format: 'twitchdownloader' });
    // Requests batch the messages answering one phrase, never more than 8.
    expect(a.summary.reply_calls).toBeLessThan(120);
    expect(a.engine.requests.every((r) => r.maxTokens === 16)).toBe(true);

    const file = TwitchDownloaderChatFile.parse(JSON.parse(a.chat));
    expect(file.comments).toHaveLength(a.summary.messages);
    const records = a.records.trim().split('\n').map((l) => ChatMessage.parse(JSON.parse(l)));
    expect(records).toHaveLength(a.summary.messages);
    expect(records.every((r) => r.vod_id === 'sim-unit' && r.kind === 'message' && r.text.length > 0)).toBe(true);
    // Emotes of the text became emote fragments, and the normaliser found them.
    expect(records.some((r) => r.emotes.some((e) => e.name === 'Kappa'))).toBe(true);
    // The repetition guardrail acted on the repeated "Kappa" and the engine was asked again.
    expect(a.summary.guardrail_actions['repetition:regenerate']).toBeGreaterThan(0);
    // Every first sample was asked for ahead, together, and the reply service took each one; only
    // the samples drawn again after a guardrail's rejection were generated on demand.
    expect(a.engine.prefetched).toHaveLength(120);
    expect(a.engine.taken).toBe(120);
    const again = Object.entries(a.summary.guardrail_actions).filter(([k]) => k.endsWith(':regenerate'));
    expect(a.engine.requests.length - a.engine.taken).toBe(again.reduce((sum, [, n]) => sum + n, 0));
    expect(a.summary.sequences).toBe(1);
  });
});
