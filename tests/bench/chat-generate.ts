import { createWriteStream } from 'node:fs';
import { once } from 'node:events';

/**
 * Writes a synthetic TwitchDownloader chat file (format 1.4 with FileInfo, compact JSON as the
 * tool writes it) for benchmarks and tests, streaming so a million messages never sit in memory.
 * Messages have a true sub-second offset; `content_offset_seconds` is floored to whole seconds
 * (as Twitch returns since late 2022) and `created_at` = vodStart + true offset + shiftMs.
 *
 * @example
 * await writeTwitchDownloaderFile('/tmp/chat.json', { messages: 50_000, duplicates: 100 });
 */
export interface GenerateOptions {
  messages: number;
  seed?: number;
  vodId?: string;
  vodStart?: string;
  /** Constant difference between the two clocks: created_at − (vod start + offset). */
  shiftMs?: number;
  /** Floor offsets to whole seconds. */
  wholeSeconds?: boolean;
  /** Extra copies of earlier comments (same _id) appended at random places. */
  duplicates?: number;
  /** Whether to shuffle comments locally so the input is not sorted by offset. */
  outOfOrder?: boolean;
  /** Share of messages whose created_at is off by 5–60 s (clock glitches the shift estimate must ignore). */
  clockOutliers?: number;
}

export interface GeneratedFacts {
  /** Records in the comments array (messages + duplicates). */
  records: number;
  messages: number;
  duplicates: number;
  bots: number;
  commands: number;
  emoteOnly: number;
  subs: number;
  bitsTotal: number;
  /** True offsets in ms by comment _id (kept for files of up to 200,000 messages). */
  trueOffsetMs: Map<string, number>;
  /** Ids of messages given a wrong created_at. */
  clockOutlierIds: Set<string>;
  bytes: number;
}

const WORDS = ('the chat is so back lets go no way he did it again what is happening bro clip that ' +
  'true real this game is actually insane doug please read chat why would you do that ' +
  'i love this stream first time here hello from germany that was close').split(' ');
const TWITCH_EMOTES: [string, string][] = [
  ['Kappa', '25'], ['LUL', '425618'], ['PogChamp', '305954156'], ['BibleThump', '86'], ['ResidentSleeper', '245'],
];
// Two of these are not in the built-in name list: only the file's embeddedData names them.
const THIRD_PARTY = ['KEKW', 'OMEGALUL', 'dougWiggle', 'monkaS', 'peepoDoug'];
const BOTS = ['Nightbot', 'StreamElements', 'Fossabot'];
const COMMANDS = ['!uptime', '!discord', '!followage', '!song'];

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function hexId(r: () => number): string {
  const h = () => Math.floor(r() * 0x100000000).toString(16).padStart(8, '0');
  const a = h() + h() + h() + h();
  return `${a.slice(0, 8)}-${a.slice(8, 12)}-4${a.slice(13, 16)}-a${a.slice(17, 20)}-${a.slice(20, 32)}`;
}

interface Frag {
  text: string;
  emoticon: { emoticon_id: string } | null;
}

