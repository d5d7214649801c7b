import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { emoteVerdict, isBot, botNameSet, emoteNameSet, isCommand } from '../../../functions/chat/chat-flags.ts';
import { CsvRowSplitter } from '../../../functions/chat/csv-row-splitter.ts';
import { JsonRecordScanner } from '../../../functions/chat/json-record-scanner.ts';
import { normalizeChat } from '../../../functions/chat/normalize-chat.ts';
import { parseIrcLine, unescapeTagValue } from '../../../functions/chat/parse-irc-line.ts';
import { newTextState, parseTextLine, type TextTiming } from '../../../functions/chat/parse-text-line.ts';
import type { RawChat, Moderation, RawReject } from '../../../functions/chat/raw-chat.ts';
import { checkOutput, FIXTURES_DIR, tempDir } from './chat-test-utils.ts';

describe('JsonRecordScanner', () => {
  const doc = '{"FileInfo":{"Version":{"Major":1}},"video":{"id":"9","title":"a ] } [ {"},"comments":[' +
    '{"_id":"a","message":{"body":"quote \\" and brace } and \\\\"}},  42 ,"str\\"ing",null,[1,[2]],{"_id":"b"}' +
    '],"embeddedData":{"thirdParty":[{"name":"KEKW"}]}}';

  it('splits records at every chunk boundary the same way', () => {
    const bytes = Buffer.from(doc);
    let reference: string[] | null = null;
    for (let cut = 1; cut < bytes.length; cut++) {
      const scanner = new JsonRecordScanner();
      const records = [...scanner.push(bytes.subarray(0, cut)), ...scanner.push(bytes.subarray(cut))];
      const end = scanner.end();
      expect(end.truncated).toBe(false);
      expect(JSON.parse(end.header)).toEqual({ FileInfo: { Version: { Major: 1 } }, video: { id: '9', title: 'a ] } [ {' }, comments: [], embeddedData: { thirdParty: [{ name: 'KEKW' }] } });
      reference ??= records;
      expect(records).toEqual(reference);
    }
    expect(reference!.map((r) => JSON.parse(r) as unknown)).toEqual([
      { _id: 'a', message: { body: 'quote " and brace } and \\' } }, 42, 'str"ing', null, [1, [2]], { _id: 'b' },
    ]);
  });

  it('reads a bare array and notices truncation', () => {
    const scanner = new JsonRecordScanner();
    expect(scanner.push(Buffer.from('[{"a":1}, {"b":'))).toEqual(['{"a":1}']);
    const end = scanner.end();
    expect(end.recordsKey).toBe('');
    expect(end.truncated).toBe(true);
  });
});

describe('parseIrcLine', () => {
  it('unescapes tag values', () => {
    expect(unescapeTagValue('a\\sb\\:c\\\\d\\ne\\')).toBe('a b;c\\d\ne');
  });

  it('reads a /me with an emoji before an emote (code-point ranges)', () => {
    const m = parseIrcLine('@emotes=25:8-12;id=x;tmi-sent-ts=1700000000000;user-id=1;display-name=Dave\\s :dave!dave@dave.tmi.twitch.tv PRIVMSG #doug :\u0001ACTION 😀 waves Kappa\u0001') as RawChat;
    expect(m).toMatchObject({ id: 'x', sentMs: 1700000000000, authorLogin: 'dave', authorDisplay: 'Dave', text: '😀 waves Kappa', isAction: true, kind: 'message' });
    expect(m.emotes).toEqual([{ id: '25', name: 'Kappa', start: 8, end: 12 }]);
  });

  it('drops emote ranges past the text', () => {
    const m = parseIrcLine('@emotes=84608:0-15;tmi-sent-ts=1 :test!test@test.tmi.twitch.tv PRIVMSG #pajlada :foo bar') as RawChat;
    expect(m.emotes).toEqual([]);
  });

  it('reads USERNOTICE kinds, falling back to system-msg for text', () => {
    const raid = parseIrcLine('@id=r;login=x;msg-id=raid;system-msg=5\\sraiders;tmi-sent-ts=1 :tmi.twitch.tv USERNOTICE #doug') as RawChat;
    expect(raid).toMatchObject({ kind: 'raid', text: '5 raiders', authorLogin: 'x' });
    const sub = parseIrcLine('@id=s;login=y;msg-id=resub;system-msg=y\\ssubscribed;tmi-sent-ts=1 :tmi.twitch.tv USERNOTICE #doug :hi doug') as RawChat;
    expect(sub).toMatchObject({ kind: 'sub', text: 'hi doug' });
    const other = parseIrcLine('@id=a;login=z;msg-id=announcement;system-msg=;tmi-sent-ts=1 :tmi.twitch.tv USERNOTICE #doug :hello') as RawChat;
    expect(other.kind).toBe('notice');
  });

  it('reads moderation and names what is not chat', () => {
    expect(parseIrcLine('@target-msg-id=m;tmi-sent-ts=1700000000005 :tmi.twitch.tv CLEARMSG #doug :x') as Moderation).toMatchObject({ moderation: 'message', targetId: 'm', atMs: 1700000000005, channel: '#doug' });
    expect(parseIrcLine('@target-user-id=7;tmi-sent-ts=6 :tmi.twitch.tv CLEARCHAT #doug :Bob') as Moderation).toMatchObject({ moderation: 'user', targetId: '7', targetLogin: 'bob' });
    expect(parseIrcLine(':tmi.twitch.tv CLEARCHAT #doug') as Moderation).toMatchObject({ moderation: 'all' });
    expect((parseIrcLine('PING :tmi.twitch.tv') as RawReject).reject).toBe('not-chat');
    expect((parseIrcLine('@a=b :x ROOMSTATE #doug') as RawReject).reject).toBe('not-chat');
    expect((parseIrcLine('hello there') as RawReject).reject).toBe('malformed-line');
    expect((parseIrcLine('@a=b') as RawReject).reject).toBe('malformed-line');
  });
});

