import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Transcript } from '../../../functions/transcribe/transcript.ts';
import { GroundTruth, lagAt, type LagStep } from '../../../functions/sample/ground-truth.ts';
import { BOT_REPLY_DELAY_MS } from '../../../functions/sample/simulate-chat.ts';
import { simulateStream, type SimulateOptions } from '../../../functions/sample/simulate-stream.ts';
import { TwitchDownloaderChatFile } from '../../../functions/sample/twitch-downloader-chat-file.ts';

const FIVE_S: LagStep[] = [{ from_ms: 0, lag_ms: 5000 }];
const base: SimulateOptions = { seed: 1, durationMs: 180_000, lagSchedule: FIVE_S, wholeSecondOffsets: false };
const serialise = (s: ReturnType<typeof simulateStream>): string => JSON.stringify([s.chat, s.truth, s.transcript]);

/** A real file in the old (1.0) TwitchDownloader layout; we hold no real file of the current layout. */
const realTd = JSON.parse(
  readFileSync(new URL('./fixtures/twitch_tdcompat_livestreamdvr_dumper_redacted.json', import.meta.url), 'utf8'),
) as { comments: Array<Record<string, unknown> & { commenter: object; message: object }> } & Record<string, unknown>;

describe('simulateStream determinism', () => {
  it('gives byte-identical chat, truth and transcript for the same seed', () => {
    expect(serialise(simulateStream(base))).toBe(serialise(simulateStream(base)));
  });

  it('gives a different stream for a different seed', () => {
    const a = simulateStream(base);
    const b = simulateStream({ ...base, seed: 2 });
    expect(b.vodId).not.toBe(a.vodId);
    expect(b.utterances.map((u) => u.text)).not.toEqual(a.utterances.map((u) => u.text));
    expect(b.chat.comments.map((c) => c.message.body)).not.toEqual(a.chat.comments.map((c) => c.message.body));
  });

  it('keeps the words of the script when only word durations change', () => {
    const a = simulateStream(base);
    const b = simulateStream({ ...base, wordDurationMs: (word) => 200 + 30 * word.length });
    const n = Math.min(a.utterances.length, b.utterances.length);
    expect(n).toBeGreaterThan(10);
    expect(b.utterances.slice(0, n).map((u) => u.text)).toEqual(a.utterances.slice(0, n).map((u) => u.text));
    expect(b.utterances[5]?.end_ms).not.toBe(a.utterances[5]?.end_ms);
  });
});

