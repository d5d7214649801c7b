/**
 * Pairs each chat message with the line of speech it reacts to.
 *
 * Candidates are the lines whose end lies where the lag model says a reaction could come from
 * (segment lag + the learnt spread of reaction times). Each candidate gets a log-score
 *   ln(time prior) + Σ idf of echoed words + learnt word association,
 * the scores become a posterior over candidates, and the best candidate wins. A message's pair
 * score is posterior(best) × reaction-ness, where reaction-ness grows with the evidence that ties
 * the message to speech at all (echoed words, associations).
 *
 * Background chatter ("what game is this", "@friend lol", "good night chat") reacts to nothing
 * said. We keep it, as tier-0 pairs labelled `background`, with the context the viewer had just
 * heard: a model that answers like chat must also produce the chatter a real chat produces, at its
 * real share, and the label lets dataset builds drop it, down-weight it or train it as
 * context-free chat. It is not a reject: nothing is wrong with the message, only with reading it
 * as a reaction. Rejects are for messages that must not be used as chat output at all (bots,
 * commands, system notices, deleted, copypasta) or that cannot be placed (no speech in range,
 * several lines equally likely, too little evidence).
 */
import { priorAt, type LagPrior } from './lag-prior.ts';
import type { LagSegment } from './estimate-lag.ts';
import { lowerBound, type Phrase, type PhraseIndex } from './phrases.ts';
import type { AlignRejectReason, PairLabel } from './pair.ts';
import { WordAssociations, type AssociationExample } from './word-associations.ts';
import type { EchoMatch } from './echo-matcher.ts';

export interface PairingMessage {
  /** Index into the caller's message array. */
  index: number;
  /** Effective time (offset corrected for quantisation). */
  t: number;
  /** The earliest it can have been sent (its offset): no line ending later can be what it reacts to. */
  sentFrom: number;
  /** Distinct content tokens. */
  tokens: readonly string[];
  /** Transcript tokens the message may echo, weighted (see echo-matcher.ts). */
  echoes: readonly EchoMatch[];
  /** Distinct tokens, stopwords included (for associations: "do it", "HE DID IT"). */
  allTokens: readonly string[];
  /** Addressed to another viewer (@mention or reply): weaker evidence of a reaction. */
  addressed: boolean;
}

export interface PairingOptions {
  minLagMs: number;
  maxLagMs: number;
  /** Reaction-ness below this makes a message background. */
  backgroundBelow: number;
  /** A posterior below this for the best line means several lines are equally likely. */
  ambiguousBelow: number;
  /** Pair scores below this (for reactions) are rejected. */
  minScore: number;
}

export const DEFAULT_PAIRING_OPTIONS: PairingOptions = {
  minLagMs: 0,
  maxLagMs: 30_000,
  backgroundBelow: 0.3,
  ambiguousBelow: 0.3,
  minScore: 0.1,
};

export interface PairDecision {
  index: number;
  segment: number;
  /** Chosen line (phrase index), or -1 with a reject. */
  phrase: number;
  reject: AlignRejectReason | null;
  label: PairLabel;
  score: number;
  lexical: number;
  association: number;
  timePrior: number;
  lagMs: number;
}

/** idf units of echoed words that make the lexical part 1 − e^-1. */
const LEX_SCALE = 3;
/** association units (nats) that make the association part 1 − e^-1. */
const ASSOC_SCALE = 2;
/** How many times the candidate posteriors are re-estimated with learnt associations. */
const ASSOCIATION_ROUNDS = 2;

/**
 * Decides every message: a line (and label, score) or a reject reason.
 *
 * @example
 * const decisions = pairMessages(index, msgs, segments, prior, DEFAULT_PAIRING_OPTIONS);
 */
