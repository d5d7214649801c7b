"""Eval metrics as pure functions on tiny hand-made inputs with known answers."""

from __future__ import annotations

import math

import pytest

from dougpt_gpu.evaluate.likelihood import contextual_lift, mismatch_sources, perplexity, perplexity_without_end
from dougpt_gpu.evaluate.safety import (
    banned_phrase_hits,
    login_hash,
    name_leaks,
    read_banned_phrases,
    verbatim_copy_rate,
)
from dougpt_gpu.evaluate.style import (
    all_caps_rate,
    distinct_n,
    emote_rate,
    placeholder_mention_rate,
    style_metrics,
    wasserstein_1d,
)


def test_perplexity_is_exp_of_mean_token_nll() -> None:
    # Two replies, 3 tokens in all, each token with p = 1/4: perplexity 4 whatever the split between replies.
    assert perplexity([2 * math.log(0.25), math.log(0.25)], [2, 1]) == pytest.approx(4.0)
    # Token-weighted, not reply-weighted: a long certain reply pulls it towards 1.
    assert perplexity([0.0, math.log(0.5)], [9, 1]) == pytest.approx(math.exp(math.log(2) / 10))
    assert math.isnan(perplexity([], []))


def test_contextual_lift_known_value_and_sign() -> None:
    assert contextual_lift([-2.0, -4.0], [-3.0, -6.0], [1, 2]) == pytest.approx(1.0)
    assert contextual_lift([-5.0], [-4.0], [2]) == pytest.approx(-0.5)
    with pytest.raises(ValueError):
        contextual_lift([-1.0], [], [1])


def test_context_blind_scorer_has_zero_lift() -> None:
    contexts = ["we go left", "the bird is back", "one more try", "okay chat"]
    replies = ["LEFT", "BIRD", "KEKW", "hi doug"]
    keys = [("v1", 0), ("v1", 5000), ("v2", 0), ("v2", 9000)]

    def blind(context: str, reply: str) -> float:
        return -0.7 * len(reply)

    def reading(context: str, reply: str) -> float:
        # Likes replies that share a word with their context.
        shared = set(context.lower().split()) & set(reply.lower().split())
        return -0.7 * len(reply) + (2.0 if shared else 0.0)

    permutation = mismatch_sources(keys)
    tokens = [len(r) for r in replies]
    for scorer, expected_positive in ((blind, False), (reading, True)):
        true = [scorer(c, r) for c, r in zip(contexts, replies)]
        mismatched = [scorer(contexts[j], r) for j, r in zip(permutation, replies)]
        lift = contextual_lift(true, mismatched, tokens)
        if expected_positive:
            assert lift > 0.05
        else:
            assert lift == pytest.approx(0.0)


def test_mismatched_context_comes_from_the_same_vod_at_least_60_s_away() -> None:
    keys = [("b", 10_000), ("a", 0), ("b", 0), ("a", 70_000), ("a", 200_000), ("b", 130_000), ("a", 30_000)]
    sources = mismatch_sources(keys)
    assert mismatch_sources(keys) == sources  # fixed
    for i, j in enumerate(sources):
        assert i != j
        if any(k[0] == keys[i][0] and abs(k[1] - keys[i][1]) >= 60_000 for k in keys):
            assert keys[j][0] == keys[i][0] and abs(keys[j][1] - keys[i][1]) >= 60_000, (i, j)
    # ("b", 0) and ("b", 10_000) have ("b", 130_000); it has both: all stay in VOD b.
    assert {keys[sources[i]][0] for i in (0, 2, 5)} == {"b"}
    # A long single VOD: contexts are borrowed about once each (no context serves everyone).
    single = [("v", t * 20_000) for t in range(30)]
    counts = {}
    for j in mismatch_sources(single):
        counts[j] = counts.get(j, 0) + 1
    assert max(counts.values()) <= 2
    # Nothing far enough in the VOD: another VOD's context, never its own.
    close = [("v", 0), ("v", 30_000), ("w", 0)]
    assert [close[j][0] for j in mismatch_sources(close)] == ["w", "w", "v"]
    assert mismatch_sources([("v", 0), ("v", 10)]) == [1, 0]
    with pytest.raises(ValueError):
        mismatch_sources([("v", 0)])


def test_perplexity_without_the_end_token_ignores_how_well_replies_stop() -> None:
    # Two models equal on the reply tokens; one is sure of the end token, the other is not.
    logliks_sure = [-6.0 + 0.0, -4.0 + 0.0]
    logliks_unsure = [-6.0 - 3.0, -4.0 - 3.0]
    tokens = [4, 3]  # 3 and 2 reply tokens plus the end token
    assert perplexity(logliks_sure, tokens) < perplexity(logliks_unsure, tokens)
    assert perplexity_without_end(logliks_sure, [0.0, 0.0], tokens) == pytest.approx(
        perplexity_without_end(logliks_unsure, [-3.0, -3.0], tokens))
    assert perplexity_without_end(logliks_sure, [0.0, 0.0], tokens) == pytest.approx(math.exp(10 / 5))


