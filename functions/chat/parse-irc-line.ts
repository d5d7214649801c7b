import { emotesFromIrcTag } from './chat-emotes.ts';
import { kindOfNotice, reject, type ParsedRecord } from './raw-chat.ts';

export interface IrcMessage {
  tags: Map<string, string>;
  prefix: string | null;
  command: string;
  params: string[];
}

/** IRCv3 tag value unescaping: `\s` space, `\:` `;`, `\\` backslash, `\r`, `\n`; a lone trailing `\` is dropped. */
export function unescapeTagValue(value: string): string {
  if (!value.includes('\\')) return value;
  let out = '';
  for (let k = 0; k < value.length; k++) {
    const ch = value[k]!;
    if (ch !== '\\') {
      out += ch;
      continue;
    }
    const next = value[++k];
    if (next === undefined) break;
    out += next === 's' ? ' ' : next === ':' ? ';' : next === 'r' ? '\r' : next === 'n' ? '\n' : next;
  }
  return out;
}

/** Splits one raw IRC line into tags, prefix, command and params (the trailing param last). Null when it has no command. */
export function splitIrcLine(line: string): IrcMessage | null {
  let rest = line;
  const tags = new Map<string, string>();
  if (rest.startsWith('@')) {
    const space = rest.indexOf(' ');
    if (space < 0) return null;
    for (const pair of rest.slice(1, space).split(';')) {
      if (!pair) continue;
      const eq = pair.indexOf('=');
      if (eq < 0) tags.set(pair, '');
      else tags.set(pair.slice(0, eq), unescapeTagValue(pair.slice(eq + 1)));
    }
    rest = rest.slice(space + 1).trimStart();
  }
  let prefix: string | null = null;
  if (rest.startsWith(':')) {
    const space = rest.indexOf(' ');
    if (space < 0) return null;
    prefix = rest.slice(1, space);
    rest = rest.slice(space + 1).trimStart();
  }
  const params: string[] = [];
  const trailingAt = rest.indexOf(' :');
  let head = rest;
  let trailing: string | null = null;
  if (trailingAt >= 0) {
    head = rest.slice(0, trailingAt);
    trailing = rest.slice(trailingAt + 2);
  }
  const words = head.split(' ').filter((w) => w.length > 0);
  const command = words.shift();
  if (!command || !/^([A-Z]+|\d{3})$/.test(command)) return null;
  params.push(...words);
  if (trailing !== null) params.push(trailing);
  return { tags, prefix, command, params };
}

const ACTION_START = '\u0001ACTION ';

function timeTag(tags: Map<string, string>): number | null {
  const value = tags.get('tmi-sent-ts');
  if (value === undefined || !/^\d{10,16}$/.test(value)) return null;
  return Number(value);
}

function nonEmpty(value: string | undefined): string | null {
  const v = value?.trim();
  return v ? v : null;
}

/**
 * One raw Twitch IRC line → a chat record (PRIVMSG, USERNOTICE), a moderation event (CLEARMSG,
 * CLEARCHAT) or a reject naming why the line is not chat (PING, ROOMSTATE, …) or is broken.
 *
 * @example
 * parseIrcLine('@id=…;tmi-sent-ts=1594545155039 :ronni!ronni@ronni.tmi.twitch.tv PRIVMSG #dallas :Kappa')
 */
export function parseIrcLine(line: string): ParsedRecord {
  const msg = splitIrcLine(line);
  if (!msg) return reject('malformed-line', 'not an IRC message (no command)');
  const { tags, prefix, command, params } = msg;
  const channel = params[0]?.startsWith('#') ? params[0].toLowerCase() : null;
  switch (command) {
    case 'PRIVMSG':
    case 'USERNOTICE': {
      if (params.length < 1 || !params[0]!.startsWith('#')) return reject('malformed-line', `${command} without a channel`);
      let text = command === 'PRIVMSG' ? (params[1] ?? null) : (params.length > 1 ? params[params.length - 1]! : null);
      let isAction = false;
      if (text !== null && text.startsWith(ACTION_START)) {
        isAction = true;
        text = text.slice(ACTION_START.length);
        if (text.endsWith('\u0001')) text = text.slice(0, -1);
      }
      if (command === 'USERNOTICE' && (text === null || text.trim() === '')) text = nonEmpty(tags.get('system-msg'));
      if (command === 'PRIVMSG' && text === null) return reject('malformed-line', 'PRIVMSG without text');
      const nick = prefix && prefix.includes('!') ? prefix.slice(0, prefix.indexOf('!')) : null;
      const bits = Number(tags.get('bits') ?? '0');
      const badges = (tags.get('badges') ?? '').split(',').filter((b) => b.length > 0);
      return {
        id: nonEmpty(tags.get('id')),
        offsetMs: null,
        sentMs: timeTag(tags),
        authorId: nonEmpty(tags.get('user-id')),
        authorLogin: nonEmpty(tags.get('login')) ?? nick,
        authorDisplay: nonEmpty(tags.get('display-name')),
        text,
        emotes: text === null ? [] : emotesFromIrcTag(text, tags.get('emotes')),
        badges,
        bits: Number.isInteger(bits) && bits > 0 ? bits : 0,
        isAction,
        replyTo: nonEmpty(tags.get('reply-parent-msg-id')),
        kind: command === 'PRIVMSG' ? 'message' : noticeKind(tags.get('msg-id')),
        // The recent-messages service replays deleted messages with this tag.
        isDeleted: tags.get('rm-deleted') === '1',
        channel,
      };
    }
    case 'CLEARMSG': {
      const target = nonEmpty(tags.get('target-msg-id'));
      if (!target) return reject('malformed-line', 'CLEARMSG without target-msg-id');
      return { moderation: 'message', targetId: target, targetLogin: nonEmpty(tags.get('login')), atMs: timeTag(tags), channel };
    }
    case 'CLEARCHAT': {
      const login = params.length > 1 ? nonEmpty(params[params.length - 1]) : null;
      const userId = nonEmpty(tags.get('target-user-id'));
      if (login === null && userId === null) return { moderation: 'all', targetId: null, targetLogin: null, atMs: timeTag(tags), channel };
      return { moderation: 'user', targetId: userId, targetLogin: login?.toLowerCase() ?? null, atMs: timeTag(tags), channel };
    }
    default:
      return reject('not-chat', `IRC ${command}`);
  }
}

function noticeKind(msgId: string | undefined): 'sub' | 'raid' | 'notice' {
  const kind = kindOfNotice(msgId ?? 'unknown');
  return kind === 'message' ? 'notice' : kind;
}
