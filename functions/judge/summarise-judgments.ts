import type { Judgment } from './judgments.ts';

export interface JudgmentSummary {
  /** Items judged: one per reviewer and pair (a reviewer's latest). */
  judged: number;
  /** Share of judgments that picked the real reply; null before the first. 0.5 is chance. */
  correct_share: number | null;
  /** Mean rating of the generated replies (1–5); null before the first. */
  mean_rating: number | null;
}

/**
 * What the evaluation report shows of the human spot checks. A reviewer who judged a pair twice
 * counts once, with the later judgment.
 *
 * @example
 * summariseJudgments(judgments) // { judged: 30, correct_share: 0.6, mean_rating: 3.1 }
 */
export function summariseJudgments(judgments: readonly Judgment[]): JudgmentSummary {
  const latest = new Map<string, Judgment>();
  for (const j of judgments) {
    const key = JSON.stringify([j.reviewer, j.pair_id]);
    const seen = latest.get(key);
    if (!seen || seen.judged_at <= j.judged_at) latest.set(key, j);
  }
  const kept = [...latest.values()];
  if (!kept.length) return { judged: 0, correct_share: null, mean_rating: null };
  const correct = kept.filter((j) => j.picked_real).length;
  const ratings = kept.reduce((sum, j) => sum + j.rating, 0);
  return { judged: kept.length, correct_share: correct / kept.length, mean_rating: ratings / kept.length };
}
