"""Candidate ranking: the candidate sets' rules, the metrics on hand-made scores, and bootstrap intervals."""

from __future__ import annotations

import math
import random

import pytest

from dougpt_gpu.evaluate.candidates import build_candidate_sets, candidate_records, fold, frequency
from dougpt_gpu.evaluate.dataset import Example, TrainReply
from dougpt_gpu.evaluate.intervals import mean_ci, ratio_ci, resample_indices
from dougpt_gpu.evaluate.ranking import Placement, pmi_scores, ranking_metrics

WORDS = "bird left right jump chat doug pog kekw wait go no yes win lose boss fish cat dog moon water".split()


def example(i: int, vod: str, offset_ms: float, reply: str, context: str = "the bird is back") -> Example:
    return Example(prompt=[], reply=reply, context=context, vod_id=vod, offset_ms=offset_ms, pair_id=f"p{i}")


def training_split(size: int = 400, seed: int = 1) -> list[TrainReply]:
    """Chat-shaped replies: a few very frequent ones, many rare ones, from three VODs over an hour each."""
    rng = random.Random(seed)
    rows = []
    for i in range(size):
        if i % 4 == 0:
            text = rng.choice(["LUL", "KEKW", "W", "L", "pog"])
        else:
            text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 4))) + f" {i}"
        rows.append(TrainReply(text, f"v{i % 3}", float(rng.randrange(0, 3_600_000))))
    # Same text as a real reply below, other case and spacing: never a distractor.
    rows += [TrainReply("  the BIRD   is back ", "v0", 5_000.0), TrainReply("Bird Moment", "v1", 100_000.0)]
    return rows


EXAMPLES = [
    example(0, "v1", 100_000, "the bird is back"),
    example(1, "v1", 1_000_000, "LUL", "why is everyone laughing"),
    example(2, "v9", 50_000, "go left go left", "we are going left this time"),
]


def test_candidate_sets_follow_the_rules() -> None:
    train = training_split()
    sets = build_candidate_sets(EXAMPLES, train, "ds-1", seed=0, size=100)
    for ex, cs in zip(EXAMPLES, sets):
        texts = [c.text for c in cs.candidates]
        assert len(texts) == 100 and cs.candidates[0].source == "real" and texts[0] == ex.reply
        folded = [fold(t) for t in texts]
        assert len(set(folded)) == 100  # no distractor equals the real reply or another distractor
        for c in cs.candidates[1:]:
            assert not (c.vod_id == ex.vod_id and abs(c.offset_ms - ex.offset_ms) < 60_000), c
            assert any(r.text == c.text and r.vod_id == c.vod_id and r.offset_ms == c.offset_ms for r in train)
        sources = [c.source for c in cs.candidates[1:]]
        # Nearest are only texts sharing a word with the context (at most 20); random ones fill the rest.
        assert sources.count("frequent") == 20 and 1 <= sources.count("nearest") <= 20
        assert sources.count("random") == 79 - sources.count("nearest")
    assert [c.source for c in sets[2].candidates].count("nearest") == 20
    # The real reply "LUL" is the most frequent text: never a distractor of its own context.
    assert "lul" not in {fold(c.text) for c in sets[1].candidates[1:]}
    # The 20 most frequent texts of the training split are the frequent distractors of a context they do not answer.
    counts = frequency(train)
    top = sorted(counts, key=lambda k: (-counts[k], k))[:20]
    assert {fold(c.text) for c in sets[2].candidates if c.source == "frequent"} == set(top)
    # The nearest share words with the context.
    nearest = [c.text for c in sets[2].candidates if c.source == "nearest"]
    assert all({"left", "going", "this", "time", "we", "are"} & set(t.lower().split()) for t in nearest)


@pytest.mark.parametrize("size", [2, 10, 25, 30, 41, 50, 71])
def test_every_set_has_exactly_the_size_asked_for(size: int) -> None:
    # Sizes where the room left after the frequent texts is under 20 once nearest texts start to fill it.
    for cs in build_candidate_sets(EXAMPLES, training_split(), "ds-1", seed=0, size=size):
        assert len(cs.candidates) == size


def test_same_vod_within_60_s_is_excluded_even_for_frequent_texts() -> None:
    # "LUL" occurs only in the example's VOD, 30 s away: it cannot be a distractor; "W" 90 s away can.
    train = [TrainReply("LUL", "v1", 130_000.0)] * 5 + [TrainReply("W", "v1", 190_000.0)] * 4 + \
        [TrainReply(f"rare {i}", "v2", float(i)) for i in range(10)]
    cs = build_candidate_sets([example(0, "v1", 100_000, "hello")], train, "ds", seed=0, size=100)[0]
    texts = [c.text for c in cs.candidates]
    assert "LUL" not in texts and "W" in texts
    assert len(texts) == 12  # the real reply and every allowed distinct text: the pool is smaller than 100


