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


def mismatch_permutation(keys: Sequence[tuple[Hashable, float]]) -> list[int]:
    """For each example, the index of the example whose context replaces its own: fixed, no example keeps its own.

    `keys` are `(vod_id, offset_ms)`. Examples are ordered by VOD and time, and each is paired with the one half
    way round that order: across VODs when the split holds several, otherwise far apart in the same VOD.

    >>> mismatch_permutation([("a", 0), ("a", 10), ("b", 0), ("b", 10)])
    [2, 3, 0, 1]
    """
    n = len(keys)
    if n < 2:
        raise ValueError("mismatch_permutation: needs at least two examples")
    order = sorted(range(n), key=lambda i: (str(keys[i][0]), keys[i][1], i))
    shift = n // 2
    result = [0] * n
    for rank, index in enumerate(order):
        result[index] = order[(rank + shift) % n]
    return result
