/**
 * Emote waves: after a moment, dozens of viewers post the same single emote ("KEKW", "LUL LUL",
 * "dpsBird") within seconds, most of them copying chat rather than reacting to the streamer.
 *
 * Decision: a wave is kept as the messages it is made of, each paired by its own timing (they
 * follow the same moment within seconds, so they mostly land on the same line; forcing them onto
 * the onset's line mispairs the real reactions a wave sweeps up), and marked as one wave:
 * `wave_id` (the onset's message id) and `wave_size` on every member, so a dataset build can keep
 * one example per wave. Members after the onset score at most tier 1, and only the onset votes on
 * the chat lag: later members are bursts that follow chat, not speech, and would otherwise pull the
 * rate estimator towards themselves.
 *
 * Copypasta (long text pasted verbatim by several viewers) is rejected outright by
 * screen-messages.ts: it says nothing about the moment and would teach the model to paste memes.
 */
export interface WaveCandidate {
  /** Caller's index of the message. */
  index: number;
  t: number;
  /** The single emote/reaction token the message consists of, or null when it is anything else. */
  key: string | null;
  author: string;
}

export interface WaveMembership {
  /** Caller's index of the wave's onset message. */
  onset: number;
  size: number;
}

/** A wave has at least this many messages from at least MIN_AUTHORS viewers within WINDOW_MS of its onset… */
export const MIN_WAVE = 5;
const MIN_AUTHORS = 3;
const WINDOW_MS = 10_000;
/** …and at least this many times the emote's usual rate: busy chats post KEKW all the time, a wave is a burst of it. */
const BURST_RATIO = 4;

/**
 * Wave membership by caller index, for messages sorted by `t`; messages in no wave are absent.
 *
 * @example
 * findWaves(candidates).get(17); // { onset: 12, size: 9 }
 */
export function findWaves(messages: readonly WaveCandidate[]): Map<number, WaveMembership> {
  const out = new Map<number, WaveMembership>();
  if (messages.length === 0) return out;
  const span = Math.max(WINDOW_MS, (messages[messages.length - 1] as WaveCandidate).t - (messages[0] as WaveCandidate).t);
  const byKey = new Map<string, WaveCandidate[]>();
  for (const m of messages) {
    if (m.key === null) continue;
    const list = byKey.get(m.key);
    if (list) list.push(m);
    else byKey.set(m.key, [m]);
  }
  for (const list of byKey.values()) {
    const need = Math.max(MIN_WAVE, (BURST_RATIO * list.length * WINDOW_MS) / span);
    let i = 0;
    while (i < list.length) {
      let j = i;
      while (j < list.length && (list[j] as WaveCandidate).t - (list[i] as WaveCandidate).t <= WINDOW_MS) j++;
      const group = list.slice(i, j);
      if (group.length >= need && new Set(group.map((m) => m.author)).size >= MIN_AUTHORS) {
        const onset = (group[0] as WaveCandidate).index;
        for (const m of group) out.set(m.index, { onset, size: group.length });
        i = j;
      } else i++;
    }
  }
  return out;
}
