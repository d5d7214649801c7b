import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { ChatMessage } from '../../../functions/chat/chat-message.ts';
import { cleanChatText } from '../../../functions/chat/clean-chat-text.ts';
import { normalizeChat, type NormalizeChatInput } from '../../../functions/chat/normalize-chat.ts';
import { checkOutput, FIXTURES_DIR, FORMATS_DIR, readJsonl, tempDir } from './chat-test-utils.ts';

async function run(file: string, extra: Partial<NormalizeChatInput> = {}) {
  const dir = tempDir();
  const result = await normalizeChat({ input: file.startsWith('/') ? file : join(FIXTURES_DIR, file), out: join(dir, 'out.jsonl'), ...extra });
  return { result, ...checkOutput(result) };
}

describe('IRC-style text logs (<nick> authors)', () => {
  it('reads mode prefixes as badges, keeps one author per viewer, and only `* nick` is an action', async () => {
    const { result, messages } = await run('irc-style.txt', { vodId: '7' });
    expect(result.format).toBe('text');
    expect(result.accepted).toBe(12);
    const at = (ms: number) => messages.find((m) => m.offset_ms === ms)!;
    expect(at(3000)).toMatchObject({ author_login: 'quack_001', author_display: 'QuacK_001', badges: ['moderator'], text: 'yo', is_action: false });
    expect(at(5000)).toMatchObject({ author_login: 'kleeble', badges: ['vip'], is_action: false });
    expect(at(7000)).toMatchObject({ author_login: 'viewer_one', badges: ['subscriber'], is_emote_only: true });
    expect(at(9000)).toMatchObject({ author_login: 'nightbot', is_bot: true, badges: [] });
    expect(at(10_000)).toMatchObject({ author_login: 'dougdoug', badges: ['broadcaster'] });
    expect(at(11_000)).toMatchObject({ author_login: 'modsub', badges: ['moderator', 'subscriber'] });
    expect(at(12_000)).toMatchObject({ author_login: 'dave', author_display: 'Dave', text: 'my name ends in a space' });
    expect(at(14_000)).toMatchObject({ author_login: 'viewer_one', is_action: true, text: 'waves at chat' });
    expect(at(15_000)).toMatchObject({ author_login: 'quack_001', is_command: true });
    expect(at(16_000).badges).toEqual(['admin']);
    expect(at(17_000).badges).toEqual(['staff']);
    expect(at(18_000)).toMatchObject({ author_login: 'quack_001', badges: ['moderator'], is_action: true, text: 'dances' });
    expect(messages.filter((m) => m.is_action)).toHaveLength(2);
    expect(messages.every((m) => !/[<>@%+~&$]/.test(m.author_login!))).toBe(true);
    expect(new Set(messages.map((m) => m.author_login)).size).toBe(9);
    expect(result.warnings).toEqual({});
  });
});

describe('chat-downloader items of 2020', () => {
  it('Twitch items with author_name / author_display_name / author_id', async () => {
    const { result, messages } = await run('chat-downloader-2020-twitch.json', { vodId: '9' });
    expect(result.warnings).toEqual({});
    expect(messages.map((m) => [m.author_id, m.author_login, m.author_display])).toEqual([
      ['123456789', 'viewer_one', 'Viewer_One'], ['19264788', 'nightbot', 'Nightbot'], ['987654', 'sixbot_fahey', '六一六'],
    ]);
    expect(messages[0]!.badges).toEqual(['subscriber/12', 'premium/1']);
    expect(messages[1]!.is_bot).toBe(true);
    expect(messages[2]).toMatchObject({ bits: 100, reply_to: '6d6f9a2e-1c42-4a0c-9c58-6a9d3f1f2b10' });
    expect(Math.floor(messages[2]!.offset_ms / 1000)).toBe(20);
  });

  it('warns and counts when a recognised format yields no authors', async () => {
    const dir = tempDir();
    const path = join(dir, 'cd.json');
    writeFileSync(path, JSON.stringify([1, 2, 3].map((k) => ({ user: `u${k}`, message: `hi ${k}`, time_in_seconds: k, timestamp: 1604102412345678 + k }))));
    const { result } = await run(path, { vodId: '9' });
    expect(result.accepted).toBe(3);
    expect(result.warnings).toEqual({ 'missing-author': 3 });
    const cli = await execa('node', ['bin/dougpt.js', 'chat', 'normalize', path, '--vod-id', '9', '--out', join(dir, 'cli.jsonl')], { reject: false });
    expect(cli.exitCode).toBe(0);
    expect(cli.stdout).toContain('warning: missing-author 3');
  });

  it('YouTube replay items: exact video_offset_time_msec, author ids, member badges, no zero-width space', async () => {
    const { result, messages } = await run('chat-downloader-2020-youtube.json', { vodId: 'yt1' });
    expect(result.offsetSource).toBe('video_offset_time_msec');
    expect(messages.map((m) => m.offset_ms)).toEqual([0, 2664, 4193, 6531, 7065, 14_318]);
    expect(messages.every((m) => m.author_id?.startsWith('UC'))).toBe(true);
    expect(messages[1]).toMatchObject({ author_id: 'UC4wzcM0MeT2pnK1EYX8B8nw', author_display: 'thet 439' });
    expect(messages[2]!.text).toBe('❤️TECHNOSUPPORT❤️');
    expect(messages[3]!.badges).toEqual(['member/0']);
    expect(messages[4]!.badges).toEqual(['member/3']);
    expect(messages[0]!.sent_at).toBe('2020-08-15T18:42:05.073Z');
  });
});