export function pairMessages(
  index: PhraseIndex,
  messages: readonly PairingMessage[],
  segments: readonly LagSegment[],
  prior: LagPrior,
  options: PairingOptions,
): PairDecision[] {
  const vocab = new Map<string, number>();
  const id = (t: string): number => {
    let v = vocab.get(t);
    if (v === undefined) vocab.set(t, (v = vocab.size));
    return v;
  };
  const phraseTokens = index.phrases.map((p) => [...p.tokens].map(id));
  const chatTokens = messages.map((m) => m.allTokens.map(id));

  // Candidates and the parts of their scores that do not change while associations are learnt.
  const cands: Candidates[] = messages.map((m) => candidatesFor(index, m, segments, prior, options));

  const chance = chanceExamples(index, messages, segments, prior, options);
  let assoc = WordAssociations.empty();
  for (let round = 0; round < ASSOCIATION_ROUNDS; round++) {
    const examples: AssociationExample[] = [];
    messages.forEach((_, i) => {
      const c = cands[i] as Candidates;
      if (c.phrases.length === 0) return;
      const tokens = chatTokens[i] as number[];
      const logits = c.phrases.map((p, k) => (c.base[k] as number) + assoc.score(tokens, phraseTokens[p] as number[]));
      examples.push({ chatTokens: tokens, candidates: c.phrases, weights: softmax(logits) });
    });
    assoc = WordAssociations.learn(examples, chance, phraseTokens, vocab.size);
  }

  const tokenShare = reactionShareByToken(messages, chatTokens, cands, chance, vocab.size);

  return messages.map((m, i) => {
    const c = cands[i] as Candidates;
    const none: PairDecision = {
      index: m.index, segment: c.segment, phrase: -1, reject: 'no-speech-in-range', label: 'reaction',
      score: 0, lexical: 0, association: 0, timePrior: 0, lagMs: 0,
    };
    if (c.phrases.length === 0) return none;
    const tokens = chatTokens[i] as number[];
    const assocs = c.phrases.map((p) => assoc.score(tokens, phraseTokens[p] as number[]));
    const logits = c.phrases.map((_, k) => (c.base[k] as number) + (assocs[k] as number));
    const post = softmax(logits);
    let best = 0;
    for (let k = 1; k < post.length; k++) if ((post[k] as number) > (post[best] as number)) best = k;
    const phrase = c.phrases[best] as number;
    const lexIdf = c.lexIdf[best] as number;
    const assocBest = assocs[best] as number;
    // An echo of a word said in most lines ("chat") is weak evidence of reacting at all.
    // Odds that the message reacts to speech at all: how often its words do (learnt from timing),
    // times its own evidence (timing, echoed words, associations). Addressing a viewer halves it.
    // Words of one message are not independent evidence: average their log-odds.
    let logOdds = 0;
    for (const a of tokens) {
      const p = Math.min(0.95, Math.max(0.05, tokenShare[a] as number));
      logOdds += Math.log(p / (1 - p)) / tokens.length;
    }
    const odds = Math.exp(logOdds) * (c.likelihood / chanceLikelihood(chance)) * Math.exp((c.lexEvidence[best] as number) + assocBest) * (m.addressed ? 0.25 : 1);
    const reactionness = odds / (1 + odds);
    const label: PairLabel = reactionness < options.backgroundBelow ? 'background' : 'reaction';
    const score = label === 'background' ? Math.min((post[best] as number) * reactionness, 0.29) : (post[best] as number) * reactionness;
    let reject: AlignRejectReason | null = null;
    if (label === 'reaction' && (post[best] as number) < options.ambiguousBelow) reject = 'ambiguous';
    else if (label === 'reaction' && score < options.minScore) reject = 'low-score';
    return {
      index: m.index,
      segment: c.segment,
      phrase,
      reject,
      label,
      score,
      lexical: 1 - Math.exp(-lexIdf / LEX_SCALE),
      association: 1 - Math.exp(-assocBest / ASSOC_SCALE),
      timePrior: c.time[best] as number,
      lagMs: Math.round(m.t - (index.ends[phrase] as number)),
    };
  });
}

/**
 * Share of each chat token's messages that are reactions, by EM on a two-part mixture: a reaction
 * lands where the time prior is high after some line, chatter lands anywhere (the chance baseline).
 * "KEKW" comes out high, "what game is this" low, from timing alone.
 */
function reactionShareByToken(
  messages: readonly PairingMessage[],
  chatTokens: readonly number[][],
  cands: readonly Candidates[],
  chance: readonly AssociationExample[],
  vocabularySize: number,
): Float64Array {
  const base = chanceLikelihood(chance);
  const ratio = cands.map((c) => c.likelihood / base);
  const share = new Float64Array(vocabularySize).fill(0.5);
  const count = new Float64Array(vocabularySize);
  for (let i = 0; i < messages.length; i++) for (const a of chatTokens[i] as number[]) count[a] += 1;
  for (let round = 0; round < 20; round++) {
    const sum = new Float64Array(vocabularySize);
    for (let i = 0; i < messages.length; i++) {
      const lr = ratio[i] as number;
      for (const a of chatTokens[i] as number[]) {
        const p = share[a] as number;
        sum[a] += (p * lr) / (p * lr + 1 - p);
      }
    }
    // Rare tokens are pulled towards an even share rather than trusted.
    for (let a = 0; a < vocabularySize; a++) share[a] = ((sum[a] as number) + 5 * 0.5) / ((count[a] as number) + 5);
  }
  return share;
}