describe('simulateStream ground truth', () => {
  const lagSchedule: LagStep[] = [{ from_ms: 0, lag_ms: 4000 }, { from_ms: 90_000, lag_ms: 9000 }];
  const s = simulateStream({ ...base, lagSchedule });
  const utterance = new Map(s.utterances.map((u) => [u.id, u]));

  it('parses with its own schema and covers every chat message once, in file order', () => {
    const truth = GroundTruth.parse(s.truth);
    expect(truth.messages.map((m) => m.message_id)).toEqual(s.chat.comments.map((c) => c._id));
    expect(new Set(truth.messages.map((m) => m.message_id)).size).toBe(truth.messages.length);
    for (let i = 1; i < truth.messages.length; i++) {
      expect(truth.messages[i]!.offset_ms).toBeGreaterThanOrEqual(truth.messages[i - 1]!.offset_ms);
    }
    for (const m of truth.messages) {
      expect(m.offset_ms).toBeGreaterThanOrEqual(0);
      expect(m.offset_ms).toBeLessThanOrEqual(s.truth.duration_ms);
    }
  });

  it('has every category of a real chat', () => {
    const categories = new Set(s.truth.messages.map((m) => m.category));
    expect([...categories].sort()).toEqual(['background', 'bot', 'command', 'copypasta', 'emote_spam', 'reaction', 'sub']);
  });

  it('puts every reaction at lag + reaction delay after the end of its line, following the schedule', () => {
    const { min, max } = s.truth.reaction_delay_ms;
    const reactions = s.truth.messages.filter((m) => m.category === 'reaction');
    expect(reactions.length).toBeGreaterThan(s.utterances.length * 3);
    let late = 0;
    for (const m of reactions) {
      const u = utterance.get(m.reacts_to!);
      expect(u).toBeDefined();
      expect(m.lag_ms).toBe(m.offset_ms - u!.end_ms);
      const scheduled = lagAt(lagSchedule, u!.end_ms);
      expect(m.lag_ms! - scheduled).toBeGreaterThanOrEqual(min);
      expect(m.lag_ms! - scheduled).toBeLessThanOrEqual(max);
      if (u!.end_ms >= 90_000) {
        expect(m.lag_ms).toBeGreaterThanOrEqual(9000);
        late++;
      }
    }
    expect(late).toBeGreaterThan(0);
  });

  it('leaves reacts_to and lag_ms empty for everything that is not a reaction', () => {
    for (const m of s.truth.messages.filter((x) => x.category !== 'reaction')) {
      expect(m.reacts_to).toBeNull();
      expect(m.lag_ms).toBeNull();
    }
  });

  it('answers every command with one bot message shortly after it', () => {
    const byId = new Map(s.truth.messages.map((m) => [m.message_id, m]));
    const body = new Map(s.chat.comments.map((c) => [c._id, c]));
    const commands = s.truth.messages.filter((m) => m.category === 'command');
    expect(commands.length).toBeGreaterThan(0);
    const replies = s.truth.messages.filter((m) => m.category === 'bot' && m.in_reply_to !== null);
    expect(replies.length).toBe(commands.length);
    for (const reply of replies) {
      const asked = byId.get(reply.in_reply_to!)!;
      expect(asked.category).toBe('command');
      expect(body.get(asked.message_id)!.message.body.startsWith('!')).toBe(true);
      expect(['Nightbot', 'StreamElements']).toContain(body.get(reply.message_id)!.commenter.display_name);
      expect(reply.offset_ms - asked.offset_ms).toBeGreaterThanOrEqual(BOT_REPLY_DELAY_MS.min);
      expect(reply.offset_ms - asked.offset_ms).toBeLessThanOrEqual(BOT_REPLY_DELAY_MS.max);
    }
    expect(new Set(replies.map((r) => r.in_reply_to)).size).toBe(commands.length);
  });

  it('echoes words of the line in some reactions', () => {
    const comments = new Map(s.chat.comments.map((c) => [c._id, c.message.body.toLowerCase()]));
    const echoes = s.truth.messages.filter((m) => {
      if (m.category !== 'reaction') return false;
      const words = utterance.get(m.reacts_to!)!.words.map((w) => w.word.toLowerCase());
      return comments.get(m.message_id)!.split(/[ ?!]+/).some((w) => w.length > 3 && words.includes(w));
    });
    expect(echoes.length).toBeGreaterThan(20);
  });

  it('gives every utterance ordered, non-overlapping words inside the stream', () => {
    let previousEnd = 0;
    for (const u of s.utterances) {
      expect(u.text).toBe(u.words.map((w) => w.word).join(' '));
      expect(u.start_ms).toBe(u.words[0]!.start_ms);
      expect(u.end_ms).toBe(u.words.at(-1)!.end_ms);
      for (const w of u.words) {
        expect(w.start_ms).toBeGreaterThanOrEqual(previousEnd);
        expect(w.end_ms).toBeGreaterThan(w.start_ms);
        previousEnd = w.end_ms;
      }
    }
    expect(previousEnd).toBeLessThanOrEqual(s.truth.duration_ms);
  });

  it('writes the ground-truth transcript in the Transcript schema', () => {
    const t = Transcript.parse(s.transcript);
    expect(t.backend).toBe('ground-truth');
    expect(t.words.every((w) => w.confidence === 1)).toBe(true);
    expect(t.words.length).toBe(s.utterances.reduce((n, u) => n + u.words.length, 0));
    expect(t.segments.map((g) => g.text)).toEqual(s.utterances.map((u) => u.text));
  });
});

