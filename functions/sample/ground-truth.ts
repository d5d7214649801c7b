import { z } from 'zod';

/** From `from_ms` on the VOD timeline, chat reacts `lag_ms` (plus reaction time) after the speech. */
export const LagStep = z.object({
  from_ms: z.number().int().min(0),
  lag_ms: z.number().int().min(0),
});
export type LagStep = z.infer<typeof LagStep>;

export const UtteranceWord = z.object({
  word: z.string(),
  start_ms: z.number().int(),
  end_ms: z.number().int(),
});
export type UtteranceWord = z.infer<typeof UtteranceWord>;

/** One spoken line of the synthetic streamer, with the exact time of every word. */
export const Utterance = z.object({
  id: z.number().int(),
  text: z.string(),
  start_ms: z.number().int(),
  end_ms: z.number().int(),
  mood: z.enum(['challenge', 'fail', 'hype', 'ask', 'count', 'bird', 'chat', 'calm']),
  voice: z.enum(['normal', 'yell']),
  words: z.array(UtteranceWord),
});
export type Utterance = z.infer<typeof Utterance>;

export const MessageCategory = z.enum(['reaction', 'bot', 'command', 'emote_spam', 'copypasta', 'background', 'sub']);
export type MessageCategory = z.infer<typeof MessageCategory>;

/**
 * What really happened behind one chat message. `offset_ms` is the true send position (the chat file
 * may round it to whole seconds); `lag_ms` = offset_ms − end_ms of the utterance reacted to;
 * `in_reply_to` is the command message a bot answered.
 */
export const TruthMessage = z.object({
  message_id: z.string(),
  offset_ms: z.number().int(),
  category: MessageCategory,
  reacts_to: z.number().int().nullable(),
  lag_ms: z.number().int().nullable(),
  in_reply_to: z.string().nullable(),
});
export type TruthMessage = z.infer<typeof TruthMessage>;

/** The `.truth.json` file of a synthetic sample. */
export const GroundTruth = z.object({
  vod_id: z.string(),
  seed: z.number().int(),
  duration_ms: z.number().int(),
  whole_second_offsets: z.boolean(),
  lag_schedule: z.array(LagStep),
  /** A reaction arrives lag + [min, max] ms after the end of its utterance. */
  reaction_delay_ms: z.object({ min: z.number().int(), max: z.number().int() }),
  utterances: z.array(Utterance),
  messages: z.array(TruthMessage),
});
export type GroundTruth = z.infer<typeof GroundTruth>;

/**
 * The lag in force at `atMs`: the last step starting at or before it.
 *
 * @example
 * lagAt([{ from_ms: 0, lag_ms: 4000 }, { from_ms: 90_000, lag_ms: 9000 }], 100_000); // 9000
 */
export function lagAt(schedule: readonly LagStep[], atMs: number): number {
  let lag = schedule[0]?.lag_ms ?? 0;
  for (const step of schedule) {
    if (step.from_ms > atMs) break;
    lag = step.lag_ms;
  }
  return lag;
}

/**
 * Parses `"0:4,90:9"` (seconds:lag-seconds, decimals allowed) into a lag schedule.
 * Throws an Error naming the bad part; the first step must start at 0.
 */
export function parseLagSchedule(text: string): LagStep[] {
  const steps = text.split(',').map((part) => {
    const match = /^\s*(\d+(?:\.\d+)?)\s*:\s*(\d+(?:\.\d+)?)\s*$/.exec(part);
    if (!match) throw new Error(`lag schedule part "${part}" is not FROM_S:LAG_S`);
    return { from_ms: Math.round(Number(match[1]) * 1000), lag_ms: Math.round(Number(match[2]) * 1000) };
  });
  checkLagSchedule(steps);
  return steps;
}

/** A schedule starts at 0 and its steps strictly increase. */
export function checkLagSchedule(steps: readonly LagStep[]): void {
  if (steps.length === 0 || steps[0]?.from_ms !== 0) throw new Error('lag schedule must start at 0 s');
  for (let i = 1; i < steps.length; i++) {
    if ((steps[i]?.from_ms ?? 0) <= (steps[i - 1]?.from_ms ?? 0)) {
      throw new Error('lag schedule steps must be in increasing time order');
    }
  }
}
