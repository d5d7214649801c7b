import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ChatFormatError, detectChatFormat, normalizeChat } from '../../../functions/chat/normalize-chat.ts';
import { parseIrcLine } from '../../../functions/chat/parse-irc-line.ts';
import type { RawChat } from '../../../functions/chat/raw-chat.ts';
import { checkOutput, FORMATS_DIR, strayFiles, tempDir } from './chat-test-utils.ts';

interface Expectation {
  format: string;
  records: number;
  accepted: number;
  vodId?: string;
  vodStart?: string;
  offsetSource: string;
}

/**
 * Every chat sample, with what it must give. The IRC fixtures are single lines spanning a decade: a
 * VOD start in their busiest month keeps the lines within PLAUSIBLE_SPAN_MS of it; the others are
 * rejected as before the VOD start or implausibly far after it.
 */
const CHAT: Record<string, Expectation> = {
  'twitch_v5_comments_tcd_northernlion_highlight.json': { format: 'rechat', records: 44, accepted: 44, offsetSource: 'content_offset_seconds:whole-seconds' },
  'twitch_v5_single_comment_tcd_docs.json': { format: 'rechat', records: 1, accepted: 1, offsetSource: 'content_offset_seconds' },
  'twitch_tdcompat_livestreamdvr_dumper_redacted.json': { format: 'twitchdownloader', records: 2, accepted: 2, vodId: '77', offsetSource: 'content_offset_seconds' },
  'twitch_tdderived_thebiob_processed_v0.1.json': { format: 'twitchdownloader', records: 49, accepted: 49, offsetSource: 'content_offset_seconds:whole-seconds' },
  'xenova_chat_replay_downloader_v1_twitch.json': { format: 'chat-downloader', records: 19, accepted: 19, vodId: '449716115', offsetSource: 'time_in_seconds:whole-seconds' },
  'xenova_chat_replay_downloader_v1_twitch.csv': { format: 'chat-downloader', records: 19, accepted: 19, vodId: '449716115', offsetSource: 'time_in_seconds:whole-seconds' },
  'xenova_chat_replay_downloader_v1_twitch.txt': { format: 'text', records: 19, accepted: 19, vodId: '449716115', offsetSource: 'text-offset' },
  'csv_v5_comments_flattened_m_anwar.csv': { format: 'rechat', records: 80, accepted: 80, vodId: '1', offsetSource: 'content_offset_seconds' },
  'txt_twitchdownloader_relative_kkatamina_1986381866.txt': { format: 'text', records: 1000, accepted: 1000, vodId: '1986381866', offsetSource: 'text-offset' },
  'txt_rechattool_ms_offsets_imperialhal_995964727.txt': { format: 'text', records: 600, accepted: 600, vodId: '995964727', offsetSource: 'text-offset' },
  'irc_chatterino_snapshot_inputs.irc': { format: 'irc', records: 103, accepted: 35, vodId: '1', vodStart: '2024-09-01T00:00:00Z', offsetSource: 'tmi-sent-ts' },
  'irc_twitch_irc_rs_fixtures.irc': { format: 'irc', records: 59, accepted: 17, vodId: '1', vodStart: '2020-07-01T00:00:00Z', offsetSource: 'tmi-sent-ts' },
  'irc_tmijs_test_fixtures.irc': { format: 'irc', records: 67, accepted: 3, vodId: '1', vodStart: '2020-12-01T00:00:00Z', offsetSource: 'tmi-sent-ts' },
};

const files = readdirSync(FORMATS_DIR).filter((f) => f !== 'README.md');
const notChat = files.filter((f) => !(f in CHAT));

describe('normalizeChat on every shared chat sample', () => {
  it('knows every sample', () => {
    expect(Object.keys(CHAT).every((f) => files.includes(f))).toBe(true);
    expect(notChat.length).toBeGreaterThanOrEqual(13);
  });

  it.each(Object.entries(CHAT))('%s', async (file, want) => {
    const dir = tempDir();
    const result = await normalizeChat({ input: join(FORMATS_DIR, file), out: join(dir, 'out.jsonl'), vodId: want.vodId, vodStart: want.vodStart });
    expect(result.format).toBe(want.format);
    expect(result.records).toBe(want.records);
    expect(result.accepted).toBe(want.accepted);
    expect(result.offsetSource).toBe(want.offsetSource);
    const { messages } = checkOutput(result);
    for (const m of messages) {
      expect(m.source_format).toBe(want.format);
      expect(m.text.length).toBeGreaterThan(0);
      for (const e of m.emotes) expect(Array.from(m.text).slice(e.start, e.end + 1).join('')).toBe(e.name);
    }
    expect(strayFiles(dir, ['out.jsonl', 'out.rejects.jsonl'])).toEqual([]);
  });
});

