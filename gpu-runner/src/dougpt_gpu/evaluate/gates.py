"""Release gates: the candidate's metrics against fixed values, the base model, the real replies and the promoted
adapter. Pure functions; the thresholds live in the versioned gates.json beside this module.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ..errors import BadInput

OPS = ("<=", "<", ">=", ">")
AGAINST = ("value", "base", "real", "promoted")
BETTER = ("lower", "higher", "closer_to_real")

Metrics = Mapping[str, float]


@dataclass(frozen=True)
class Gate:
    """`metric` of the candidate `op` limit; limit from `value` or from the `against` side's metric.

    With a reference r: limit = scale·r, r ± offset (+ for <, <=; − for >, >=), or the more lenient of the two.
    `distance_to_real` compares |metric − real's metric| on both sides instead of the metric itself.
    """

    name: str
    metric: str
    op: str
    against: str = "value"
    value: float | None = None
    scale: float | None = None
    offset: float | None = None
    distance_to_real: bool = False

    def __post_init__(self) -> None:
        if self.op not in OPS:
            raise BadInput(f"gate {self.name}: op {self.op!r} is not one of {', '.join(OPS)}")
        if self.against not in AGAINST:
            raise BadInput(f"gate {self.name}: against {self.against!r} is not one of {', '.join(AGAINST)}")
        if (self.against == "value") != (self.value is not None):
            raise BadInput(f"gate {self.name}: give a value, or against base/real/promoted, not both")


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
        unknown = set(entry) - {"name", "metric", "op", "against", "value", "scale", "offset"}
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
    """The threshold the candidate must meet.

    >>> gate_limit(Gate("t", "toxicity_rate", "<=", "real", scale=1.1, offset=0.01), 0.2)
    0.22000000000000003
    >>> gate_limit(Gate("t", "toxicity_rate", "<=", "real", scale=1.1, offset=0.01), 0.02)
    0.03
    """
    if gate.against == "value":
        return reference
    upper = gate.op in ("<=", "<")
    candidates = []
    if gate.scale is not None:
        candidates.append(gate.scale * reference)
    if gate.offset is not None:
        candidates.append(reference + gate.offset if upper else reference - gate.offset)
    if not candidates:
        return reference
    return max(candidates) if upper else min(candidates)


def _compare(value: float, op: str, limit: float) -> bool:
    return {"<=": value <= limit, "<": value < limit, ">=": value >= limit, ">": value > limit}[op]


def _fmt(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{value:.4g}"


def check_gate(
    gate: Gate, candidate: Metrics, base: Metrics, real: Metrics, promoted: Metrics | None
) -> GateOutcome:
    """One gate's outcome with both numbers; a missing or nan metric fails the gate."""
    sides = {"base": base, "real": real, "promoted": promoted}

    def metric_of(side: Metrics | None) -> float | None:
        if side is None:
            return None
        value = side.get(gate.metric)
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return None
        if gate.distance_to_real:
            target = real.get(gate.metric)
            if target is None or (isinstance(target, float) and math.isnan(target)):
                return None
            return abs(value - target)
        return float(value)

    subject = f"|{gate.metric} - real|" if gate.distance_to_real else gate.metric
    outcome = dict(gate=gate.name, metric=gate.metric, op=gate.op, against=gate.against)
    target = real.get(gate.metric)
    if gate.distance_to_real and (target is None or (isinstance(target, float) and math.isnan(target))):
        # e.g. distinct_2 when every real reply is one word: there is no target to be close to.
        return GateOutcome(**outcome, candidate=None, reference=None, limit=None, passed=None,
                           message=f"{gate.metric}: skipped, the real replies have no value")
    if gate.against == "promoted" and promoted is None:
        return GateOutcome(**outcome, candidate=metric_of(candidate), reference=None, limit=None, passed=None,
                           message=f"{subject}: skipped, no promoted adapter")
    value = metric_of(candidate)
    reference = gate.value if gate.against == "value" else metric_of(sides[gate.against])
    if value is None or reference is None:
        missing = "candidate" if value is None else gate.against
        return GateOutcome(**outcome, candidate=value, reference=reference, limit=None, passed=False,
                           message=f"{subject}: no value for the {missing}")
    limit = gate_limit(gate, reference)
    passed = _compare(value, gate.op, limit)
    how = "" if gate.against == "value" else f"; {gate.against} {_fmt(reference)}"
    return GateOutcome(**outcome, candidate=value, reference=reference, limit=limit, passed=passed,
                       message=f"{subject} {_fmt(value)}, needs {gate.op} {_fmt(limit)}{how}")


def verdict(
    spec: GateSpec, candidate: Metrics, base: Metrics, real: Metrics, promoted: Metrics | None
) -> dict[str, Any]:
    """{passed, failures, checked, skipped, version}: each a list of gate outcomes; every failed gate carries the
    candidate's number, the reference's and the limit."""
    outcomes = [check_gate(gate, candidate, base, real, promoted) for gate in spec.gates]
    failures = [asdict(o) for o in outcomes if o.passed is False]
    return {
        "passed": not failures,
        "failures": failures,
        "checked": [asdict(o) for o in outcomes if o.passed is not None],
        "skipped": [asdict(o) for o in outcomes if o.passed is None],
        "version": spec.version,
    }