describe('simulateStream chat file', () => {
  it('matches the TwitchDownloader layout and the keys of a real TwitchDownloader-shaped file', () => {
    const s = simulateStream(base);
    const chat = TwitchDownloaderChatFile.parse(s.chat);
    // 1.0 files carried `emotes`; current ones carry FileInfo, clipper and embeddedData instead.
    const realTop = Object.keys(realTd).filter((k) => k !== 'emotes');
    expect(Object.keys(chat).sort()).toEqual([...realTop, 'FileInfo', 'clipper', 'embeddedData'].sort());
    const realComment = realTd.comments[0]!;
    const realCommentKeys = new Set(Object.keys(realComment));
    const realCommenterKeys = new Set(Object.keys(realComment.commenter));
    const realMessageKeys = new Set(Object.keys(realComment.message));
    const ours = { comment: new Set<string>(), commenter: new Set<string>(), message: new Set<string>() };
    for (const c of s.chat.comments) {
      Object.keys(c).forEach((k) => ours.comment.add(k));
      Object.keys(c.commenter).forEach((k) => ours.commenter.add(k));
      Object.keys(c.message).forEach((k) => ours.message.add(k));
    }
    expect([...ours.comment].filter((k) => !realCommentKeys.has(k))).toEqual([]);
    expect([...ours.commenter].filter((k) => !realCommenterKeys.has(k))).toEqual([]);
    expect([...ours.message].filter((k) => !realMessageKeys.has(k))).toEqual([]);
    expect(ours.message.has('user_notice_params')).toBe(true);
    expect(s.chat.comments.every((c) => typeof c.content_offset_seconds === typeof realComment.content_offset_seconds)).toBe(true);
    expect(s.chat.comments.every((c) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/.test(c.created_at))).toBe(true);
    expect(chat.video.id).toBe(s.vodId);
    expect(chat.video.length).toBe(base.durationMs / 1000);
  });

  it('builds fragments and inclusive emote ranges that spell out the body', () => {
    const s = simulateStream(base);
    let emotes = 0;
    for (const c of s.chat.comments) {
      expect(c.message.fragments.map((f) => f.text).join('')).toBe(c.message.body);
      for (const e of c.message.emoticons) {
        const name = c.message.body.slice(e.begin, e.end + 1);
        expect(c.message.fragments.some((f) => f.text === name && f.emoticon?.emoticon_id === e._id)).toBe(true);
        emotes++;
      }
    }
    expect(emotes).toBeGreaterThan(0);
    expect(s.chat.comments.some((c) => c.message.user_notice_params?.msg_id === 'resub')).toBe(true);
    expect(s.chat.comments.some((c) => c.message.bits_spent > 0)).toBe(true);
  });

  it('writes fractional offsets by default and whole seconds on request, keeping created_at in ms', () => {
    const fractional = simulateStream(base);
    const whole = simulateStream({ ...base, wholeSecondOffsets: true });
    const start = Date.parse(whole.chat.video.created_at);
    expect(fractional.chat.comments.some((c) => !Number.isInteger(c.content_offset_seconds))).toBe(true);
    fractional.chat.comments.forEach((c, i) => {
      expect(Math.round(c.content_offset_seconds * 1000)).toBe(fractional.truth.messages[i]!.offset_ms);
    });
    whole.chat.comments.forEach((c, i) => {
      const offsetMs = whole.truth.messages[i]!.offset_ms;
      expect(Number.isInteger(c.content_offset_seconds)).toBe(true);
      expect(c.content_offset_seconds).toBe(Math.floor(offsetMs / 1000));
      expect(Date.parse(c.created_at) - start).toBe(offsetMs);
    });
    expect(whole.chat.comments.some((c) => !c.created_at.endsWith('.000Z'))).toBe(true);
  });

  it('scales chat volume with the audience', () => {
    const small = simulateStream({ ...base, viewers: 100 });
    const large = simulateStream({ ...base, viewers: 2000 });
    expect(large.chat.comments.length).toBeGreaterThan(small.chat.comments.length * 5);
  });

  it('rejects a lag schedule that does not start at 0', () => {
    expect(() => simulateStream({ ...base, lagSchedule: [{ from_ms: 1000, lag_ms: 5000 }] })).toThrow(/start at 0/);
  });
});

describe('simulateStream at VOD scale', () => {
  it('simulates a 6-hour stream with over 100k messages in a few seconds', () => {
    const t0 = performance.now();
    const s = simulateStream({ ...base, durationMs: 6 * 3_600_000 });
    const elapsed = performance.now() - t0;
    expect(s.chat.comments.length).toBeGreaterThan(100_000);
    expect(s.transcript.words.length).toBeGreaterThan(30_000);
    // Generous for a shared machine; about one second when it is idle.
    expect(elapsed).toBeLessThan(20_000);
  });
});