describe('samples with known content', () => {
  const run = async (file: string, extra: { vodId?: string; vodStart?: string } = {}) => {
    const dir = tempDir();
    const result = await normalizeChat({ input: join(FORMATS_DIR, file), out: join(dir, 'out.jsonl'), ...extra });
    return { result, ...checkOutput(result) };
  };

  it('v5 highlight: bunched created_at keeps whole seconds; bots, commands, subs, modified emotes', async () => {
    const { result, messages } = await run('twitch_v5_comments_tcd_northernlion_highlight.json');
    expect(result.vodId).toBe('1087079172');
    expect(result.clockShiftMs).toBeNull();
    expect(messages.every((m) => m.offset_ms % 1000 === 0)).toBe(true);
    const nightbot = messages.filter((m) => m.author_login === 'nightbot');
    expect(nightbot.length).toBeGreaterThan(0);
    expect(nightbot.every((m) => m.is_bot)).toBe(true);
    expect(messages.some((m) => m.is_command && m.text.startsWith('!docket'))).toBe(true);
    expect(messages.some((m) => m.kind === 'sub')).toBe(true);
    expect(messages.some((m) => m.emotes.some((e) => e.id === '1573421_TK'))).toBe(true);
    expect(messages.filter((m) => m.is_emote_only).length).toBeGreaterThan(3);
    expect(messages.find((m) => m.text === '<3')?.is_emote_only).toBe(true);
  });

  it('single v5 comment: millisecond offset and emote position', async () => {
    const { messages } = await run('twitch_v5_single_comment_tcd_docs.json');
    expect(messages[0]).toMatchObject({ vod_id: '212237951', offset_ms: 768, message_id: '6af512e8-4bbb-4310-89c2-fef7c73c0c77', author_login: 'aivoh', badges: ['subscriber/0'] });
    expect(messages[0]!.emotes).toEqual([{ id: '560500', name: 'lirikH', start: 5, end: 10 }]);
  });

  it('redacted LiveStreamDVR dump: placeholder ids are not ids, the VOD id must be given', async () => {
    const file = join(FORMATS_DIR, 'twitch_tdcompat_livestreamdvr_dumper_redacted.json');
    await expect(normalizeChat({ input: file, out: join(tempDir(), 'o.jsonl') })).rejects.toMatchObject({ kind: 'missing-vod-id' });
    const { messages } = await run('twitch_tdcompat_livestreamdvr_dumper_redacted.json', { vodId: '77' });
    expect(messages.map((m) => m.offset_ms)).toEqual([1954052, 1954091]);
    expect(messages[0]!.message_id).not.toBe(messages[1]!.message_id);
    expect(messages[0]!.author_id).toBeNull();
  });

  it('derived TwitchDownloader file: twitch_emotes names become positioned emotes', async () => {
    const { result, messages } = await run('twitch_tdderived_thebiob_processed_v0.1.json');
    expect(result.vodId).toBe('2285300543');
    const m = messages.find((x) => x.text.startsWith('Yooo @thebiob'))!;
    expect(m.emotes.map((e) => e.name)).toEqual(['FutureMan', 'FutureMan', 'FutureMan']);
    expect(m.emotes.every((e) => e.id === '98562')).toBe(true);
    expect(messages.every((x) => x.message_id.startsWith('h-'))).toBe(true);
  });

  it('RechatTool text: /me without colon, Display (login) names, millisecond offsets', async () => {
    const { messages } = await run('txt_rechattool_ms_offsets_imperialhal_995964727.txt', { vodId: '995964727' });
    const action = messages.find((m) => m.offset_ms === 41512)!;
    expect(action).toMatchObject({ author_display: 'Nightbot', is_action: true, is_bot: true });
    expect(action.text.startsWith('COUNTDOWN')).toBe(true);
    const cjk = messages.find((m) => m.author_login === 'sixbot_fahey');
    expect(cjk?.author_display).toBe('六一六');
    expect(messages[0]!.offset_ms).toBe(15839);
  });

  it('IRC fixtures: actions, cheers, replies, sub and raid notices', async () => {
    const lines = readFileSync(join(FORMATS_DIR, 'irc_chatterino_snapshot_inputs.irc'), 'utf8').split('\n').filter((l) => l.length > 0);
    const parsed = lines.map((l) => parseIrcLine(l)).filter((r): r is RawChat => 'text' in r);
    expect(parsed.some((m) => m.isAction && m.text === 'Kappa' && m.emotes[0]?.name === 'Kappa')).toBe(true);
    expect(parsed.some((m) => m.bits > 0)).toBe(true);
    expect(parsed.some((m) => m.kind === 'raid')).toBe(true);
    const { result, messages } = await run('irc_chatterino_snapshot_inputs.irc', { vodId: '1', vodStart: '2024-09-01T00:00:00Z' });
    expect(result.reasons['implausible-timestamp']).toBeGreaterThan(0);
    expect(messages.some((m) => m.reply_to !== null)).toBe(true);
    expect(messages.some((m) => m.kind === 'sub')).toBe(true);
    expect(messages.some((m) => m.is_deleted)).toBe(true);
    expect(messages.every((m) => m.sent_at !== null)).toBe(true);
    expect(messages.every((m) => m.offset_ms <= 30 * 86_400_000)).toBe(true);
  });

  it('IRC needs the VOD start', async () => {
    const file = join(FORMATS_DIR, 'irc_twitch_irc_rs_fixtures.irc');
    const dir = tempDir();
    const error = await normalizeChat({ input: file, vodId: '1', out: join(dir, 'o.jsonl') }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ChatFormatError);
    expect((error as ChatFormatError).kind).toBe('missing-vod-start');
    expect(strayFiles(dir, [])).toEqual([]);
  });
});

describe('caption and transcript samples are not chat', () => {
  it.each(notChat)('%s', async (file) => {
    const dir = tempDir();
    const error = await normalizeChat({ input: join(FORMATS_DIR, file), out: join(dir, 'out.jsonl'), vodId: '1' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ChatFormatError);
    expect((error as ChatFormatError).kind).toBe('unknown-shape');
    expect((error as ChatFormatError).message).toMatch(/not (chat|a chat log|a known chat format)/);
    expect((error as ChatFormatError).message.startsWith(join(FORMATS_DIR, file))).toBe(true);
    expect(strayFiles(dir, [])).toEqual([]);
    await expect(detectChatFormat(join(FORMATS_DIR, file))).rejects.toBeInstanceOf(ChatFormatError);
  });
});
