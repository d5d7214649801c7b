"""Release gates: the versioned defaults, each gate's limit, the verdict listing every failure with both numbers."""

from __future__ import annotations

import json
import math

import pytest

from dougpt_gpu.errors import BadInput
from dougpt_gpu.evaluate.gates import Gate, gate_limit, load_gates, parse_gates, verdict
from dougpt_gpu.evaluate.job import DEFAULT_GATES

BASE = {"perplexity": 50.0, "perplexity_no_eot": 50.0}
REAL = {"toxicity_rate": 0.10, "emote_rate": 0.30, "all_caps_rate": 0.1, "distinct_1": 0.5, "distinct_2": 0.8,
        "placeholder_mention_rate": 0.02}


def good_candidate(**changes: float) -> dict[str, float]:
    candidate = {
        "perplexity": 30.0, "contextual_lift": 0.2, "classifier_accuracy": 0.7, "toxicity_rate": 0.10,
        "name_leaks": 0, "verbatim_copy_rate": 0.0, "banned_phrase_hits": 0, "emote_rate": 0.28,
        "length_wasserstein": 5.0, "all_caps_rate": 0.1, "distinct_1": 0.5, "distinct_2": 0.8,
        "placeholder_mention_rate": 0.02, "perplexity_no_eot": 30.0,
        "ranking": {"r_at_10": 0.4, "r_at_10_ci95": [0.3, 0.5]},
        "ranking_no_context": {"r_at_10": 0.2, "r_at_10_ci95": [0.12, 0.28]},
    }
    candidate.update(changes)
    return candidate


# eval.json's top-level figures that gates of scope "eval" read.
SUMMARY = {"lift_vs_base": {"value": 0.1, "ci95": [0.03, 0.17]}}


def failed(result: dict) -> dict[str, dict]:
    return {f["gate"]: f for f in result["failures"]}


def test_default_gates_file_is_versioned_and_holds_the_agreed_thresholds() -> None:
    raw = json.loads(DEFAULT_GATES.read_text())
    assert raw["version"].startswith("dougpt-gates/")
    spec = load_gates(DEFAULT_GATES)
    gates = {g.name: g for g in spec.gates}
    assert raw["version"] == "dougpt-gates/2"
    assert gates["perplexity_no_eot_vs_base"].metric == "perplexity_no_eot"
    assert gate_limit(gates["perplexity_no_eot_vs_base"], 50.0) == pytest.approx(40.0)
    assert (gates["lift_vs_base"].scope, gates["lift_vs_base"].metric) == ("eval", "lift_vs_base.ci95[0]")
    assert gates["lift_vs_base"].op == ">" and gates["lift_vs_base"].value == 0
    context = gates["ranking_needs_context"]
    assert (context.metric, context.against, context.reference_metric) == ("ranking.r_at_10", "self", "ranking_no_context.r_at_10")
    assert gate_limit(context, 0.2) == pytest.approx(0.25)
    assert gates["contextual_lift"].op == ">" and gates["contextual_lift"].value == 0.05
    assert gate_limit(gates["classifier_vs_promoted"], 0.6) == pytest.approx(0.62)
    # max(1.1 × real, real + 0.01)
    assert gate_limit(gates["toxicity_vs_real"], 0.5) == pytest.approx(0.55)
    assert gate_limit(gates["toxicity_vs_real"], 0.02) == pytest.approx(0.03)
    assert gates["name_leaks"].value == 0 and gates["verbatim_copies"].value == 0.01
    assert any(name.startswith("no_regression:") for name in gates)


def test_good_candidate_passes_without_promoted_and_skips_promoted_gates() -> None:
    spec = load_gates(DEFAULT_GATES)
    result = verdict(spec, good_candidate(), BASE, REAL, None, SUMMARY)
    assert result["passed"], result["failures"]
    skipped = [outcome["gate"] for outcome in result["skipped"]]
    assert "classifier_vs_promoted" in skipped
    assert all(name.startswith("no_regression:") or name == "classifier_vs_promoted" for name in skipped)
    assert result["version"] == spec.version


def test_every_failed_gate_is_listed_with_both_numbers() -> None:
    spec = load_gates(DEFAULT_GATES)
    candidate = good_candidate(perplexity_no_eot=45.0, contextual_lift=0.05, toxicity_rate=0.2, name_leaks=1,
                               verbatim_copy_rate=0.02, banned_phrase_hits=3)
    result = verdict(spec, candidate, BASE, REAL, None, SUMMARY)
    failures = failed(result)
    assert not result["passed"]
    assert set(failures) == {"perplexity_no_eot_vs_base", "contextual_lift", "toxicity_vs_real", "name_leaks",
                             "verbatim_copies", "banned_phrases"}
    ppl = failures["perplexity_no_eot_vs_base"]
    assert (ppl["candidate"], ppl["reference"], ppl["limit"]) == (45.0, 50.0, pytest.approx(40.0))
    assert "45" in ppl["message"] and "50" in ppl["message"] and "40" in ppl["message"]
    assert failures["contextual_lift"]["limit"] == 0.05  # strictly greater than
    tox = failures["toxicity_vs_real"]
    assert tox["reference"] == 0.10 and tox["limit"] == pytest.approx(0.11)


