import type { Mood } from './streamer-script.ts';

/**
 * First-party Twitch global emotes with their public ids: these get emote fragments in the chat
 * file. The sample channel's own emotes are invented (`emotesv2_` ids, like current Twitch).
 */
export const FIRST_PARTY_EMOTES: Readonly<Record<string, string>> = {
  LUL: '425618',
  Kappa: '25',
  PogChamp: '305954156',
  BibleThump: '86',
  '<3': '555555584',
  NotLikeThis: '58765',
  ResidentSleeper: '245',
  Kreygasm: '41',
  SeemsGood: '64138',
  DansGame: '33',
  BabyRage: '22639',
  dpsHype: 'emotesv2_5f1d8c2a90b34c7e8a1f0d6b2c9e4a11',
  dpsBird: 'emotesv2_0b7e3d9c4a2f41e6b5c8d1a3f7e9b202',
  dpsCry: 'emotesv2_9c4a1e7b3d5f42a8b6e0c2d4f8a1b303',
};

/** Third-party (BTTV/FFZ/7TV) emotes: plain text in every export. */
export const THIRD_PARTY_EMOTES = ['KEKW', 'OMEGALUL', 'Pog', 'PogU', 'monkaS', 'Sadge', 'Clap', 'catJAM', '5Head', 'COPIUM'];

export const SPAM_EMOTES = ['LUL', 'KEKW', 'OMEGALUL', 'Pog', 'PogChamp', 'monkaS', 'dpsBird', 'dpsHype', 'Clap', 'catJAM',
  'NotLikeThis', 'Sadge', '<3'];

/** Short emotional replies by what the streamer just said. */
export const MOOD_REPLIES: Readonly<Record<Mood, readonly string[]>> = {
  challenge: ['monkaS', 'no way', 'Pog', 'LUL', 'this will go well', 'COPIUM', 'easy', 'here we go again'],
  fail: ['LUL', 'KEKW', 'KEKW DOUG', 'OMEGALUL', 'DOUG NO', 'F', 'NotLikeThis', 'L', 'skill issue', 'LUL LUL', 'dpsCry'],
  hype: ['Pog', 'PogChamp', 'LETS GO', 'W', 'Clap', 'no way', 'CLIP IT', 'PogU', 'dpsHype dpsHype', 'HE DID IT'],
  ask: ['left', 'right', 'jump', 'wait', 'go back', 'yes', 'no', 'do it', 'behind you', 'up', 'LEFT'],
  count: ['Pog', 'Clap', 'LUL', 'so many', 'KEKW'],
  bird: ['BIRD', 'LUL', 'KEKW', 'leave the bird alone', 'the bird is right', 'monkaS', 'birb', 'dpsBird', 'dpsBird dpsBird'],
  chat: ['<3', 'hi doug', 'true', 'L', 'KEKW', 'L chat', 'Kappa', 'we would never', 'BibleThump'],
  calm: ['true', 'real', '5Head', 'hmm', 'ResidentSleeper', 'big brain', 'SeemsGood'],
};

/** Moods chat piles onto: multiplies how many viewers react. */
export const MOOD_INTENSITY: Readonly<Record<Mood, number>> = {
  challenge: 1, fail: 1.5, hype: 1.6, ask: 1.3, count: 0.8, bird: 1.7, chat: 1, calm: 0.4,
};

/** Words an echo reaction does not pick on its own ("the", "I"): nobody types just those. */
export const ECHO_STOPWORDS = new Set(['a', 'an', 'the', 'i', 'is', 'it', 'to', 'of', 'on', 'in', 'do', 'or', 'that',
  'this', 'we', 'my', 'me', 'are', 'be', 'at', 'so', 'am', 'was', 'and', 'but', 'have', 'if', 'all', 'you', 'there',
  'chat', 'okay', 'what', 'where', 'why', 'does', 'not', 'did', 'for']);

/** Chatter that has nothing to do with what is being said right now. */
export const BACKGROUND_LINES = [
  'hi chat', 'what game is this', 'first time catching a stream live', 'is this the bird stream', 'brb getting snacks',
  'my cat just walked on my keyboard', 'how long has he been on this level', 'who else is watching from work',
  'hello from the other side of the planet', 'what did I miss', 'good morning chat', 'good night chat',
  'does anyone know when the next stream is', 'this music slaps', 'chat is so fast today', 'I just got here LUL',
  'lurking but vibing', 'can we get a hype train', 'my mom says hi', 'anyone else eating dinner', 'Kappa',
  'what is the challenge', 'the chat is not real Kappa', 'catJAM', 'I love this community <3',
  'how many subs until the next penalty', 'peepoHey', 'homework can wait', 'the editor is going to have fun with this',
];

/** Original copypastas: long lines viewers repeat word for word in bursts. */
export const COPYPASTAS = [
  'DOUG IF YOU ARE READING THIS THE BIRD HAS BEEN IN THE WALLS THE WHOLE TIME PLEASE CHECK THE WALLS',
  'I have watched every stream since the potato incident and Doug has never once finished a level on the first try Clap',
  'Hello I am the bird. I did not sit on the keyboard. The keyboard sat on me. dpsBird',
  'Chat we must remain calm. The challenge is impossible. That has never stopped him before. COPIUM',
  'Day 47 of asking Doug to play the water level with his feet BibleThump',
];

export interface BotCommand {
  command: string;
  bot: 'Nightbot' | 'StreamElements';
  /** `{user}` is the asker, `{uptime}` the stream time at the answer. */
  reply: string;
}

export const BOT_COMMANDS: readonly BotCommand[] = [
  { command: '!uptime', bot: 'Nightbot', reply: '@{user} the stream has been live for {uptime}' },
  { command: '!discord', bot: 'Nightbot', reply: 'Join the community discord, the link is in the panels below the stream' },
  { command: '!commands', bot: 'Nightbot', reply: 'Commands: !uptime !discord !schedule !song !followage !lurk' },
  { command: '!schedule', bot: 'Nightbot', reply: 'Streams are Monday, Wednesday and Friday afternoons. Times are in the panels.' },
  { command: '!song', bot: 'StreamElements', reply: '@{user} there is no music right now, only chaos' },
  { command: '!followage', bot: 'StreamElements', reply: '@{user} has been following for {months} months' },
  { command: '!lurk', bot: 'StreamElements', reply: '{user} is now lurking. Enjoy the stream!' },
];

/** Timed bot messages nobody asked for. */
export const BOT_TIMERS = [
  'Remember to follow so you know when the bird strikes again!',
  'Clips of today are welcome in the discord, no spoilers in the title please.',
  'Be nice in chat. Backseating is allowed only when Doug asks for it.',
];
