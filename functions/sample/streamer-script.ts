import type { Rng } from './prng.ts';

/** What a line is about; chat reacts differently to each. */
export type Mood = 'challenge' | 'fail' | 'hype' | 'ask' | 'count' | 'bird' | 'chat' | 'calm';
/** How a line is spoken: 'yell' is faster and higher, as when the streamer shouts at the bird. */
export type Voice = 'normal' | 'yell';

export interface ScriptLine {
  words: string[];
  mood: Mood;
  voice: Voice;
}

const ONES = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten', 'eleven',
  'twelve', 'thirteen', 'fourteen', 'fifteen', 'sixteen', 'seventeen', 'eighteen', 'nineteen'];
const TENS = ['', '', 'twenty', 'thirty', 'forty', 'fifty', 'sixty', 'seventy', 'eighty', 'ninety'];

/** 0..99 as spoken words ("forty two"), so speech, transcript and chat echoes agree on spelling. */
export function numberWords(n: number): string[] {
  if (!Number.isInteger(n) || n < 0 || n > 99) throw new Error(`numberWords: ${n} is outside 0..99`);
  if (n < 20) return [ONES[n] as string];
  const tens = TENS[Math.floor(n / 10)] as string;
  return n % 10 === 0 ? [tens] : [tens, ONES[n % 10] as string];
}

const SLOTS: Record<string, readonly string[]> = {
  level: ['the water level', 'the kart race', 'the floor is lava course', 'the penguin boss', 'the cheese factory',
    'the parkour tower', 'the final castle', 'the ice bridge', 'the haunted library'],
  penalty: ['eat a lemon', 'restart the whole game', 'play with one hand', 'talk like a pirate', 'let chat pick my hat',
    'do ten push ups', 'sing the theme song', 'rename my character to loser'],
  twist: ['chat controls my left hand', 'every jump is voted on by chat', 'I can only turn right',
    'the screen is upside down', 'a bird is giving me instructions', 'I have to sing every time I crouch',
    'I am not allowed to stop moving', 'the controller is taped to a broom'],
  bird: ['pigeon', 'goose', 'crow', 'parrot', 'seagull'],
  birdAction: ['sitting on my keyboard', 'screaming at me', 'eating my sandwich', 'stealing the controller',
    'looking at me like that', 'standing on the monitor'],
  banned: ['potato', 'banana', 'the letter L', 'skill issue', 'first'],
  thing: ['coins', 'keys', 'stars', 'lives', 'points'],
};

/** `{level}` picks a slot value, `{n}` a spoken number 2..99 (the same one everywhere in the line). */
const TEMPLATES: Record<Mood, readonly string[]> = {
  challenge: [
    'Okay chat the challenge today is {level} but {twist}',
    'Every time I die I have to {penalty}',
    'New rule chat if I fall off I have to {penalty}',
    'We are not leaving until we beat {level}',
    'This is attempt number {n} on {level}',
  ],
  fail: [
    'No no no no no',
    'Why did I jump there',
    'I hate this game so much',
    'That was not my fault chat that was the controller',
    'Oh my gosh I fell again',
    'That is {n} deaths chat {n} deaths',
    'Okay that one was my fault',
  ],
  hype: [
    'We did it we actually did it',
    "Let's go chat let's go",
    'That was the greatest jump of my entire life',
    'I am a genius I am an actual genius',
    'Somebody clip that right now',
  ],
  ask: [
    'Chat should I go left or right',
    'Chat what do I do here',
    'Chat is this the right way',
    'Chat do I jump or do I wait',
    'Does anyone know where the key is',
  ],
  count: [
    'One two three go',
    'Okay counting down five four three two one',
    'That is {n} {thing} so far',
    'We need {n} more {thing} chat',
  ],
  bird: [
    'Bird get off the keyboard',
    'Why is the {bird} {birdAction}',
    'Stop it {bird} stop it right now',
    'There is a {bird} in the studio again chat',
    'I swear that {bird} is working for chat',
  ],
  chat: [
    'Chat please do not type {banned} in the chat',
    'Thank you for the subs chat I love you all',
    'Chat you are all terrible people',
    'Hi chat welcome back to the stream',
    "Chat stop backseating I know what I'm doing",
  ],
  calm: [
    'Okay let me think about this for a second',
    'I think the trick is to go slow here',
    'Alright we are going to try something different',
    'This level is actually kind of pretty',
  ],
};

/** How often each mood comes up; a chaotic stream is mostly failing and asking chat. */
const MOOD_WEIGHTS: ReadonlyArray<[Mood, number]> = [
  ['fail', 5], ['ask', 3], ['chat', 3], ['challenge', 2], ['hype', 2], ['bird', 2], ['count', 2], ['calm', 2],
];
const MOOD_TOTAL = MOOD_WEIGHTS.reduce((sum, [, w]) => sum + w, 0);

function pickMood(rng: Rng): Mood {
  let r = rng.next() * MOOD_TOTAL;
  for (const [mood, weight] of MOOD_WEIGHTS) {
    r -= weight;
    if (r < 0) return mood;
  }
  return 'calm';
}

/**
 * Writes the next line of the streamer's script. Lines are drawn from one rng stream in order, so
 * line k depends only on the seed and k, never on how long earlier lines took to say.
 *
 * @example
 * const rng = createRng(1, 'script');
 * nextScriptLine(rng); // { words: ['Chat', 'should', 'I', ...], mood: 'ask', voice: 'normal' }
 */
export function nextScriptLine(rng: Rng): ScriptLine {
  const mood = pickMood(rng);
  const template = rng.pick(TEMPLATES[mood]);
  const n = rng.int(2, 99);
  const text = template.replace(/\{(\w+)\}/g, (_, slot: string) => {
    if (slot === 'n') return numberWords(n).join(' ');
    const values = SLOTS[slot];
    if (!values) throw new Error(`script template uses unknown slot {${slot}}`);
    return rng.pick(values);
  });
  const voice: Voice = mood === 'bird' || ((mood === 'fail' || mood === 'hype') && rng.chance(0.4)) ? 'yell' : 'normal';
  return { words: text.split(' '), mood, voice };
}
