"""Release gates: the candidate's metrics against fixed values, the base model, the real replies, the promoted
adapter or another of its own metrics. Pure functions; the thresholds live in the versioned gates.json beside
this module.

A metric is a path into a side's metrics (`perplexity`, `ranking.r_at_10`) or, with scope "eval", into eval.json's
top level (`lift_vs_base.ci95[0]`: the lower bound of an interval). A failure message names the candidate's
number, the reference's and the limit, and the interval of each number that has one (`<path>_ci95`, or `ci95`
beside `value`).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ..errors import BadInput

OPS = ("<=", "<", ">=", ">")
AGAINST = ("value", "base", "real", "promoted", "self")
SCOPES = ("side", "eval")
BETTER = ("lower", "higher", "closer_to_real")

Metrics = Mapping[str, Any]
_STEP = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def lookup(source: Mapping[str, Any] | None, path: str) -> float | None:
    """The number at `path` (`a.b`, `a.ci95[0]`) of `source`; None when missing, not a number, or nan.

    >>> lookup({"lift": {"value": 0.1, "ci95": [0.02, 0.2]}}, "lift.ci95[0]")
    0.02
    """
    value: Any = source
    for match in _STEP.finditer(path):
        key, index = match.groups()
        if key is not None and isinstance(value, Mapping):
            value = value.get(key)
        elif index is not None and isinstance(value, (list, tuple)) and int(index) < len(value):
            value = value[int(index)]
        else:
            return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (isinstance(value, float) and math.isnan(value)):
        return None
    return float(value)


def _interval(source: Mapping[str, Any] | None, path: str) -> tuple[str, float | None, list[float] | None]:
    """(label, point, interval) of the number at `path`: for an interval bound, the point it bounds."""
    bound = re.fullmatch(r"(.*)\[(\d+)\]", path)
    if bound and bound.group(1).endswith("ci95"):
        where = bound.group(1)
        point_path = where[: -len("ci95")] + "value" if where.endswith(".ci95") else where[: -len("_ci95")]
        label = point_path[: -len(".value")] if point_path.endswith(".value") else point_path
    else:
        where, point_path, label = f"{path}_ci95", path, path
    low, high = lookup(source, f"{where}[0]"), lookup(source, f"{where}[1]")
    return label, lookup(source, point_path), None if low is None or high is None else [low, high]


def _describe(source: Mapping[str, Any] | None, path: str) -> str:
    """`path`'s number with its interval, for a message: "lift_vs_base 0.03 (95% CI [-0.01, 0.07]); lower bound
    -0.01" for a bound, "ranking.r_at_10 0.3 (95% CI [0.2, 0.4])" for a number with an interval."""
    label, point, interval = _interval(source, path)
    shown = f"{label} {_fmt(point)}" + (f" (95% CI [{_fmt(interval[0])}, {_fmt(interval[1])}])" if interval else "")
    bound = re.fullmatch(r".*ci95\[(\d+)\]", path)
    if bound:
        shown += f"; {'lower' if bound.group(1) == '0' else 'upper'} bound {_fmt(lookup(source, path))}"
    return shown


