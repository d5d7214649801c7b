import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chatEvents, MARKS } from '../../../functions/simulate/chat-events.ts';
import { HawkesPacingModel, PacingScore } from '../../../functions/simulate/hawkes-pacing.ts';
import { fitPacingFromChat, readAnyPacing, scorePacingOnChat } from '../../../functions/simulate/pacing-chat-files.ts';
import { planMessages } from '../../../functions/simulate/plan-messages.ts';
import { simulateStream } from '../../../functions/sample/simulate-stream.ts';
import { msg } from '../align/fixture.ts';
import { alignedStreams } from './streams.ts';

const cli = fileURLToPath(new URL('../../../bin/dougpt.js', import.meta.url));
/** A real Twitch chat log (RechatTool text, millisecond offsets), 600 lines over ~8 minutes. */
const REAL = fileURLToPath(new URL('../../../../shared/formats/txt_rechattool_ms_offsets_imperialhal_995964727.txt', import.meta.url));

describe('chatEvents', () => {
  it('marks copypasta, emote-only, mentions and plain lines, and drops what is not the audience', () => {
    const pasta = 'this is a very long copypasta that several viewers paste word for word into chat ok';
    const { events, dropped } = chatEvents([
      msg(1500, 'hello'),
      msg(2500, 'KEKW', { is_emote_only: true }),
      msg(3500, '@someone look'),
      msg(4500, pasta),
      msg(5500, pasta),
      msg(6500, '!uptime'),
      msg(7500, 'bot line', { is_bot: true }),
    ]);
    expect(events.map((e) => MARKS[e.mark])).toEqual(['plain', 'emote-only', 'mention', 'copypasta', 'copypasta']);
    expect(events.map((e) => e.t)).toEqual([1.5, 2.5, 3.5, 4.5, 5.5]);
    expect(dropped).toEqual({ command: 1, bot: 1 });
  });

  it('spreads whole-second offsets evenly across their second', () => {
    const { events, spread } = chatEvents([msg(3000, 'a'), msg(3000, 'b'), msg(4000, 'c'), msg(3000, 'd')]);
    expect(spread).toBe(true);
    expect(events.map((e) => e.t)).toEqual([3 + 1 / 6, 3.5, 3 + 5 / 6, 4.5]);
  });
});