def test_candidate_sets_are_a_function_of_dataset_and_seed() -> None:
    train = training_split()
    first = candidate_records(build_candidate_sets(EXAMPLES, train, "ds-1", seed=0))
    assert candidate_records(build_candidate_sets(EXAMPLES, train, "ds-1", seed=0)) == first
    # A subset of the examples (--limit) gets the very same sets.
    assert candidate_records(build_candidate_sets(EXAMPLES[1:2], train, "ds-1", seed=0)) == first[1:2]
    # Another seed or dataset draws other random distractors, the same frequent and nearest ones.
    for other in (build_candidate_sets(EXAMPLES, train, "ds-1", seed=1), build_candidate_sets(EXAMPLES, train, "ds-2", seed=0)):
        records = candidate_records(other)
        assert records != first
        for a, b in zip(records, first):
            pick = lambda r, s: [c["text"] for c in r["candidates"] if c["source"] == s]  # noqa: E731
            assert pick(a, "frequent") == pick(b, "frequent") and pick(a, "nearest") == pick(b, "nearest")
            assert pick(a, "random") != pick(b, "random")


def test_ranking_metrics_on_a_hand_made_score_matrix() -> None:
    # Real reply first in each row. Ranks: 1, 3, 6 (two above tie... see below), 12.
    rows = [
        [0.9] + [0.1] * 11,  # rank 1
        [0.5, 0.9, 0.7] + [0.1] * 9,  # rank 3
        [0.5] + [0.9] * 5 + [0.1] * 6,  # rank 6
        [0.0] + [0.5] * 11,  # rank 12
    ]
    m = ranking_metrics(rows, seed=0)
    assert m["n"] == 4 and m["n_candidates"] == 12
    assert m["r_at_1"] == pytest.approx(1 / 4)
    assert m["r_at_5"] == pytest.approx(2 / 4)
    assert m["r_at_10"] == pytest.approx(3 / 4)
    assert m["mrr"] == pytest.approx((1 + 1 / 3 + 1 / 6 + 1 / 12) / 4)
    assert m["mean_rank"] == pytest.approx((1 + 3 + 6 + 12) / 4)
    low, high = m["r_at_10_ci95"]
    assert 0 <= low <= m["r_at_10"] <= high <= 1
    # Ties are ordered at random in expectation: a constant scorer is exactly random.
    flat = ranking_metrics([[1.0] * 100] * 3, seed=0)
    assert flat["r_at_10"] == pytest.approx(0.10) and flat["r_at_1"] == pytest.approx(0.01)
    assert flat["mrr"] == pytest.approx(sum(1 / r for r in range(1, 101)) / 100) and flat["mean_rank"] == 50.5
    assert Placement(above=2, tied=4).hit(5) == pytest.approx(3 / 5)
    assert ranking_metrics([], seed=0)["r_at_10"] is None


def test_pmi_removes_what_the_candidate_scores_without_context() -> None:
    with_context = [[-2.0, -1.0, -3.0]]  # the generic reply (index 1) wins on its own...
    without = [[-4.0, -1.0, -3.5]]  # ...because it wins without any context too
    assert ranking_metrics(with_context, 0)["r_at_1"] == 0
    assert ranking_metrics(pmi_scores(with_context, without), 0)["r_at_1"] == 1


def test_bootstrap_intervals_contain_the_point_and_are_seeded() -> None:
    rng = random.Random(3)
    values = [float(rng.random() < 0.3) for _ in range(200)]
    point = sum(values) / len(values)
    ci = mean_ci(values, seed=7)
    assert ci[0] < point < ci[1] and ci[1] - ci[0] < 0.2
    assert mean_ci(values, seed=7) == ci  # same seed, same interval
    continuous = [rng.random() for _ in range(200)]
    assert mean_ci(continuous, seed=8) != mean_ci(continuous, seed=7)
    assert (resample_indices(5, 1) == resample_indices(5, 1)).all() and resample_indices(5, 1).shape == (1000, 5)
    gains = [rng.gauss(0.1, 0.5) for _ in range(300)]
    tokens = [rng.randint(1, 9) for _ in range(300)]
    lift = sum(gains) / sum(tokens)
    low, high = ratio_ci(gains, tokens, seed=0)
    assert low < lift < high
    # A wider spread gives a wider interval.
    wide = ratio_ci([3 * g for g in gains], tokens, seed=0)
    assert wide[1] - wide[0] > 2 * (high - low)
    assert mean_ci([1.0], seed=0) is None  # one context: no interval
    assert not math.isnan(ratio_ci([0.0, 0.0], [1, 1], seed=0)[0])
