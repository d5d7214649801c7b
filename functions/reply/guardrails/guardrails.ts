import type { Guardrail, GuardrailAction } from '../reply-schemas.ts';
import type { BannedPhrases } from './banned-phrases.ts';
import { capLength } from './length-cap.ts';
import { RecentReplies } from './recent-replies.ts';
import type { ToxicityFilter } from './toxicity.ts';

/**
 * Every check a candidate reply passes before anyone sees it, in order: empty, toxicity, banned
 * phrases (these three reject: the caller samples again), viewer names and length (these rewrite),
 * then repetition (rejects). A guardrail left out (null) is off.
 */
export interface Guardrails {
  toxicity: ToxicityFilter | null;
  banned: BannedPhrases | null;
  scrubViewerNames: ((text: string) => { text: string; count: number }) | null;
  /** The prompt spec's `reply.max_chars`. */
  maxChars: number | null;
  recent: RecentReplies | null;
  /** How many times a rejected reply is sampled again before it is dropped. */
  maxRegenerations: number;
}

export type Review =
  | { verdict: 'accept'; text: string; actions: GuardrailAction[] }
  | { verdict: 'reject'; guardrail: Guardrail; detail?: string };

export interface CandidateContext {
  index: number;
  attempt: number;
  /** Replies already accepted for the same request. */
  accepted: readonly string[];
  /** Same context and seed: see RecentReplies. */
  repeatKey: string;
}

/**
 * Reviews one sampled reply. Pure apart from reading `recent`; the caller remembers accepted
 * replies once the whole request is done.
 *
 * @example
 * reviewCandidate(' gg  ', guardrails, { index: 0, attempt: 0, accepted: [], repeatKey: 'k' }) // { verdict: 'accept', text: 'gg', actions: [] }
 */
export function reviewCandidate(raw: string, g: Guardrails, c: CandidateContext): Review {
  let text = raw.trim();
  if (text.length === 0) return { verdict: 'reject', guardrail: 'empty' };
  const toxic = g.toxicity?.find(text);
  if (toxic) return { verdict: 'reject', guardrail: 'toxicity', detail: toxic };
  const banned = g.banned?.find(text);
  if (banned) return { verdict: 'reject', guardrail: 'banned_phrase', detail: banned };
  const actions: GuardrailAction[] = [];
  if (g.scrubViewerNames) {
    const scrubbed = g.scrubViewerNames(text);
    if (scrubbed.count > 0) {
      text = scrubbed.text;
      actions.push({ guardrail: 'viewer_name', action: 'scrub', index: c.index, attempt: c.attempt, detail: `${scrubbed.count} name(s)` });
    }
  }
  if (g.maxChars !== null) {
    const capped = capLength(text, g.maxChars);
    if (capped !== text) {
      actions.push({ guardrail: 'length_cap', action: 'truncate', index: c.index, attempt: c.attempt, detail: `${Array.from(text).length} > ${g.maxChars} chars` });
      text = capped;
      if (text.length === 0) return { verdict: 'reject', guardrail: 'empty' };
    }
  }
  if (g.recent) {
    const norm = RecentReplies.normalize(text);
    if (c.accepted.some((a) => RecentReplies.normalize(a) === norm)) return { verdict: 'reject', guardrail: 'repetition', detail: 'same as another reply of this request' };
    if (g.recent.isRepeat(text, c.repeatKey)) return { verdict: 'reject', guardrail: 'repetition', detail: `same as one of the last ${g.recent.size} replies` };
  }
  return { verdict: 'accept', text, actions };
}