describe('yt-dlp YouTube live chat (.live_chat.json)', () => {
  it('is detected and read: offsets, authors, badges, custom emoji, memberships, deletions', async () => {
    const { result, messages, rejects } = await run('youtube.live_chat.json', { vodId: 'yt2' });
    expect(result.format).toBe('youtube-live-chat');
    expect(result.offsetSource).toBe('videoOffsetTimeMsec');
    expect(result.records).toBe(7);
    expect(result.reasons).toEqual({ 'not-chat': 2, moderation: 1 });
    expect(rejects.filter((r) => r.reason === 'not-chat').map((r) => r.detail)).toEqual(['YouTube liveChatViewerEngagementMessageRenderer', 'YouTube addLiveChatTickerItemAction']);
    expect(messages.map((m) => [m.offset_ms, m.kind])).toEqual([[12_345, 'message'], [13_001, 'message'], [15_500, 'sub'], [20_250, 'message']]);
    const [mod, member, joined, paid] = messages as [ChatMessage, ChatMessage, ChatMessage, ChatMessage];
    expect(mod).toMatchObject({
      message_id: 'ChwKGkNPbTN4YTJfb0lNREZRMEFvZ01kVjhNTE1B', sent_at: '2023-11-14T22:13:32.345Z', author_id: 'UCmodQuackExample000000a',
      author_login: 'quackmod', author_display: '@QuackMod', badges: ['moderator'], text: 'hello chat :_dougWiggle: 😂',
    });
    expect(mod.emotes).toEqual([{ id: 'UCzEXAMPLEchannel000000/CkdQ1gEPdougWiggle', name: ':_dougWiggle:', start: 11, end: 23 }]);
    expect(member).toMatchObject({ author_login: null, author_display: 'Dave Smith', badges: ['member/6'], text: 'first time here', is_deleted: true });
    expect(joined).toMatchObject({ text: "Welcome to Doug's Club!", badges: ['member/0'], author_login: 'new_member' });
    expect(paid).toMatchObject({ text: 'for the stream', is_deleted: false });
  });
});

describe('Twitch v5 comments', () => {
  it('after-stream VOD comments are not live chat; a created_at years off the file is nulled and counted', async () => {
    const { result, messages, rejects } = await run('v5-with-vod-comments.json');
    expect(result.records).toBe(5);
    expect(result.reasons).toEqual({ 'vod-comment': 1 });
    expect(rejects[0]).toMatchObject({ record_index: 2, reason: 'vod-comment' });
    expect(messages.map((m) => m.author_login)).toEqual(['aivoh', 'quack_001', 'nightbot', 'clockless']);
    expect(result.warnings).toEqual({ 'implausible-sent-at': 1 });
    expect(messages.find((m) => m.author_login === 'clockless')!.sent_at).toBeNull();
    expect(messages.filter((m) => m.sent_at !== null)).toHaveLength(3);
  });
});

describe('recent-messages / Chatterino JSON', () => {
  it('reads the IRC lines of {"messages": [...]}, with rm-deleted, and rejects times far from the VOD', async () => {
    const { result, messages } = await run('recent-messages.json', { vodId: '11148817', vodStart: '2024-09-17T19:00:00Z' });
    expect(result.format).toBe('irc');
    expect(result.records).toBe(5);
    expect(result.reasons).toEqual({ 'implausible-timestamp': 2, 'not-chat': 1, moderation: 1 });
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({
      message_id: '3dc39240-0798-4103-8c3c-51e1a9a567a3', author_login: 'nerixyz', text: '7TVEmote Kappa my7TVEmote hi 7TVEmote❤',
      is_deleted: true, offset_ms: 1_026_982, badges: ['subscriber/24'],
    });
    expect(messages[0]!.emotes).toEqual([{ id: '25', name: 'Kappa', start: 9, end: 13 }]);
  });
});

