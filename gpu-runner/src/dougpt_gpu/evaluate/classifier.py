"""Can a simple classifier tell generated replies from real ones? Real-vs-generated accuracy, cross-validated."""

from __future__ import annotations

import math
from collections.abc import Sequence


def classifier_accuracy(real: Sequence[str], generated: Sequence[str], folds: int = 5, seed: int = 0) -> float:
    """Out-of-fold accuracy of the real-vs-generated classifier (see `classifier_outcomes`); nan with under 2."""
    outcomes = classifier_outcomes(real, generated, folds, seed)
    return math.nan if outcomes is None else sum(outcomes) / len(outcomes)


def classifier_outcomes(real: Sequence[str], generated: Sequence[str], folds: int = 5, seed: int = 0) -> list[float] | None:
    """Per context, the share of its two replies (real, generated) told apart correctly (0, 0.5 or 1), by the
    out-of-fold predictions of a char n-gram logistic regression; None with fewer than two contexts.

    0.5: indistinguishable (the goal); 1.0: every generated reply gives itself away. The real and the generated
    reply of the same context stay in the same fold: otherwise a reply the model copied would be learnt as
    "generated" from one copy and scored on the other, pushing identical sets below 0.5.
    """
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GroupKFold
    from sklearn.pipeline import make_pipeline

    if len(real) < 2 or len(real) != len(generated):
        return None
    texts = [*real, *generated]
    labels = [0] * len(real) + [1] * len(generated)
    groups = [*range(len(real)), *range(len(generated))]
    splits = min(folds, len(set(groups)))
    correct = [0] * len(texts)
    for train, test in GroupKFold(n_splits=splits, shuffle=True, random_state=seed).split(texts, labels, groups):
        train_labels = {labels[i] for i in train}
        if len(train_labels) < 2:
            # A fold whose training half has one class can only guess it.
            guess = train_labels.pop()
            for i in test:
                correct[i] = int(labels[i] == guess)
            continue
        model = make_pipeline(
            TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 4), sublinear_tf=True, lowercase=False),
            LogisticRegression(C=1.0, max_iter=2000),
        )
        model.fit([texts[i] for i in train], [labels[i] for i in train])
        predicted = model.predict([texts[i] for i in test])
        for p, i in zip(predicted, test):
            correct[i] = int(p == labels[i])
    n = len(real)
    return [(correct[i] + correct[n + i]) / 2 for i in range(n)]
