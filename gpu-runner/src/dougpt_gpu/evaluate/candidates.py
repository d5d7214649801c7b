"""Candidate sets for ranking: each held-out context's real reply among distractors drawn from the training split.

The set depends only on the dataset, the seed and the number of candidates, never on the model: every model
ranks the same texts, and `candidates.jsonl` in the eval folder records them. Distractors are, in this order,
the most frequent training replies, the training replies nearest to the context by TF-IDF, and random training
replies, under two rules:

- never a text equal to the real reply once case and whitespace are folded (nor two equal distractors);
- never drawn from a training row of the same VOD within ±60 s of the example (that chat may answer the same
  moment). A text that also occurs elsewhere is drawn through that other row.

Each example's random draws are seeded with (dataset id, seed, pair id), so evaluating a subset (`--limit`)
gives its examples the candidates they have in the full evaluation.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .dataset import Example, TrainReply

NEAR_MS = 60_000
FREQUENT = 20
NEAREST = 20
_SPACE = re.compile(r"\s+")


def fold(text: str) -> str:
    """Case and whitespace folded: how two replies are judged equal.

    >>> fold("  LUL   lul ") == fold("lul lul")
    True
    """
    return _SPACE.sub(" ", text).strip().casefold()


@dataclass(frozen=True)
class Candidate:
    """One text to rank: the real reply (`source` "real") or a distractor with the training row it came from."""

    text: str
    source: str  # real | frequent | nearest | random
    vod_id: str
    offset_ms: float


@dataclass(frozen=True)
class CandidateSet:
    pair_id: str
    vod_id: str
    offset_ms: float
    candidates: tuple[Candidate, ...]  # the real reply first


@dataclass(frozen=True)
class _Text:
    text: str  # as first written in the training split
    key: str  # folded
    count: int
    rows: tuple[tuple[str, float], ...]  # (vod_id, offset_ms) of every occurrence


def _pool(train: Sequence[TrainReply]) -> list[_Text]:
    """Distinct training texts (folded), in order of first occurrence, with their counts and rows."""
    first: dict[str, str] = {}
    rows: dict[str, list[tuple[str, float]]] = {}
    for row in train:
        key = fold(row.text)
        if not key:
            continue
        first.setdefault(key, row.text)
        rows.setdefault(key, []).append((row.vod_id, row.offset_ms))
    return [_Text(first[k], k, len(rows[k]), tuple(rows[k])) for k in first]


def _source_row(text: _Text, example: Example) -> tuple[str, float] | None:
    """The first occurrence of `text` that the ±60 s rule allows for `example`, or None."""
    for vod_id, offset_ms in text.rows:
        if vod_id != example.vod_id or abs(offset_ms - example.offset_ms) >= NEAR_MS:
            return vod_id, offset_ms
    return None


def frequency(train: Sequence[TrainReply]) -> dict[str, int]:
    """Occurrences of each folded text in the training split: the popularity ranking's score."""
    counts: dict[str, int] = {}
    for row in train:
        key = fold(row.text)
        counts[key] = counts.get(key, 0) + 1
    return counts


def build_candidate_sets(
    examples: Sequence[Example], train: Sequence[TrainReply], dataset_id: str, seed: int, size: int = 100
) -> list[CandidateSet]:
    """One candidate set per example: its real reply and up to `size - 1` distractors (fewer only when the
    training split has too few distinct, allowed texts).

    >>> from .dataset import Example, TrainReply
    >>> ex = Example(prompt=[], reply="LUL", context="the bird", vod_id="v1", offset_ms=0, pair_id="p")
    >>> train = [TrainReply("lul", "v0", 0), TrainReply("bird", "v1", 1000), TrainReply("W", "v0", 0)]
    >>> [c.text for c in build_candidate_sets([ex], train, "ds", 0)[0].candidates]
    ['LUL', 'W']
    """
    if size < 2:
        raise ValueError("build_candidate_sets: needs room for at least one distractor")
    pool = _pool(train)
    by_count = sorted(range(len(pool)), key=lambda i: (-pool[i].count, pool[i].key))
    similarity = _tfidf_similarity([e.context for e in examples], [t.text for t in pool])
    sets = []
    for row, example in enumerate(examples):
        real_key = fold(example.reply)
        chosen: list[Candidate] = [Candidate(example.reply, "real", example.vod_id, example.offset_ms)]
        taken = {real_key}
        want = size - 1

        def take(index: int, source: str) -> bool:
            text = pool[index]
            if text.key in taken:
                return False
            where = _source_row(text, example)
            if where is None:
                return False
            taken.add(text.key)
            chosen.append(Candidate(text.text, source, *where))
            return True

        picked = 0
        for index in by_count:
            if picked == min(FREQUENT, want):
                break
            picked += take(index, "frequent")
        if similarity is not None and len(chosen) - 1 < want:
            # The room left is counted once: counted again as `chosen` grows, it could pass `picked` unseen.
            limit, picked = min(NEAREST, want - (len(chosen) - 1)), 0
            for index in _nearest_first(similarity[row]):
                if picked == limit:
                    break
                picked += take(index, "nearest")
        _take_random(pool, example, dataset_id, seed, want - (len(chosen) - 1), take)
        sets.append(CandidateSet(example.pair_id, example.vod_id, example.offset_ms, tuple(chosen)))
    return sets


def _nearest_first(scores: object) -> list[int]:
    import numpy as np

    values = np.asarray(scores).ravel()
    # Only texts that share a word with the context are "near"; the rest are left to the random draw.
    positive = np.flatnonzero(values > 0)
    return [int(i) for i in positive[np.lexsort((positive, -values[positive]))]]


def _tfidf_similarity(contexts: Sequence[str], texts: Sequence[str]) -> object | None:
    """Cosine similarity (contexts × texts) of word TF-IDF vectors fitted on the training texts; None when the
    texts have no words to fit on."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    if not texts:
        return None
    vectorizer = TfidfVectorizer(lowercase=True, token_pattern=r"(?u)\b\w+\b", sublinear_tf=True)
    try:
        matrix = vectorizer.fit_transform(texts)
    except ValueError:  # empty vocabulary: emote-free punctuation only
        return None
    return (vectorizer.transform(contexts) @ matrix.T).toarray()


def _take_random(
    pool: Sequence[_Text], example: Example, dataset_id: str, seed: int, want: int, take: Callable[[int, str], bool]
) -> None:
    """Up to `want` random texts through `take`, seeded per example."""
    if want <= 0 or not pool:
        return
    # A string seed hashes the same in every process (unlike hash()), so the draw is reproducible.
    rng = random.Random(f"{dataset_id}\0{seed}\0{example.pair_id}")
    got, tries = 0, 0
    while got < want and tries < 8 * want + 64:
        tries += 1
        got += take(rng.randrange(len(pool)), "random")
    if got < want:
        # A small or mostly excluded pool: draw from the whole of it in one shuffled pass.
        order = list(range(len(pool)))
        rng.shuffle(order)
        for index in order:
            if got == want:
                break
            got += take(index, "random")


def candidate_records(sets: Sequence[CandidateSet]) -> list[dict]:
    """candidates.jsonl rows: one per example, the real reply first."""
    return [
        {"pair_id": s.pair_id, "vod_id": s.vod_id, "offset_ms": s.offset_ms,
         "candidates": [{"text": c.text, "source": c.source, "vod_id": c.vod_id, "offset_ms": c.offset_ms}
                        for c in s.candidates]}
        for s in sets
    ]
