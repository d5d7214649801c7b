/**
 * What the reply benchmarks send: streamer lines shaped like a VOD's transcript (fillers, run-ons,
 * chat addressed directly), and the nearest-rank quantile they report latencies with.
 */
export const STREAMER_CONTEXTS = [
  'okay chat we are going to win this one watch this jump',
  'no no no no why did it do that i pressed the button',
  'thank you so much for the five gifted subs that is insane',
  'alright so the plan is we get the pigeon to the castle before the timer runs out',
  'chat should i go left or right i think left is the correct answer',
  'we have been stuck on this level for two hours and i refuse to give up',
  'what is this guy doing he is just standing there',
  'welcome back everybody today we are doing something really stupid',
  'if we lose this one i am deleting the game i swear',
  'oh my god it actually worked i cannot believe it worked',
  'um so i was thinking uh maybe we try the other strategy',
  'raiders welcome in we are currently trying to beat the game with only a spoon',
] as const;

/** Nearest-rank quantile (NaN for no values). */
export function quantile(xs: readonly number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))] ?? NaN;
}