@dataclass(frozen=True)
class Gate:
    """`metric` of the candidate `op` limit; limit from `value` or from the `against` side's metric
    (`reference_metric` when given, else the same metric; "self" is the candidate's own side).

    With a reference r: limit = scale·r, r ± offset (+ for <, <=; − for >, >=), or the more lenient of the two;
    then `margin` makes it stricter by that much (r + margin for >, >=). `distance_to_real` compares
    |metric − real's metric| on both sides instead of the metric itself. `scope` "eval" reads the metric from
    eval.json's top level (only against a value).
    """

    name: str
    metric: str
    op: str
    against: str = "value"
    value: float | None = None
    scale: float | None = None
    offset: float | None = None
    distance_to_real: bool = False
    scope: str = "side"
    reference_metric: str | None = None
    margin: float | None = None

    def __post_init__(self) -> None:
        if self.op not in OPS:
            raise BadInput(f"gate {self.name}: op {self.op!r} is not one of {', '.join(OPS)}")
        if self.against not in AGAINST:
            raise BadInput(f"gate {self.name}: against {self.against!r} is not one of {', '.join(AGAINST)}")
        if (self.against == "value") != (self.value is not None):
            raise BadInput(f"gate {self.name}: give a value, or against base/real/promoted/self, not both")
        if self.scope not in SCOPES:
            raise BadInput(f"gate {self.name}: scope {self.scope!r} is not one of {', '.join(SCOPES)}")
        if self.scope == "eval" and self.against != "value":
            raise BadInput(f"gate {self.name}: a gate of scope eval compares with a value")
        if self.against == "self" and not self.reference_metric:
            raise BadInput(f"gate {self.name}: against self needs a reference_metric")


@dataclass(frozen=True)
class GateOutcome:
    gate: str
    metric: str
    op: str
    against: str
    candidate: float | None
    reference: float | None
    limit: float | None
    passed: bool | None  # None: skipped (no promoted adapter, or no real value to be close to)
    message: str
    interval: list[float] | None = None  # the candidate number's 95% interval, when it has one


@dataclass(frozen=True)
class GateSpec:
    version: str
    gates: tuple[Gate, ...]


def parse_gates(raw: Mapping[str, Any], where: str = "gates") -> GateSpec:
    """Gates and regression entries of a gates file, as one list of Gate."""
    if not isinstance(raw.get("version"), str):
        raise BadInput(f"{where}: needs a version string")
    gates: list[Gate] = []
    for entry in raw.get("gates", []):
        unknown = set(entry) - {"name", "metric", "op", "against", "value", "scale", "offset", "scope",
                                "reference_metric", "margin"}
        if unknown:
            raise BadInput(f"{where}: gate {entry.get('name')!r}: unknown field {sorted(unknown)[0]!r}")
        gates.append(Gate(**{"against": "value", **entry}))
    for metric, rule in raw.get("regressions", {}).items():
        better = rule.get("better")
        if better not in BETTER:
            raise BadInput(f"{where}: regressions.{metric}: better must be one of {', '.join(BETTER)}")
        gates.append(
            Gate(
                name=f"no_regression:{metric}",
                metric=metric,
                op=">=" if better == "higher" else "<=",
                against="promoted",
                scale=rule.get("scale"),
                offset=rule.get("offset"),
                distance_to_real=better == "closer_to_real",
            )
        )
    names = [gate.name for gate in gates]
    if len(set(names)) != len(names):
        raise BadInput(f"{where}: gate names must be unique")
    return GateSpec(version=raw["version"], gates=tuple(gates))


def load_gates(path: str | Path) -> GateSpec:
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise BadInput(f"{path}: cannot read gates file ({error})") from error
    return parse_gates(raw, str(path))


def gate_limit(gate: Gate, reference: float) -> float:
    """The threshold the candidate must meet, from the reference's number.

    >>> gate_limit(Gate("t", "toxicity_rate", "<=", "real", scale=1.1, offset=0.01), 0.2)
    0.22000000000000003
    >>> gate_limit(Gate("t", "toxicity_rate", "<=", "real", scale=1.1, offset=0.01), 0.02)
    0.03
    >>> gate_limit(Gate("r", "ranking.r_at_10", ">=", "self", reference_metric="ranking_no_context.r_at_10",
    ...                 margin=0.05), 0.25)
    0.3
    """
    if gate.against == "value":
        return reference
    upper = gate.op in ("<=", "<")
    candidates = []
    if gate.scale is not None:
        candidates.append(gate.scale * reference)
    if gate.offset is not None:
        candidates.append(reference + gate.offset if upper else reference - gate.offset)
    limit = (max(candidates) if upper else min(candidates)) if candidates else reference
    if gate.margin is not None:
        limit = limit - gate.margin if upper else limit + gate.margin
    return limit