def test_wasserstein_on_lengths() -> None:
    assert wasserstein_1d([0, 1], [1, 2]) == pytest.approx(1.0)
    assert wasserstein_1d([3], [8]) == pytest.approx(5.0)
    assert wasserstein_1d([1, 2, 3], [3, 2, 1]) == pytest.approx(0.0)
    assert wasserstein_1d([0, 0, 10], [0, 10, 10]) == pytest.approx(10 / 3)
    assert math.isnan(wasserstein_1d([], [1]))


def test_style_rates() -> None:
    replies = ["KEKW", "DOUG NO", "go left", "dougdoHype dougdoHype", "@viewer same", "LUL LUL"]
    assert emote_rate(replies) == pytest.approx(3 / 6)
    assert all_caps_rate(replies) == pytest.approx(1 / 6)
    assert placeholder_mention_rate(replies, "@viewer") == pytest.approx(1 / 6)
    assert placeholder_mention_rate(["x@viewer", "@viewers", "@VIEWER!"], "@viewer") == pytest.approx(1 / 3)
    assert distinct_n(["a b c", "a b d"], 1) == pytest.approx(4 / 6)
    assert distinct_n(["a b c", "a b d"], 2) == pytest.approx(3 / 4)
    assert math.isnan(distinct_n(["LUL", "LUL", "LUL"], 2))  # no bigrams at all
    metrics = style_metrics(["ab", ""], "@viewer", [2, 4])
    assert metrics["empty_rate"] == 0.5 and metrics["mean_chars"] == 1.0
    assert metrics["length_wasserstein"] == pytest.approx(2.0)


def test_banned_phrases_whole_words_any_case(tmp_path) -> None:
    path = tmp_path / "banned.txt"
    path.write_text("# comment\n\nkys\nKill Yourself\n")
    phrases = read_banned_phrases(path)
    assert phrases == ["kys", "Kill Yourself"]
    texts = ["just KYS lol", "skyscraper kysx", "kill\tyourself", "killing yourself", "fine"]
    assert banned_phrase_hits(texts, phrases) == 2
    assert banned_phrase_hits(texts, []) == 0


def test_name_leaks_match_salted_hashes_of_lowercased_logins() -> None:
    salt = "pepper"
    hashes = {login_hash(salt, "Bird_Fan99"), login_hash(salt, "dougdoug")}
    assert login_hash(salt, "bird_fan99") == __import__("hashlib").sha256(b"pepperbird_fan99").hexdigest()
    texts = ["@BIRD_FAN99 nice", "bird_fan99 and bird_fan999", "dougdoug W", "@viewer hi"]
    assert name_leaks(texts, salt, hashes, exempt={"dougdoug", "viewer"}) == 2
    assert name_leaks(texts, salt, set()) == 0


def test_verbatim_copies_need_twenty_chars() -> None:
    training = ["the bird is always right chat", "LUL", "short one here"]
    generated = ["The bird is   always right chat", "LUL", "short one here", "omg the bird is always right chat!!", "new"]
    # Copies: the exact one (case/space-insensitive) and the one containing it; "LUL" and the 14-char one are too short.
    assert verbatim_copy_rate(generated, training) == pytest.approx(2 / 5)
    assert verbatim_copy_rate(generated, []) == 0
    assert math.isnan(verbatim_copy_rate([], training))


def test_classifier_accuracy_chance_for_identical_sets_and_high_for_separable() -> None:
    pytest.importorskip("sklearn")
    from dougpt_gpu.evaluate.classifier import classifier_accuracy

    real = ["KEKW", "go left", "DOUG NO", "the bird again", "LUL", "pog", "W", "one more try", "Clap", "no way",
            "hi doug", "left left left", "F", "true", "skill issue", "monkaS", "here we go", "BIRD", "L", "easy"]
    assert classifier_accuracy(real, list(real)) == pytest.approx(0.5, abs=0.05)
    generated = [f"As an AI language model I think number {i} is great" for i in range(len(real))]
    assert classifier_accuracy(real, generated) > 0.9


def test_toxicity_flags_profanity() -> None:
    from dougpt_gpu.evaluate.safety import rate, toxicity_flags

    flags = toxicity_flags(["you are a fucking idiot", "nice jump doug", "shut the fuck up", "go left"])
    assert flags == [True, False, True, False]
    assert rate(flags) == 0.5


def test_toxicity_flags_from_the_servers_check_command() -> None:
    """The pipeline hands the evaluator the server's guardrail as a command; its flags are taken as they are, and a
    command that misbehaves fails the job with the reason rather than counting nothing."""
    import sys

    from dougpt_gpu.errors import JobFailed
    from dougpt_gpu.evaluate.safety import toxicity_check_name, toxicity_flags

    echo = [sys.executable, "-c", "import json, sys; print(json.dumps(['bird' in t for t in json.load(sys.stdin)]))"]
    assert toxicity_flags(["the bird again", "go left", "BIRD"], echo) == [True, False, False]
    assert toxicity_check_name(echo) == "serving-guardrail" and toxicity_check_name(None) == "alt-profanity-check"
    short = [sys.executable, "-c", "print('[true]')"]
    with pytest.raises(JobFailed, match="expected a JSON array of 2 booleans"):
        toxicity_flags(["a", "b"], short)
    failing = [sys.executable, "-c", "import sys; sys.exit('no model here')"]
    with pytest.raises(JobFailed, match="exit 1: no model here"):
        toxicity_flags(["a"], failing)