describe('pacing fit --chat / score on a real chat log', () => {
  let dir = '';
  let pacing = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dougpt-pacing-chat-'));
    pacing = join(dir, 'pacing.json');
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('fits the first 70 %, scores the last 30 % with the output shape, and beats the constant rate', async () => {
    const model = await fitPacingFromChat({ chat: [REAL], until: 0.7, out: pacing });
    expect(HawkesPacingModel.parse(JSON.parse(await readFile(pacing, 'utf8')))).toEqual(model);
    expect(model.branching_ratio).toBeGreaterThan(0);
    expect(model.branching_ratio).toBeLessThan(1);
    const score = await scorePacingOnChat({ pacing, chat: REAL, from: 0.7 });
    const { window, ...shape } = score;
    expect(PacingScore.strict().parse(shape)).toEqual(shape);
    expect(Object.keys(shape).sort()).toEqual(['constant', 'constant_oracle', 'messages', 'model', 'seconds']);
    expect(Object.keys(score.model).sort()).toEqual(['corr_10s', 'loglik_per_s', 'mae_10s']);
    expect(window.from_s).toBeGreaterThan(300);
    expect(score.messages).toBeGreaterThan(100);
    expect(score.constant.corr_10s).toBeNull();
    expect(score.model.loglik_per_s).toBeGreaterThan(score.constant.loglik_per_s);
    expect(score.model.loglik_per_s).toBeGreaterThan(score.constant_oracle.loglik_per_s);
    expect(score.model.mae_10s).toBeLessThan(score.constant.mae_10s);
  });

  it('the CLI prints the same figures as JSON; bad input is refused with one line naming it', async () => {
    const explosive = JSON.parse(await readFile(pacing, 'utf8')) as HawkesPacingModel;
    for (const mark of MARKS) explosive.alpha[mark] = explosive.alpha[mark].map(() => 0.5);
    const bad = join(dir, 'explosive.json');
    await writeFile(bad, JSON.stringify(explosive));
    const notChat = join(dir, 'notes.json');
    await writeFile(notChat, '{"title": "not chat"}');
    const cases: [string[], RegExp][] = [
      [['pacing', 'score', '--pacing', bad, '--chat', REAL], /explosive\.json: not a `dougpt-pacing\/2` model .*branching ratio \d\.\d+ ≥ 1/],
    ];
    const [ok, ...results] = await Promise.all([
      execa('node', [cli, 'pacing', 'score', '--pacing', pacing, '--chat', REAL, '--from', '0.7', '--json'], { reject: false }),
      ...cases.map(([args]) => execa('node', [cli, ...args], { reject: false })),
    ]);
    expect(ok!.exitCode).toBe(0);
    expect(JSON.parse(ok!.stdout)).toEqual(await scorePacingOnChat({ pacing, chat: REAL, from: 0.7 }));
    results.forEach((r, i) => {
      expect(r.exitCode, cases[i]![0].join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(cases[i]![1]);
    });
    await expect(fitPacingFromChat({ chat: [join(dir, 'missing.txt')] })).rejects.toThrow(/missing\.txt: cannot read \(ENOENT\)/);
    await expect(fitPacingFromChat({ chat: [notChat] })).rejects.toThrow(/^.*notes\.json: .*not a known chat format/);
    await expect(fitPacingFromChat({ chat: [REAL], pairs: ['a.json', 'b.json'] })).rejects.toThrow(/--pairs: 2 align file\(s\) for 1 chat log/);
    await expect(scorePacingOnChat({ pacing, chat: REAL, from: 0.99 })).rejects.toThrow(/imperialhal.*shorter than one 10 s window/);
  }, 60_000);
});

describe('planMessages with a dougpt-pacing/2 model', () => {
  it('draws arrivals by thinning: the same seed gives the same plan, the count follows the model, the rate scale scales it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dougpt-pacing-plan-'));
    const path = join(dir, 'pacing.json');
    await fitPacingFromChat({ chat: [REAL], out: path });
    const model = await readAnyPacing(path);
    expect(model.version).toBe('dougpt-pacing/2');
    const transcript = simulateStream({ seed: 5, durationMs: 240_000, lagSchedule: [{ from_ms: 0, lag_ms: 5000 }], wholeSecondOffsets: false }).transcript;
    const a = planMessages(transcript, model, { seed: 7 });
    expect(planMessages(transcript, model, { seed: 7 })).toEqual(a);
    expect(planMessages(transcript, model, { seed: 8 }).messages).not.toEqual(a.messages);
    expect(a.messages.every((m, i) => i === 0 || m.offset_ms >= a.messages[i - 1]!.offset_ms)).toBe(true);
    expect(a.messages.every((m) => m.offset_ms >= 0 && m.offset_ms < a.duration_ms && m.phrase >= -1)).toBe(true);
    // A self-exciting total varies more than a Poisson one: within 40 % of the stationary expectation.
    expect(a.drawn / a.expected).toBeGreaterThan(0.6);
    expect(a.drawn / a.expected).toBeLessThan(1.4);
    const doubled = planMessages(transcript, model, { seed: 7, rateScale: 2 });
    expect(doubled.expected).toBeCloseTo(2 * a.expected, 6);
    expect(doubled.drawn).toBeGreaterThan(a.drawn);
    expect(planMessages(transcript, model, { seed: 7, maxMessages: 25 }).messages).toEqual(a.messages.slice(0, 25));
    await rm(dir, { recursive: true, force: true });
  });
});

describe('pacing fit --chat --pairs: the speech model as the background', () => {
  it('embeds the speech model fitted on the same span, scores with the transcript, and refuses a transcript for a chat-only model', async () => {
    const { dir, streams } = await alignedStreams([41], 180_000);
    const s = streams[0]!;
    const path = join(dir, 'speech.pacing.json');
    const model = await fitPacingFromChat({ chat: [s.chat], pairs: [s.align], until: 0.7, out: path });
    expect(model.baseline.kind).toBe('speech');
    if (model.baseline.kind !== 'speech') return;
    expect(model.baseline.pacing.version).toBe('dougpt-pacing/1');
    expect(model.lag_ms).toBe(model.baseline.pacing.lag_ms);
    const score = await scorePacingOnChat({ pacing: path, chat: s.chat, transcript: s.transcript, from: 0.7 });
    expect(score.messages).toBeGreaterThan(50);
    expect(score.model.loglik_per_s).toBeGreaterThan(score.constant.loglik_per_s);
    const chatOnly = join(dir, 'chat-only.pacing.json');
    await fitPacingFromChat({ chat: [s.chat], until: 0.7, out: chatOnly });
    await expect(scorePacingOnChat({ pacing: chatOnly, chat: s.chat, transcript: s.transcript })).rejects.toThrow(/chat-only\.pacing\.json: --transcript needs a model with a speech baseline/);
    await rm(dir, { recursive: true, force: true });
  }, 60_000);
});
