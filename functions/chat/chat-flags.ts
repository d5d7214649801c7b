import type { ChatEmote } from './chat-message.ts';

/** Widely used chat bots, by login (compared lower-case). Extend per channel with `botNames`. */
export const DEFAULT_BOT_NAMES: readonly string[] = [
  'nightbot', 'streamelements', 'moobot', 'fossabot', 'streamlabs', 'wizebot', 'deepbot', 'phantombot',
  'botisimo', 'coebot', 'vivbot', 'ankhbot', 'streamlootsbot', 'soundalerts', 'pretzelrocks', 'sery_bot',
  'kofistreambot', 'tangiabot', 'commanderroot', 'blerp', 'own3d', 'lumiastream', 'mixitupbot',
  'botrixoficial', 'frostytoolsdotcom', 'creatisbot', 'tsmchatbot', 'supibot', 'pokemoncommunitygame',
];

/**
 * Global emote codes that appear as plain words wherever a format carries no emote data (text logs,
 * old chat-downloader items, BTTV/FFZ/7TV emotes everywhere): Twitch globals and the most common
 * third-party globals. Extend per channel with `emoteNames`; TwitchDownloader's `embeddedData`
 * names are added automatically.
 */
export const DEFAULT_EMOTE_NAMES: readonly string[] = [
  // Twitch globals
  'Kappa', 'KappaPride', 'Keepo', 'LUL', 'PogChamp', 'BibleThump', 'ResidentSleeper', 'Kreygasm', 'DansGame',
  'SwiftRage', 'NotLikeThis', 'WutFace', 'FailFish', '4Head', 'BabyRage', 'HeyGuys', 'VoHiYo', 'SeemsGood',
  'CoolStoryBob', 'TriHard', 'MrDestructoid', 'CoolCat', 'DatSheffy', 'PJSalt', 'SMOrc', 'PunOko', 'TwitchUnity',
  'HSWP', 'CorgiDerp', 'NomNom', 'OhMyDog', 'PogBones', 'bleedPurple', 'GivePLZ', 'TakeNRG', 'Jebaited', 'CurseLit',
  'TheIlluminati', 'BloodTrail', 'KomodoHype', 'StinkyCheese', 'TwitchLit', 'CarlSmile', 'HolidayCookie', '<3',
  ':)', ':(', ':D', ':O', ':P', ';)', 'B)', 'R)', ':/', 'O_o', 'o_O', ':Z', '>(',
  // BTTV / FFZ / 7TV globals and channel favourites seen everywhere
  'KEKW', 'OMEGALUL', 'LULW', 'Pog', 'PogU', 'POGGERS', 'PogO', 'monkaS', 'monkaW', 'Sadge', 'PepeHands', 'PepeLaugh',
  'FeelsBadMan', 'FeelsGoodMan', 'FeelsStrongMan', 'FeelsDankMan', 'EZ', 'Clap', 'catJAM', 'pepeD', 'PepePls',
  'widepeepoHappy', 'peepoHappy', 'peepoSad', 'COPIUM', 'Copium', 'Aware', 'Stare', 'ICANT', 'Wokege', 'Plotge',
  'Kappa123', '5Head', '3Head', 'WeirdChamp', 'monkaHmm', 'Pepega', 'HYPERS', 'PauseChamp', 'Okayge', 'Clueless',
  'BatChest', 'GIGACHAD', 'Chatting', 'modCheck', 'NODDERS', 'NOPERS', 'peepoClap', 'YEP', 'NOP', 'Susge', 'Madge',
  'ppL', 'LETSGO', 'POGCRAZY', 'xdd', 'OMEGADANCE', 'AlienDance', 'forsenE', 'HandsUp', 'SourPls', 'gachiGASM',
  'haHAA', 'cmonBruh', 'TriKool', 'WAYTOODANK', 'BOOBA', 'AYAYA', 'Prayge', 'Hmm', 'FeelsOkayMan',
];

/** Index of emote names for one run: defaults + configured + (later) embedded names. */
export function emoteNameSet(extra: readonly string[] = []): Set<string> {
  return new Set([...DEFAULT_EMOTE_NAMES, ...extra]);
}

export function botNameSet(extra: readonly string[] = []): Set<string> {
  return new Set([...DEFAULT_BOT_NAMES, ...extra].map((n) => n.toLowerCase()));
}

export function isBot(bots: Set<string>, login: string | null, display: string | null): boolean {
  return (login !== null && bots.has(login.toLowerCase())) || (display !== null && bots.has(display.toLowerCase()));
}

/** `!word` at the start of the message (after leading spaces), as chat bots read commands. */
export function isCommand(text: string): boolean {
  return /^\s*![\p{L}\p{N}_]/u.test(text);
}

/** Up to this many distinct unknown words are kept for a late emote check against names found after the messages. */
export const MAX_LATE_TOKENS = 8;

/**
 * Splits a message into its emote verdict: `true` when every word is a Twitch emote or a known
 * emote name, `false` when some word cannot be one, or the distinct leftover words when only names
 * learned later (TwitchDownloader writes `embeddedData` after the comments) can decide.
 * U+E0000 (appended by clients to dodge the duplicate filter) is not a word.
 */
export function emoteVerdict(text: string, emotes: ChatEmote[], names: Set<string>, lateNamesPossible: boolean): boolean | string[] {
  const words = text.replace(/\u{E0000}/gu, ' ').split(/\s+/);
  let any = false;
  let left: Set<string> | null = null;
  const twitch = emotes.length > 0 ? new Set(emotes.map((e) => e.name)) : null;
  for (const w of words) {
    if (w.length === 0) continue;
    any = true;
    if (twitch?.has(w) || names.has(w)) continue;
    if (!lateNamesPossible) return false;
    left ??= new Set();
    left.add(w);
    if (left.size > MAX_LATE_TOKENS) return false;
  }
  if (!any) return false;
  return left === null ? true : [...left];
}