export async function writeTwitchDownloaderFile(path: string, options: GenerateOptions): Promise<GeneratedFacts> {
  const r = rng(options.seed ?? 42);
  const vodId = options.vodId ?? '2285300543';
  const vodStartMs = Date.parse(options.vodStart ?? '2024-10-25T17:00:00.000Z');
  const shiftMs = options.shiftMs ?? 4321;
  const whole = options.wholeSeconds ?? true;
  const n = options.messages;
  const dupCount = options.duplicates ?? 0;
  const spanMs = Math.max(60_000, n * 36); // ~28 messages per second
  const facts: GeneratedFacts = {
    records: n + dupCount, messages: n, duplicates: dupCount, bots: 0, commands: 0, emoteOnly: 0, subs: 0,
    bitsTotal: 0, trueOffsetMs: new Map(), clockOutlierIds: new Set(), bytes: 0,
  };
  const dupEvery = dupCount > 0 ? Math.max(1, Math.floor(n / dupCount)) : 0;
  let dupsLeft = dupCount;

  const out = createWriteStream(path, { highWaterMark: 1 << 20 });
  let buffer = '';
  const flush = async (force: boolean) => {
    if (buffer.length < (1 << 20) && !force) return;
    facts.bytes += Buffer.byteLength(buffer);
    if (!out.write(buffer)) await once(out, 'drain');
    buffer = '';
  };
  const header = {
    FileInfo: { Version: { Major: 1, Minor: 4, Patch: 0 }, CreatedAt: '2024-10-26T10:00:00Z', UpdatedAt: '0001-01-01T00:00:00' },
    streamer: { name: 'DougDoug', login: 'dougdoug', id: 31507411 },
    video: {
      title: 'Synthetic stream', description: null, id: vodId, created_at: new Date(vodStartMs).toISOString(),
      start: 0, end: Math.ceil(spanMs / 1000), length: Math.ceil(spanMs / 1000), viewCount: 1234, game: 'Just Chatting',
      chapters: [{ id: '1', startMilliseconds: 0, lengthMilliseconds: spanMs, type: 'GAME_CHANGE', description: 'Just Chatting',
        subDescription: '', thumbnailUrl: '', gameId: '509658', gameDisplayName: 'Just Chatting', gameBoxArtUrl: '' }],
    },
  };
  buffer += JSON.stringify(header).slice(0, -1) + ',"comments":[';

  const pending: string[] = [];
  const recent: string[] = [];
  let first = true;
  const emit = async (json: string) => {
    buffer += (first ? '' : ',') + json;
    first = false;
    await flush(false);
  };
  for (let i = 0; i < n; i++) {
    const trueMs = Math.floor((i / n) * spanMs + r() * 30);
    const id = hexId(r);
    if (n <= 200_000) facts.trueOffsetMs.set(id, trueMs);
    const userNo = Math.floor(r() ** 2 * 5000);
    let name = `viewer_${userNo}`;
    let userId = String(100000 + userNo);
    const kindRoll = r();
    let frags: Frag[];
    let body: string;
    let noticeId: string | null = null;
    let bits = 0;
    if (kindRoll < 0.02) {
      name = BOTS[i % BOTS.length]!;
      userId = String(900 + (i % BOTS.length));
      facts.bots++;
      body = `@viewer_${userNo} the stream has been live for ${i % 5} hours`;
      frags = [{ text: body, emoticon: null }];
    } else if (kindRoll < 0.05) {
      body = COMMANDS[i % COMMANDS.length]!;
      frags = [{ text: body, emoticon: null }];
      facts.commands++;
    } else if (kindRoll < 0.15) {
      const [ename, eid] = TWITCH_EMOTES[i % TWITCH_EMOTES.length]!;
      body = `${ename} ${ename}`;
      frags = [{ text: ename, emoticon: { emoticon_id: eid } }, { text: ' ', emoticon: null }, { text: ename, emoticon: { emoticon_id: eid } }];
      facts.emoteOnly++;
    } else if (kindRoll < 0.2) {
      body = THIRD_PARTY[i % THIRD_PARTY.length]!;
      frags = [{ text: body, emoticon: null }];
      facts.emoteOnly++;
    } else if (kindRoll < 0.205) {
      noticeId = 'sub';
      body = `${name} subscribed at Tier 1.`;
      frags = [{ text: body, emoticon: null }];
      facts.subs++;
    } else {
      const words = 1 + Math.floor(r() * 12);
      const parts: string[] = [];
      for (let w = 0; w < words; w++) parts.push(WORDS[Math.floor(r() * WORDS.length)]!);
      if (r() < 0.01) {
        bits = 100;
        parts.unshift('Cheer100');
        facts.bitsTotal += 100;
      }
      body = parts.join(' ');
      frags = [{ text: body, emoticon: null }];
    }
    let createdMs = vodStartMs + trueMs + shiftMs;
    if (options.clockOutliers && r() < options.clockOutliers) {
      createdMs += (r() < 0.5 ? -1 : 1) * (5000 + Math.floor(r() * 55_000));
      facts.clockOutlierIds.add(id);
    }
    const comment = {
      _id: id,
      created_at: new Date(createdMs).toISOString(),
      channel_id: '31507411',
      content_type: 'video',
      content_id: vodId,
      content_offset_seconds: whole ? Math.floor(trueMs / 1000) : trueMs / 1000,
      commenter: {
        display_name: name, _id: userId, name: name.toLowerCase(), bio: null,
        created_at: '2016-02-03T04:05:06.123456Z', updated_at: '2024-09-01T00:00:00.000000Z',
        logo: `https://static-cdn.jtvnw.net/jtv_user_pictures/${userId}-profile_image-300x300.png`,
      },
      message: {
        body, bits_spent: bits, fragments: frags,
        user_badges: userNo % 3 === 0 ? [{ _id: 'subscriber', version: String(userNo % 24) }] : [],
        user_color: userNo % 2 === 0 ? '#FF4500' : null,
        ...(noticeId ? { user_notice_params: { msg_id: noticeId } } : {}),
        emoticons: [],
      },
    };
    const json = JSON.stringify(comment);
    if (options.outOfOrder) {
      pending.push(json);
      if (pending.length >= 8) {
        const k = Math.floor(r() * pending.length);
        await emit(pending.splice(k, 1)[0]!);
      }
    } else {
      await emit(json);
    }
    if (dupEvery > 0) {
      recent.push(json);
      if (recent.length > 16) recent.shift();
      if (dupsLeft > 0 && i % dupEvery === dupEvery - 1) {
        await emit(recent[Math.floor(r() * recent.length)]!);
        dupsLeft--;
      }
    }
  }
  for (const json of pending) await emit(json);
  while (dupsLeft > 0 && recent.length > 0) {
    await emit(recent[0]!);
    dupsLeft--;
  }
  buffer += '],"embeddedData":{"thirdParty":[' +
    THIRD_PARTY.map((name, k) => JSON.stringify({ id: `tp${k}`, imageScale: 1, data: 'AAAA', name, width: 28, height: 28 })).join(',') +
    '],"firstParty":[],"twitchBadges":[],"twitchBits":[]}}';
  await flush(true);
  out.end();
  await once(out, 'finish');
  return facts;
}