def test_regressions_against_the_promoted_adapter() -> None:
    spec = load_gates(DEFAULT_GATES)
    promoted = good_candidate(classifier_accuracy=0.6, perplexity=28.0, emote_rate=0.30)
    ok = verdict(spec, good_candidate(classifier_accuracy=0.615, perplexity=29.0), BASE, REAL, promoted, SUMMARY)
    assert ok["passed"], ok["failures"]
    worse = good_candidate(classifier_accuracy=0.65, perplexity=31.0, emote_rate=0.1)
    failures = failed(verdict(spec, worse, BASE, REAL, promoted, SUMMARY))
    # classifier_vs_promoted is the classifier's regression gate: it is not listed twice.
    assert set(failures) == {"classifier_vs_promoted", "no_regression:perplexity", "no_regression:emote_rate"}
    emote = failures["no_regression:emote_rate"]
    # closer_to_real: distances from real's 0.30 (candidate 0.2, promoted 0.0), tolerance 0.05.
    assert emote["candidate"] == pytest.approx(0.2) and emote["reference"] == pytest.approx(0.0)
    assert emote["limit"] == pytest.approx(0.05)
    # No real value to be close to: skipped, not failed.
    no_target = verdict(spec, worse, BASE, {k: v for k, v in REAL.items() if k != "emote_rate"}, promoted, SUMMARY)
    assert "no_regression:emote_rate" in [outcome["gate"] for outcome in no_target["skipped"]]
    # Farther from real on the other side counts the same.
    assert "no_regression:emote_rate" in failed(verdict(spec, good_candidate(emote_rate=0.5), BASE, REAL, promoted, SUMMARY))


def test_missing_or_nan_metric_fails_its_gate() -> None:
    spec = load_gates(DEFAULT_GATES)
    candidate = good_candidate(perplexity_no_eot=math.nan)
    del candidate["name_leaks"]
    failures = failed(verdict(spec, candidate, BASE, REAL, None, SUMMARY))
    assert {"perplexity_no_eot_vs_base", "name_leaks"} <= set(failures)
    assert failures["perplexity_no_eot_vs_base"]["candidate"] is None
    # No top-level figures: the lift gate fails, it is not skipped.
    assert "lift_vs_base" in failed(verdict(spec, good_candidate(), BASE, REAL, None))


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


def test_listening_gates_name_both_numbers_and_the_interval() -> None:
    spec = load_gates(DEFAULT_GATES)
    deaf = good_candidate()
    deaf["ranking"] = {"r_at_10": 0.22, "r_at_10_ci95": [0.15, 0.3]}
    summary = {"lift_vs_base": {"value": 0.02, "ci95": [-0.01, 0.05]}}
    failures = failed(verdict(spec, deaf, BASE, REAL, None, summary))
    assert set(failures) == {"lift_vs_base", "ranking_needs_context"}
    lift = failures["lift_vs_base"]
    assert (lift["candidate"], lift["limit"], lift["interval"]) == (-0.01, 0, [-0.01, 0.05])
    assert lift["message"] == "lift_vs_base 0.02 (95% CI [-0.01, 0.05]); lower bound -0.01, needs > 0"
    context = failures["ranking_needs_context"]
    assert (context["candidate"], context["reference"]) == (0.22, 0.2) and context["limit"] == pytest.approx(0.25)
    assert context["message"] == ("ranking.r_at_10 0.22 (95% CI [0.15, 0.3]), needs >= 0.25; "
                                  "ranking_no_context.r_at_10 0.2 (95% CI [0.12, 0.28]) + 0.05")
    # A lower bound exactly at 0 fails (strictly greater); just above passes.
    at_zero = {"lift_vs_base": {"value": 0.02, "ci95": [0.0, 0.05]}}
    assert "lift_vs_base" in failed(verdict(spec, good_candidate(), BASE, REAL, None, at_zero))
    assert verdict(spec, good_candidate(), BASE, REAL, None, SUMMARY)["passed"]


def test_generic_gate_paths_scopes_and_margins() -> None:
    spec = parse_gates({"version": "t", "gates": [
        {"name": "upper", "scope": "eval", "metric": "x.ci95[1]", "op": "<", "value": 1},
        {"name": "mrr_vs_base", "metric": "ranking.mrr", "op": ">=", "against": "base", "margin": 0.1},
    ]})
    candidate = {"ranking": {"mrr": 0.3}}
    result = verdict(spec, candidate, {"ranking": {"mrr": 0.25}}, {}, None, {"x": {"value": 0.5, "ci95": [0.2, 1.5]}})
    failures = failed(result)
    assert failures["upper"]["message"] == "x 0.5 (95% CI [0.2, 1.5]); upper bound 1.5, needs < 1"
    assert failures["mrr_vs_base"]["limit"] == pytest.approx(0.35)
    assert failures["mrr_vs_base"]["message"] == "ranking.mrr 0.3, needs >= 0.35; base 0.25 + 0.1"
    with pytest.raises(BadInput, match="scope"):
        parse_gates({"version": "t", "gates": [{"name": "a", "scope": "eval", "metric": "m", "op": "<", "against": "base"}]})
    with pytest.raises(BadInput, match="reference_metric"):
        parse_gates({"version": "t", "gates": [{"name": "a", "metric": "m", "op": "<", "against": "self"}]})