const chanceCache = new WeakMap<readonly AssociationExample[], number>();

/** Mean candidate likelihood at a random time. */
function chanceLikelihood(chance: readonly AssociationExample[]): number {
  let v = chanceCache.get(chance);
  if (v === undefined) {
    let sum = 0;
    for (const ex of chance) sum += (ex as AssociationExample & { likelihood: number }).likelihood;
    v = Math.max(1e-9, sum / Math.max(1, chance.length));
    chanceCache.set(chance, v);
  }
  return v;
}

/** Candidate weights (time prior only) at evenly spaced times over the chat: the chance baseline for associations. */
function chanceExamples(
  index: PhraseIndex,
  messages: readonly PairingMessage[],
  segments: readonly LagSegment[],
  prior: LagPrior,
  options: PairingOptions,
): AssociationExample[] {
  const out: AssociationExample[] = [];
  if (messages.length === 0) return out;
  const from = (messages[0] as PairingMessage).t;
  const to = (messages[messages.length - 1] as PairingMessage).t;
  const step = Math.max(100, (to - from) / 20_000);
  for (let t = from; t <= to; t += step) {
    const c = candidatesFor(index, { index: -1, t, sentFrom: t, tokens: [], echoes: [], allTokens: [], addressed: false }, segments, prior, options);
    out.push({ chatTokens: [], candidates: c.phrases, weights: c.phrases.length > 0 ? softmax(c.base) : [], likelihood: c.likelihood } as AssociationExample);
  }
  return out;
}

interface Candidates {
  segment: number;
  phrases: number[];
  time: number[];
  lexIdf: number[];
  /** Σ (idf − 1)+ over echoed words. */
  lexEvidence: number[];
  /** ln(time prior) + echoed idf. */
  base: number[];
  /** Σ time prior over candidates: how well the message's time fits "a reaction to some line". */
  likelihood: number;
}

function candidatesFor(index: PhraseIndex, m: PairingMessage, segments: readonly LagSegment[], prior: LagPrior, options: PairingOptions): Candidates {
  const segment = segmentAt(segments, m.t);
  const lag = (segments[segment] as LagSegment).lag_ms;
  const earliest = Math.max(m.t - options.maxLagMs, m.t - lag - prior.highMs);
  const latest = Math.min(m.t - options.minLagMs, m.sentFrom - Math.max(0, options.minLagMs), m.t - lag - prior.lowMs);
  const out: Candidates = { segment, phrases: [], time: [], lexIdf: [], lexEvidence: [], base: [], likelihood: 0 };
  for (let p = lowerBound(index.ends, earliest); p < index.phrases.length && (index.ends[p] as number) <= latest; p++) {
    const time = priorAt(prior, m.t - (index.ends[p] as number) - lag);
    if (time <= 0) continue;
    const said = (index.phrases[p] as Phrase).confidence;
    let lexIdf = 0;
    let lexEvidence = 0;
    for (const e of m.echoes) {
      const confidence = said.get(e.token);
      if (confidence === undefined) continue;
      const idf = (index.idf.get(e.token) as number) * e.weight * confidence;
      lexIdf += idf;
      lexEvidence += Math.max(0, idf - 1);
    }
    out.lexEvidence.push(lexEvidence);
    out.likelihood += time;
    out.phrases.push(p);
    out.time.push(time);
    out.lexIdf.push(lexIdf);
    out.base.push(Math.log(time) + lexIdf);
  }
  return out;
}

/** Index of the segment holding time t (segments are sorted and contiguous). */
export function segmentAt(segments: readonly LagSegment[], t: number): number {
  let lo = 0;
  let hi = segments.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if ((segments[mid] as LagSegment).from_ms <= t) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

function softmax(logits: readonly number[]): number[] {
  let max = -Infinity;
  for (const l of logits) if (l > max) max = l;
  const e = logits.map((l) => Math.exp(l - max));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / sum);
}
