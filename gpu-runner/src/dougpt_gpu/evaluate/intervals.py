"""Bootstrap intervals over contexts: every model figure comes with one.

Resampling is paired: every statistic of one evaluation resamples the same contexts (the index matrix depends
only on the number of contexts and the seed), so a difference between two models is resampled as a difference.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

RESAMPLES = 1000
LEVEL = 0.95


def resample_indices(n: int, seed: int, resamples: int = RESAMPLES) -> Any:
    """(resamples × n) context indexes drawn with replacement; the same for the same (n, seed)."""
    import numpy as np

    return np.random.default_rng(seed).integers(0, n, size=(resamples, n))


def bootstrap_ci(
    statistic: Callable[[Any], Any], n: int, seed: int, resamples: int = RESAMPLES, level: float = LEVEL
) -> list[float] | None:
    """Percentile interval of `statistic`, which maps an index matrix (resamples × n) to one value per row.
    None with fewer than two contexts or when a resample has no value.

    >>> bootstrap_ci(lambda idx: idx.mean(axis=1) * 0 + 1.0, 5, seed=0)
    [1.0, 1.0]
    """
    import numpy as np

    if n < 2:
        return None
    values = np.asarray(statistic(resample_indices(n, seed, resamples)), dtype=float)
    if not np.all(np.isfinite(values)):
        return None
    tail = (1 - level) / 2
    low, high = np.quantile(values, [tail, 1 - tail])
    return [float(low), float(high)]


def mean_ci(values: Sequence[float], seed: int) -> list[float] | None:
    """Interval of a mean over contexts (a rate: R@k, accuracy)."""
    import numpy as np

    array = np.asarray(values, dtype=float)
    return bootstrap_ci(lambda idx: array[idx].mean(axis=1), len(array), seed)


def ratio_ci(numerators: Sequence[float], denominators: Sequence[float], seed: int) -> list[float] | None:
    """Interval of sum(numerators) / sum(denominators) over contexts (a per-token figure such as the lift)."""
    import numpy as np

    top, bottom = np.asarray(numerators, dtype=float), np.asarray(denominators, dtype=float)
    if len(top) != len(bottom):
        raise ValueError("ratio_ci: one numerator and one denominator per context")

    def statistic(idx: Any) -> Any:
        totals = bottom[idx].sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(totals > 0, top[idx].sum(axis=1) / np.where(totals > 0, totals, 1), np.nan)

    return bootstrap_ci(statistic, len(top), seed)
