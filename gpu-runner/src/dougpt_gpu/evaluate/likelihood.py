"""Metrics from reply log-likelihoods: perplexity and contextual lift. Pure functions over per-example sums.

Each example contributes `(sum of log p(reply token | prompt, earlier reply tokens), number of reply tokens)`:
only the reply's tokens are scored (and its end-of-turn token), never the prompt's.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence


def perplexity(logliks: Sequence[float], tokens: Sequence[int]) -> float:
    """exp of the mean negative log-likelihood per reply token, over all tokens of all replies (nan when none).

    >>> round(perplexity([-2 * math.log(4), -math.log(4)], [2, 1]), 6)
    4.0
    """
    total = sum(tokens)
    if total == 0:
        return math.nan
    return math.exp(-sum(logliks) / total)


def contextual_lift(true_logliks: Sequence[float], mismatched_logliks: Sequence[float], tokens: Sequence[int]) -> float:
    """Mean per-token log-likelihood of the real replies with their own context minus with a mismatched one (nats).

    A model that ignores the context scores both the same (lift 0); one that reads it finds the real reply more
    likely after its own context (lift > 0).

    >>> contextual_lift([-2.0, -4.0], [-3.0, -6.0], [1, 2])
    1.0
    """
    if not (len(true_logliks) == len(mismatched_logliks) == len(tokens)):
        raise ValueError("contextual_lift: one true and one mismatched log-likelihood per example")
    total = sum(tokens)
    if total == 0:
        return math.nan
    return (sum(true_logliks) - sum(mismatched_logliks)) / total


def perplexity_without_end(logliks: Sequence[float], end_logliks: Sequence[float], tokens: Sequence[int]) -> float:
    """Perplexity of the replies' own tokens, the end-of-turn token left out: a model cannot lower it by ending
    every reply early (short replies make the easy end token a large share of all tokens).

    >>> round(perplexity_without_end([-3 * math.log(4), -2 * math.log(4)], [-math.log(4), -math.log(4)], [3, 2]), 6)
    4.0
    """
    return perplexity([ll - end for ll, end in zip(logliks, end_logliks, strict=True)], [t - 1 for t in tokens])


MISMATCH_MIN_MS = 60_000


def mismatch_sources(keys: Sequence[tuple[Hashable, float]], min_ms: float = MISMATCH_MIN_MS) -> list[int]:
    """For each example, the index of the example whose context replaces its own: fixed, never its own.

    `keys` are `(vod_id, offset_ms)`. The mismatched context comes from the same VOD at least `min_ms` away
    where one exists (same stream, same game, same chat: only the moment differs), else from another VOD. Within
    a VOD, examples are ordered by time and each takes the allowed one nearest after the example half way round
    that order, so contexts are reused about once each.

    >>> mismatch_sources([("a", 0), ("a", 70_000), ("a", 140_000), ("b", 0)])
    [1, 2, 0, 1]
    """
    import bisect

    n = len(keys)
    if n < 2:
        raise ValueError("mismatch_sources: needs at least two examples")
    by_vod: dict[str, list[int]] = {}
    for i, (vod, _) in enumerate(keys):
        by_vod.setdefault(str(vod), []).append(i)
    everyone = sorted(range(n), key=lambda i: (str(keys[i][0]), keys[i][1], i))
    place = {index: rank for rank, index in enumerate(everyone)}
    result = [0] * n
    for members in by_vod.values():
        order = sorted(members, key=lambda i: (keys[i][1], i))
        times = [keys[i][1] for i in order]
        size = len(order)
        for rank, index in enumerate(order):
            # Allowed ranks form two runs: [0, low) before the example and [high, size) after it.
            low = bisect.bisect_right(times, times[rank] - min_ms)
            high = bisect.bisect_left(times, times[rank] + min_ms)
            target = (rank + size // 2) % size
            if low <= target < high:
                target = high if high < size else (0 if low > 0 else -1)
            if target >= 0:
                result[index] = order[target]
                continue
            # Nothing far enough in this VOD: the example half way round the whole split, preferring another VOD.
            start = place[index] + n // 2
            ring = [everyone[(start + step) % n] for step in range(n)]
            other = [j for j in ring if str(keys[j][0]) != str(keys[index][0])]
            result[index] = other[0] if other else next(j for j in ring if j != index)
    return result