describe('IRC moderation marks removed messages', () => {
  it('CLEARMSG one message, CLEARCHAT a user or a channel, only earlier and only in that channel', async () => {
    const dir = tempDir();
    const result = await normalizeChat({ input: join(FIXTURES_DIR, 'moderation.irc'), vodId: '9', vodStart: '2024-01-01T00:00:00Z', out: join(dir, 'o.jsonl') });
    const { messages } = checkOutput(result);
    const byId = new Map(messages.map((m) => [m.message_id, m]));
    const deleted = messages.filter((m) => m.is_deleted).map((m) => m.message_id).sort();
    expect(deleted).toEqual(['m1', 'm2', 'm3', 'm4']);
    expect(result.reasons).toEqual({ moderation: 3, 'not-chat': 1, 'malformed-line': 1, 'missing-timestamp': 1, 'before-vod-start': 1, duplicate: 1 });
    expect(byId.get('m1')!.offset_ms).toBe(1_000_000);
    expect(byId.get('m6')).toMatchObject({ is_action: true, text: '😀 waves Kappa', emotes: [{ id: '25', name: 'Kappa', start: 8, end: 12 }] });
    expect(byId.get('m8')!.kind).toBe('raid');
    expect(byId.get('m9')).toMatchObject({ kind: 'sub', text: 'love the stream' });
    expect(byId.get('m10')).toMatchObject({ bits: 100, reply_to: 'm6' });
    expect(byId.get('m11')!.is_bot).toBe(true);
    expect(byId.get('m12')!.is_command).toBe(true);
    expect(byId.get('m2')!.is_emote_only).toBe(true);
    expect(byId.get('m1')!.badges).toEqual(['subscriber/6']);
  });
});

describe('parseTextLine', () => {
  const relative: TextTiming = { kind: 'relative' };
  it('reads relative offsets of every logger', () => {
    expect(parseTextLine('[1:00:04] Name: hi', relative, newTextState(relative))).toMatchObject({ offsetMs: 3_604_000, authorDisplay: 'Name', authorLogin: 'name', text: 'hi', isAction: false });
    expect(parseTextLine('[10:06:55.020] a: b', relative, newTextState(relative))).toMatchObject({ offsetMs: 36_415_020 });
    expect(parseTextLine('[5:07] jump3N: guthenGG', relative, newTextState(relative))).toMatchObject({ offsetMs: 307_000 });
    expect(parseTextLine('[00:00:41.512] Nightbot COUNTDOWN', relative, newTextState(relative))).toMatchObject({ isAction: true, text: 'COUNTDOWN' });
    expect((parseTextLine('no time here', relative, newTextState(relative)) as RawReject).reject).toBe('malformed-line');
  });

  it('reads wall-clock lines and time-of-day logs across midnight', () => {
    const absolute: TextTiming = { kind: 'absolute' };
    expect(parseTextLine('[2024-01-01 12:00:01 UTC] a: b', absolute, newTextState(absolute))).toMatchObject({ sentMs: Date.parse('2024-01-01T12:00:01Z'), offsetMs: null });
    const tod: TextTiming = { kind: 'time-of-day', dayStartMs: Date.parse('2024-01-01T00:00:00Z') };
    const state = newTextState(tod);
    expect(parseTextLine('[23:59:59] a: b', tod, state)).toMatchObject({ sentMs: Date.parse('2024-01-01T23:59:59Z') });
    expect(parseTextLine('[00:00:02] a: c', tod, state)).toMatchObject({ sentMs: Date.parse('2024-01-02T00:00:02Z') });
  });

  it('needs the VOD start for wall-clock text logs', async () => {
    const dir = tempDir();
    const path = join(dir, 'log.txt');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(path, '[2024-01-01 12:00:01 UTC] alice: hello\n[2024-01-01 12:00:03 UTC] bob: !uptime\n');
    await expect(normalizeChat({ input: path, vodId: '1', out: join(dir, 'o.jsonl') })).rejects.toMatchObject({ kind: 'missing-vod-start' });
    const result = await normalizeChat({ input: path, vodId: '1', vodStart: '2024-01-01T12:00:00Z', out: join(dir, 'o.jsonl') });
    expect(result.offsetSource).toBe('text-wall-clock');
    const { messages } = checkOutput(result);
    expect(messages.map((m) => m.offset_ms)).toEqual([1000, 3000]);
  });
});

