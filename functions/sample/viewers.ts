import type { Rng } from './prng.ts';
import type { TdCommenter, TdMessage } from './twitch-downloader-chat-file.ts';

export interface Viewer {
  commenter: TdCommenter;
  badges: TdMessage['user_badges'];
  color: string | null;
  /** This viewer's own extra reaction time: some read chat faster than others. */
  reactionBiasMs: number;
  /** Relative chattiness; a few viewers write most of the chat. */
  activity: number;
}

const ADJECTIVES = ['sleepy', 'angry', 'tiny', 'cosmic', 'soggy', 'spicy', 'silent', 'lucky', 'feral', 'crispy', 'mega',
  'sneaky', 'wobbly', 'grumpy', 'frozen', 'golden', 'lazy', 'loud', 'chaotic', 'humble'];
const NOUNS = ['penguin', 'goose', 'toaster', 'noodle', 'wizard', 'pigeon', 'potato', 'gamer', 'cactus', 'otter',
  'lemon', 'muffin', 'walrus', 'pickle', 'raccoon', 'crow', 'burrito', 'moth', 'frog', 'knight'];
const COLORS = ['#FF0000', '#0000FF', '#008000', '#B22222', '#FF7F50', '#9ACD32', '#FF4500', '#2E8B57', '#DAA520',
  '#D2691E', '#5F9EA0', '#1E90FF', '#FF69B4', '#8A2BE2', '#00FF7F'];

const capital = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);
const iso = (ms: number): string => new Date(ms).toISOString();

/** Account dates fall in 2014–2023: fixed bounds keep the file independent of today's date. */
const ACCOUNT_FROM_MS = Date.UTC(2014, 0, 1);
const ACCOUNT_TO_MS = Date.UTC(2023, 11, 31);

/**
 * Makes `count` distinct simulated viewers with stable ids, names, colours and badges.
 *
 * @example
 * createViewers(createRng(1, 'viewers'), 500)[0].commenter.display_name; // e.g. 'SoggyOtter42'
 */
export function createViewers(rng: Rng, count: number): Viewer[] {
  const logins = new Set<string>();
  const ids = new Set<string>();
  const viewers: Viewer[] = [];
  while (viewers.length < count) {
    const adjective = rng.pick(ADJECTIVES);
    const noun = rng.pick(NOUNS);
    const style = rng.int(0, 3);
    const digits = rng.chance(0.6) ? String(rng.int(1, 9999)) : '';
    const display =
      style === 0 ? `${capital(adjective)}${capital(noun)}${digits}`
      : style === 1 ? `${adjective}_${noun}${digits}`
      : style === 2 ? `x${capital(noun)}${capital(adjective)}x${digits}`
      : `${adjective.toUpperCase()}${noun}${digits}`;
    const login = display.toLowerCase();
    const id = String(rng.int(10_000_000, 999_999_999));
    if (logins.has(login) || ids.has(id)) continue;
    logins.add(login);
    ids.add(id);
    const createdMs = rng.int(ACCOUNT_FROM_MS, ACCOUNT_TO_MS);
    const badges: TdMessage['user_badges'] = [];
    if (rng.chance(0.02)) badges.push({ _id: 'moderator', version: '1' });
    else if (rng.chance(0.02)) badges.push({ _id: 'vip', version: '1' });
    if (rng.chance(0.45)) badges.push({ _id: 'subscriber', version: String(rng.pick([0, 3, 6, 9, 12, 24, 36])) });
    if (rng.chance(0.1)) badges.push({ _id: 'bits', version: String(rng.pick([1, 100, 1000, 5000])) });
    viewers.push({
      commenter: {
        display_name: display,
        _id: id,
        name: login,
        bio: rng.chance(0.3) ? rng.pick(['just here for the bird', 'professional backseater', 'I clip things', 'hi']) : null,
        created_at: iso(createdMs),
        updated_at: iso(createdMs + rng.int(0, 200) * 86_400_000),
        logo: null,
      },
      badges,
      color: rng.chance(0.8) ? rng.pick(COLORS) : null,
      reactionBiasMs: rng.int(0, 900),
      // Heavy-tailed: most viewers are quiet, a few never stop typing.
      activity: 1 / (0.05 + rng.next()),
    });
  }
  return viewers;
}

/** The channel's chat bots; fixed so every sample answers commands the same way. */
export function createBots(): Record<'Nightbot' | 'StreamElements', Viewer> {
  const bot = (display: string, id: string, color: string, createdMs: number): Viewer => ({
    commenter: {
      display_name: display,
      _id: id,
      name: display.toLowerCase(),
      bio: null,
      created_at: iso(createdMs),
      updated_at: iso(createdMs),
      logo: null,
    },
    badges: [{ _id: 'moderator', version: '1' }, { _id: 'partner', version: '1' }],
    color,
    reactionBiasMs: 0,
    activity: 0,
  });
  return {
    Nightbot: bot('Nightbot', '19264788', '#7C7CE1', Date.UTC(2011, 1, 20)),
    StreamElements: bot('StreamElements', '100135110', '#5B99FF', Date.UTC(2015, 8, 22)),
  };
}

/**
 * Picks viewers in proportion to their activity in O(log n) per pick.
 *
 * @example
 * const pick = activityPicker(viewers); pick(rng);
 */
export function activityPicker(viewers: readonly Viewer[]): (rng: Rng) => Viewer {
  const cumulative = new Float64Array(viewers.length);
  let total = 0;
  viewers.forEach((v, i) => {
    total += v.activity;
    cumulative[i] = total;
  });
  return (rng) => {
    const r = rng.next() * total;
    let lo = 0;
    let hi = viewers.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((cumulative[mid] as number) > r) hi = mid;
      else lo = mid + 1;
    }
    return viewers[lo] as Viewer;
  };
}
