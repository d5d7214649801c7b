"""Release gates: the versioned defaults, each gate's limit, the verdict listing every failure with both numbers."""

from __future__ import annotations

import json
import math

import pytest

from dougpt_gpu.errors import BadInput
from dougpt_gpu.evaluate.gates import Gate, gate_limit, load_gates, parse_gates, verdict
from dougpt_gpu.evaluate.job import DEFAULT_GATES

BASE = {"perplexity": 50.0}
REAL = {"toxicity_rate": 0.10, "emote_rate": 0.30, "all_caps_rate": 0.1, "distinct_1": 0.5, "distinct_2": 0.8,
        "placeholder_mention_rate": 0.02}


def good_candidate(**changes: float) -> dict[str, float]:
    candidate = {
        "perplexity": 30.0, "contextual_lift": 0.2, "classifier_accuracy": 0.7, "toxicity_rate": 0.10,
        "name_leaks": 0, "verbatim_copy_rate": 0.0, "banned_phrase_hits": 0, "emote_rate": 0.28,
        "length_wasserstein": 5.0, "all_caps_rate": 0.1, "distinct_1": 0.5, "distinct_2": 0.8,
        "placeholder_mention_rate": 0.02,
    }
    candidate.update(changes)
    return candidate


def failed(result: dict) -> dict[str, dict]:
    return {f["gate"]: f for f in result["failures"]}


def test_default_gates_file_is_versioned_and_holds_the_agreed_thresholds() -> None:
    raw = json.loads(DEFAULT_GATES.read_text())
    assert raw["version"].startswith("dougpt-gates/")
    spec = load_gates(DEFAULT_GATES)
    gates = {g.name: g for g in spec.gates}
    assert gate_limit(gates["perplexity_vs_base"], 50.0) == pytest.approx(40.0)
    assert gates["contextual_lift"].op == ">" and gates["contextual_lift"].value == 0.05
    assert gate_limit(gates["classifier_vs_promoted"], 0.6) == pytest.approx(0.62)
    # max(1.1 × real, real + 0.01)
    assert gate_limit(gates["toxicity_vs_real"], 0.5) == pytest.approx(0.55)
    assert gate_limit(gates["toxicity_vs_real"], 0.02) == pytest.approx(0.03)
    assert gates["name_leaks"].value == 0 and gates["verbatim_copies"].value == 0.01
    assert any(name.startswith("no_regression:") for name in gates)


def test_good_candidate_passes_without_promoted_and_skips_promoted_gates() -> None:
    spec = load_gates(DEFAULT_GATES)
    result = verdict(spec, good_candidate(), BASE, REAL, None)
    assert result["passed"], result["failures"]
    skipped = [outcome["gate"] for outcome in result["skipped"]]
    assert "classifier_vs_promoted" in skipped
    assert all(name.startswith("no_regression:") or name == "classifier_vs_promoted" for name in skipped)
    assert result["version"] == spec.version


def test_every_failed_gate_is_listed_with_both_numbers() -> None:
    spec = load_gates(DEFAULT_GATES)
    candidate = good_candidate(perplexity=45.0, contextual_lift=0.05, toxicity_rate=0.2, name_leaks=1,
                               verbatim_copy_rate=0.02, banned_phrase_hits=3)
    result = verdict(spec, candidate, BASE, REAL, None)
    failures = failed(result)
    assert not result["passed"]
    assert set(failures) == {"perplexity_vs_base", "contextual_lift", "toxicity_vs_real", "name_leaks",
                             "verbatim_copies", "banned_phrases"}
    ppl = failures["perplexity_vs_base"]
    assert (ppl["candidate"], ppl["reference"], ppl["limit"]) == (45.0, 50.0, pytest.approx(40.0))
    assert "45" in ppl["message"] and "50" in ppl["message"] and "40" in ppl["message"]
    assert failures["contextual_lift"]["limit"] == 0.05  # strictly greater than
    tox = failures["toxicity_vs_real"]
    assert tox["reference"] == 0.10 and tox["limit"] == pytest.approx(0.11)


def test_regressions_against_the_promoted_adapter() -> None:
    spec = load_gates(DEFAULT_GATES)
    promoted = good_candidate(classifier_accuracy=0.6, perplexity=28.0, emote_rate=0.30)
    ok = verdict(spec, good_candidate(classifier_accuracy=0.615, perplexity=29.0), BASE, REAL, promoted)
    assert ok["passed"], ok["failures"]
    worse = good_candidate(classifier_accuracy=0.65, perplexity=31.0, emote_rate=0.1)
    failures = failed(verdict(spec, worse, BASE, REAL, promoted))
    # classifier_vs_promoted is the classifier's regression gate: it is not listed twice.
    assert set(failures) == {"classifier_vs_promoted", "no_regression:perplexity", "no_regression:emote_rate"}
    emote = failures["no_regression:emote_rate"]
    # closer_to_real: distances from real's 0.30 (candidate 0.2, promoted 0.0), tolerance 0.05.
    assert emote["candidate"] == pytest.approx(0.2) and emote["reference"] == pytest.approx(0.0)
    assert emote["limit"] == pytest.approx(0.05)
    # No real value to be close to: skipped, not failed.
    no_target = verdict(spec, worse, BASE, {k: v for k, v in REAL.items() if k != "emote_rate"}, promoted)
    assert "no_regression:emote_rate" in [outcome["gate"] for outcome in no_target["skipped"]]
    # Farther from real on the other side counts the same.
    assert "no_regression:emote_rate" in failed(verdict(spec, good_candidate(emote_rate=0.5), BASE, REAL, promoted))


def test_missing_or_nan_metric_fails_its_gate() -> None:
    spec = load_gates(DEFAULT_GATES)
    candidate = good_candidate(perplexity=math.nan)
    del candidate["name_leaks"]
    failures = failed(verdict(spec, candidate, BASE, REAL, None))
    assert {"perplexity_vs_base", "name_leaks"} <= set(failures)
    assert failures["perplexity_vs_base"]["candidate"] is None


def test_lower_bound_limits_take_the_more_lenient_tolerance() -> None:
    gate = Gate("lift", "contextual_lift", ">=", "promoted", scale=0.9, offset=0.02)
    assert gate_limit(gate, 0.5) == pytest.approx(0.45)
    assert gate_limit(gate, 0.1) == pytest.approx(0.08)


def test_bad_gates_files_are_bad_input(tmp_path) -> None:
    with pytest.raises(BadInput, match="version"):
        parse_gates({"gates": []})
    with pytest.raises(BadInput, match="op"):
        parse_gates({"version": "x", "gates": [{"name": "a", "metric": "m", "op": "=<", "value": 1}]})
    with pytest.raises(BadInput, match="value"):
        parse_gates({"version": "x", "gates": [{"name": "a", "metric": "m", "op": "<=", "against": "base", "value": 1}]})
    with pytest.raises(BadInput, match="better"):
        parse_gates({"version": "x", "regressions": {"m": {"better": "up"}}})
    broken = tmp_path / "g.json"
    broken.write_text("{")
    with pytest.raises(BadInput):
        load_gates(broken)