def _compare(value: float, op: str, limit: float) -> bool:
    return {"<=": value <= limit, "<": value < limit, ">=": value >= limit, ">": value > limit}[op]


def _fmt(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{value:.4g}"


def check_gate(
    gate: Gate, candidate: Metrics, base: Metrics, real: Metrics, promoted: Metrics | None,
    summary: Metrics | None = None,
) -> GateOutcome:
    """One gate's outcome with both numbers; a missing or nan metric fails the gate."""
    sides = {"base": base, "real": real, "promoted": promoted, "self": candidate}
    subject_side = summary if gate.scope == "eval" else candidate
    reference_path = gate.reference_metric or gate.metric

    def metric_of(side: Metrics | None, path: str) -> float | None:
        if side is None:
            return None
        value = lookup(side, path)
        if value is None:
            return None
        if gate.distance_to_real:
            target = lookup(real, path)
            return None if target is None else abs(value - target)
        return value

    subject = f"|{gate.metric} - real|" if gate.distance_to_real else gate.metric
    outcome = dict(gate=gate.name, metric=gate.metric, op=gate.op, against=gate.against)
    if gate.distance_to_real and lookup(real, gate.metric) is None:
        # e.g. distinct_2 when every real reply is one word: there is no target to be close to.
        return GateOutcome(**outcome, candidate=None, reference=None, limit=None, passed=None,
                           message=f"{gate.metric}: skipped, the real replies have no value")
    if gate.against == "promoted" and promoted is None:
        return GateOutcome(**outcome, candidate=metric_of(candidate, gate.metric), reference=None, limit=None,
                           passed=None, message=f"{subject}: skipped, no promoted adapter")
    value = metric_of(subject_side, gate.metric)
    reference = gate.value if gate.against == "value" else metric_of(sides[gate.against], reference_path)
    interval = None if gate.distance_to_real else _interval(subject_side, gate.metric)[2]
    if value is None or reference is None:
        missing = "candidate" if value is None else gate.against
        return GateOutcome(**outcome, candidate=value, reference=reference, limit=None, passed=False,
                           message=f"{subject}: no value for the {missing}", interval=interval)
    limit = gate_limit(gate, reference)
    passed = _compare(value, gate.op, limit)
    if gate.distance_to_real:
        shown, how = f"{subject} {_fmt(value)}", f"; {gate.against} {_fmt(reference)}"
    else:
        shown = _describe(subject_side, gate.metric)
        if gate.against == "value":
            how = ""
        elif gate.against == "self":
            how = f"; {_describe(candidate, reference_path)}"
        else:
            how = f"; {gate.against} {_describe(sides[gate.against], reference_path).split(' ', 1)[1]}"
        if gate.margin is not None:
            how += f" {'-' if gate.op in ('<=', '<') else '+'} {_fmt(gate.margin)}"
    return GateOutcome(**outcome, candidate=value, reference=reference, limit=limit, passed=passed,
                       message=f"{shown}, needs {gate.op} {_fmt(limit)}{how}", interval=interval)


def verdict(
    spec: GateSpec, candidate: Metrics, base: Metrics, real: Metrics, promoted: Metrics | None,
    summary: Metrics | None = None,
) -> dict[str, Any]:
    """{passed, failures, checked, skipped, version}: each a list of gate outcomes; every failed gate carries the
    candidate's number, the reference's and the limit. `summary`: eval.json's top-level figures (lift_vs_base…)
    that gates of scope "eval" read."""
    outcomes = [check_gate(gate, candidate, base, real, promoted, summary) for gate in spec.gates]
    failures = [asdict(o) for o in outcomes if o.passed is False]
    return {
        "passed": not failures,
        "failures": failures,
        "checked": [asdict(o) for o in outcomes if o.passed is not None],
        "skipped": [asdict(o) for o in outcomes if o.passed is None],
        "version": spec.version,
    }
