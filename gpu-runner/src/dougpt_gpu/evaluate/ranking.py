"""Candidate ranking metrics: where the real reply lands when a scorer orders its context's candidates.

Pure functions over score lists (one list per context, the real reply's score first). Ties are broken at random
in expectation: a scorer that gives every candidate the same score (a context-blind constant, a popularity count
that cannot tell two texts apart) gets exactly the random figures, R@k = k / n and MRR = H(n) / n.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .intervals import mean_ci

KS = (1, 5, 10)


@dataclass(frozen=True)
class Placement:
    """The real reply among one context's candidates: `above` candidates score higher, `tied` score the same."""

    above: int
    tied: int

    @staticmethod
    def of(scores: Sequence[float], real: int = 0) -> Placement:
        """
        >>> Placement.of([0.5, 0.9, 0.5, 0.1])
        Placement(above=1, tied=1)
        """
        target = scores[real]
        above = sum(1 for i, s in enumerate(scores) if i != real and s > target)
        tied = sum(1 for i, s in enumerate(scores) if i != real and s == target)
        return Placement(above, tied)

    @property
    def mean_rank(self) -> float:
        return 1 + self.above + self.tied / 2

    def hit(self, k: int) -> float:
        """P(rank <= k) when the ties are ordered at random.

        >>> Placement(above=3, tied=3).hit(5)
        0.5
        """
        slots = k - 1 - self.above  # positions among the ties that still land within the top k
        if slots < 0:
            return 0.0
        return min(slots + 1, self.tied + 1) / (self.tied + 1)

    @property
    def reciprocal(self) -> float:
        """E[1 / rank] over the random order of the ties."""
        return sum(1 / (1 + self.above + u) for u in range(self.tied + 1)) / (self.tied + 1)


def ranking_metrics(score_lists: Sequence[Sequence[float]], seed: int) -> dict[str, object]:
    """{r_at_1, r_at_5, r_at_10, mrr, mean_rank, n, n_candidates, r_at_10_ci95}: means over contexts, the
    interval a bootstrap over contexts. `n_candidates` is the smallest candidate count of a context (the count of
    every context unless the training split was too small to fill some).

    >>> m = ranking_metrics([[0.0] * 100, [0.0] * 100], seed=0)
    >>> (m["r_at_10"], round(m["mrr"], 4), m["mean_rank"])
    (0.1, 0.0519, 50.5)
    """
    places = [Placement.of(scores) for scores in score_lists]
    if not places:
        return {**{f"r_at_{k}": None for k in KS}, "mrr": None, "mean_rank": None, "n": 0, "n_candidates": 0,
                "r_at_10_ci95": None}
    n = len(places)
    hits = {k: [p.hit(k) for p in places] for k in KS}
    return {
        **{f"r_at_{k}": sum(hits[k]) / n for k in KS},
        "mrr": sum(p.reciprocal for p in places) / n,
        "mean_rank": sum(p.mean_rank for p in places) / n,
        "n": n,
        "n_candidates": min(len(scores) for scores in score_lists),
        "r_at_10_ci95": mean_ci(hits[10], seed),
    }


def pmi_scores(with_context: Sequence[Sequence[float]], without: Sequence[Sequence[float]]) -> list[list[float]]:
    """Each candidate's score after its context minus its score after an empty one: what the context adds.

    >>> pmi_scores([[-1.0, -2.0]], [[-3.0, -1.0]])
    [[2.0, -1.0]]
    """
    return [[a - b for a, b in zip(x, y, strict=True)] for x, y in zip(with_context, without, strict=True)]