describe('other layouts end to end', () => {
  it('a Chatterino log: time of day after a dated header', async () => {
    const dir = tempDir();
    const path = join(dir, 'chatterino.log');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(path, '# Start logging at 2024-03-01 23:59:00 UTC\n[23:59:30] alice: late\n[00:00:10] bob: after midnight\n');
    const result = await normalizeChat({ input: path, vodId: '3', vodStart: '2024-03-01T23:59:00Z', out: join(dir, 'o.jsonl') });
    expect(result.offsetSource).toBe('text-wall-clock');
    const { messages } = checkOutput(result);
    expect(messages.map((m) => [m.author_login, m.offset_ms])).toEqual([['alice', 30_000], ['bob', 70_000]]);
  });

  it('chat-downloader 0.2 items: ids, authors, badges, emote locations, replies, message types', async () => {
    const dir = tempDir();
    const path = join(dir, 'cd.json');
    const { writeFileSync } = await import('node:fs');
    const item = (id: string, t: number, extra: Record<string, unknown>) => ({
      message_id: id, message: 'Kappa hi', message_type: 'text_message', time_in_seconds: t, timestamp: 1700000000000000 + t * 1e6,
      author: { id: '42', name: 'viewer', display_name: 'Viewer', badges: [{ name: 'subscriber', version: 12 }] },
      emotes: [{ id: '25', name: 'Kappa', locations: ['0-4'] }], ...extra,
    });
    writeFileSync(path, JSON.stringify([
      item('a', 2.5, {}),
      item('b', 1.25, { message_type: 'resubscription', in_reply_to: { message_id: 'a' } }),
      item('c', 3, { message_type: 'raid', message: 'raid incoming' }),
      item('a', 2.5, {}),
    ]));
    const result = await normalizeChat({ input: path, vodId: '5', out: join(dir, 'o.jsonl') });
    expect(result.format).toBe('chat-downloader');
    const { messages } = checkOutput(result);
    expect(result.reasons).toEqual({ duplicate: 1 });
    expect(messages.map((m) => [m.message_id, m.offset_ms, m.kind])).toEqual([['b', 1250, 'sub'], ['a', 2500, 'message'], ['c', 3000, 'raid']]);
    expect(messages[0]).toMatchObject({ author_id: '42', author_login: 'viewer', author_display: 'Viewer', badges: ['subscriber/12'], reply_to: 'a' });
    expect(messages[1]!.emotes).toEqual([{ id: '25', name: 'Kappa', start: 0, end: 4 }]);
  });
});

describe('flags', () => {
  it('commands, bots, emote-only', () => {
    expect(isCommand('!uptime')).toBe(true);
    expect(isCommand('  !so doug')).toBe(true);
    expect(isCommand('wow!')).toBe(false);
    expect(isCommand('! hi')).toBe(false);
    const bots = botNameSet(['dougbot']);
    expect(isBot(bots, 'nightbot', 'Nightbot')).toBe(true);
    expect(isBot(bots, null, 'StreamElements')).toBe(true);
    expect(isBot(bots, 'dougbot', null)).toBe(true);
    expect(isBot(bots, 'viewer', 'Viewer')).toBe(false);
    const names = emoteNameSet(['dougWiggle']);
    expect(emoteVerdict('KEKW dougWiggle KEKW', [], names, false)).toBe(true);
    expect(emoteVerdict('KEKW \u{E0000}', [], names, false)).toBe(true);
    expect(emoteVerdict('KEKW that was funny', [], names, false)).toBe(false);
    expect(emoteVerdict('tyler1Hey', [{ id: '1', name: 'tyler1Hey', start: 0, end: 8 }], names, false)).toBe(true);
    expect(emoteVerdict('KEKW newEmote', [], names, true)).toEqual(['newEmote']);
  });
});

describe('CsvRowSplitter', () => {
  it('handles quotes, escaped quotes and line breaks inside fields across chunks', () => {
    const text = 'a,b\r\n"x, ""y""","line\nbreak"\n1,2';
    const splitter = new CsvRowSplitter();
    const rows = [...text].flatMap((ch) => splitter.push(ch));
    const last = splitter.end();
    expect(rows.map((r) => r.fields)).toEqual([['a', 'b'], ['x, "y"', 'line\nbreak']]);
    expect(rows[1]!.text).toBe('"x, ""y""","line\nbreak"');
    expect(last.row?.fields).toEqual(['1', '2']);
  });
});