describe('text logs: notices and invisible characters', () => {
  it('TwitchDownloader text: sub notices get kind sub; U+E0000 and trailing spaces are gone', async () => {
    const { messages } = await run(join(FORMATS_DIR, 'txt_twitchdownloader_relative_kkatamina_1986381866.txt'), { vodId: '1986381866' });
    const subs = messages.filter((m) => m.kind === 'sub');
    expect(subs.find((m) => m.author_login === 'nijuuyon')?.text).toBe('nijuuyon gifted a Tier 1 sub to coyelizabeth! They have given 15 Gift Subs in the channel!');
    expect(subs.some((m) => m.text.startsWith('cokeshakeyhottesthits is gifting 10 Tier 1 Subs'))).toBe(true);
    expect(subs.some((m) => m.text.startsWith('mzrawr subscribed with Prime.'))).toBe(true);
    expect(messages.find((m) => m.text === 'Pog gifted')?.kind).toBe('message');
    expect(messages.some((m) => /[\u{E0000}\u200b]|\s$/u.test(m.text))).toBe(false);
  });

  it('Chatterino-style system lines without a colon: raids and subs', async () => {
    const dir = tempDir();
    const path = join(dir, 'log.txt');
    writeFileSync(path, [
      '[0:01:00] raider_guy is raiding with a party of 42.',
      '[0:01:02] 430 raiders from iamelisabete have joined!',
      '[0:01:05] Gulgarius subscribed at Tier 1. They\'ve subscribed for 6 months, currently on a 4 month streak!',
      '[0:01:09] An anonymous user gifted a Tier 1 sub to MohammadrezaDH!',
      '[0:01:10] bob: bob subscribed to my newsletter',
      '[0:01:11] * bob waves',
    ].join('\n'));
    const { messages } = await run(path, { vodId: '3' });
    expect(messages.map((m) => [m.kind, m.is_action])).toEqual([
      ['raid', false], ['raid', false], ['sub', false], ['sub', false], ['message', false], ['message', true],
    ]);
    expect(messages[0]!.text).toBe('raider_guy is raiding with a party of 42.');
  });

  it('cleanChatText moves emotes with the text and keeps joiners that join', () => {
    expect(cleanChatText('\u200bKappa hi \u{E0000}', [{ id: '25', name: 'Kappa', start: 1, end: 5 }])).toEqual({
      text: 'Kappa hi', emotes: [{ id: '25', name: 'Kappa', start: 0, end: 4 }],
    });
    const family = '👨\u200d👩\u200d👧';
    expect(cleanChatText(`${family} \u200d`, []).text).toBe(family);
    const scotland = '🏴\u{E0067}\u{E0062}\u{E0073}\u{E0063}\u{E0074}\u{E007F}';
    expect(cleanChatText(`${scotland}\u{E0020}x \u{E0000}`, []).text).toBe(`${scotland}x`);
    expect(cleanChatText('\ufeffhi\u2060', []).text).toBe('hi');
    expect(cleanChatText('می\u200cخواهم', []).text).toBe('می\u200cخواهم');
  });
});

describe('third-party emote names', () => {
  it('TwitchDownloader embeddedData thirdParty names make messages emote-only', async () => {
    const { messages } = await run('td-third-party-emotes.json');
    const only = Object.fromEntries(messages.map((m) => [m.message_id, m.is_emote_only]));
    expect(only).toEqual({ a1: true, a2: true, a3: false, a4: true, a5: true });
    expect(messages.find((m) => m.message_id === 'a2')!.text).toBe('KEKW');
  });

  it('dougpt chat normalize --emotes FILE counts them in any format', async () => {
    const dir = tempDir();
    const path = join(dir, 'log.txt');
    writeFileSync(path, '[0:00:01] alice: peepoSitDoug dougWiggle\n[0:00:02] bob: peepoSitDoug hello\n');
    const out = join(dir, 'o.jsonl');
    const cli = await execa('node', ['bin/dougpt.js', 'chat', 'normalize', path, '--vod-id', '1', '--out', out, '--emotes', join(FIXTURES_DIR, 'emotes.txt'), '--json'], { reject: false });
    expect(cli.exitCode, cli.stderr).toBe(0);
    const rows = readJsonl(out).map((r) => ChatMessage.parse(r));
    expect(rows.map((r) => r.is_emote_only)).toEqual([true, false]);
    const missing = await execa('node', ['bin/dougpt.js', 'chat', 'normalize', path, '--vod-id', '1', '--out', out, '--emotes', join(dir, 'nope.txt')], { reject: false });
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toContain('nope.txt');
  });
});
