"""Voice memory in the evaluation: the same contexts ranked again with recalled moments in the prompt.

With `memory` set, the eval job recalls each held-out example's moments from the index (train examples only, never
the example's own VOD within the index's `exclude_ms`, as the server recalls), renders the prompt with the memory
block of the dataset's prompt spec, and ranks the example's candidates again for each model. `memory` in eval.json
holds, per model, the ranking with memory and its gain over the same model without it (paired bootstrap over
contexts), the retrieval time, and whether the gain meets the bar for turning memory on by default.

Served with memory (`serve_memory`, the default for an adapter trained with memory, which the server always serves
with its index): every prompt the job scores, samples and ranks carries the recalled moments, so every figure is the
served model's, and the extra ranking pass is the one without memory, the reference of the gains.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import BadInput
from ..memory.index import MemoryIndex, load_memory_index
from ..prompt_spec import render_messages
from .dataset import EvalDataset
from .intervals import mean_ci
from .ranking import Placement

#: Memory goes on by default only when it lifts R@10 by this much with the interval above 0 ...
DEFAULT_ON_R_AT_10_GAIN = 0.03
#: ... at a retrieval p50 under this (milliseconds).
DEFAULT_ON_P50_MS = 20.0


@dataclass(frozen=True)
class MemoryPrompts:
    """Each example's prompt with its recalled moments, and what was recalled."""

    index: MemoryIndex
    prompts: list[list[dict[str, str]]]
    recalled: list[list[str]]  # pair_ids, best first
    retrieval_ms: list[float]


def resolve_memory(memory: str | None, serve: bool | None, run: dict[str, Any], run_dir: Path) -> tuple[str | None, bool]:
    """(index path, served with memory) of an eval job: an adapter trained with memory is served with the index
    beside it, so it is evaluated with it unless told otherwise; `serve_memory` without any index is bad input."""
    trained = run.get("memory") if isinstance(run.get("memory"), dict) else None
    own = run_dir / str(trained["file"]) if trained and trained.get("file") else None
    if trained and memory is None and serve is not False:
        if own is None or not own.is_file():
            raise BadInput(f"adapter: {run_dir} was trained with voice memory but its index ({own or 'memory.json'}) is "
                           "missing: it would not be evaluated as it is served")
        memory = str(own)
    if serve and memory is None:
        raise BadInput("serve_memory: needs memory (an index), or an adapter trained with memory")
    served = bool(memory) and (serve if serve is not None else trained is not None)
    return memory, served


def memory_prompts(path: str, dataset: EvalDataset, k: int | None) -> MemoryPrompts:
    """Recalls and renders for every example; bad input when the index is another dataset's or the spec has no
    memory block (the prompt would not be the one the server builds)."""
    index = load_memory_index(path)
    if index.dataset_id != dataset.dataset_id:
        raise BadInput(f"memory: {path} indexes dataset {index.dataset_id}, not {dataset.dataset_id} (its held-out "
                       "examples could be recalled): build it with `dougpt memory build --dataset DIR`")
    if not isinstance(dataset.spec.get("memory"), dict):
        raise BadInput(f"memory: the dataset's prompt spec {dataset.spec.get('version')} has no memory block: rebuild the "
                       "dataset with dougpt-chat/2 or later")
    prompts, recalled, timings = [], [], []
    for e in dataset.examples:
        started = time.perf_counter()
        moments = index.recall(e.context, e.vod_id or None, e.offset_ms, e.pair_id or None, k)
        timings.append((time.perf_counter() - started) * 1000)
        prompts.append(render_messages(dataset.spec, e.context, [(m.entry.context, m.entry.reply) for m in moments]))
        recalled.append([m.entry.pair_id for m in moments])
    return MemoryPrompts(index, prompts, recalled, timings)


def _quantile(values: Sequence[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q * 100) - 1] if len(values) > 1 else values[0]


def gain(with_memory: Sequence[Sequence[float]], without: Sequence[Sequence[float]], seed: int) -> dict[str, Any]:
    """R@1/R@10/MRR gains of ranking with memory over ranking without, per context paired, with intervals."""
    out: dict[str, Any] = {}
    for name, of in (("r_at_1", lambda p: p.hit(1)), ("r_at_10", lambda p: p.hit(10)), ("mrr", lambda p: p.reciprocal)):
        diffs = [of(Placement.of(w)) - of(Placement.of(o)) for w, o in zip(with_memory, without)]
        out[f"{name}_gain"] = sum(diffs) / len(diffs)
        out[f"{name}_gain_ci95"] = mean_ci(diffs, seed)
    return out


def memory_section(prompts: MemoryPrompts, rankings: dict[str, dict[str, Any]], gains: dict[str, dict[str, Any]],
                   k: int | None, served: bool = False) -> dict[str, Any]:
    """eval.json's `memory`: the index, what was recalled, the figures per model, and the default-on verdict."""
    timings = prompts.retrieval_ms
    p50 = _quantile(timings, 0.5)
    base = gains.get("base", {})
    interval = base.get("r_at_10_gain_ci95")
    meets = (base.get("r_at_10_gain", 0.0) >= DEFAULT_ON_R_AT_10_GAIN and bool(interval) and interval[0] > 0
             and p50 < DEFAULT_ON_P50_MS)
    counts = [len(r) for r in prompts.recalled]
    return {
        "index": {"rule": "dougpt-memory/1", "sha256": prompts.index.sha256, "dataset_id": prompts.index.dataset_id,
                  "entries": len(prompts.index.entries), "exclude_ms": prompts.index.exclude_ms},
        "k": prompts.index.k if k is None else k,
        # True: every figure of the evaluation is with memory (served so); the gains are over ranking without it.
        "served": served,
        "examples_with_memory": sum(1 for c in counts if c),
        "mean_recalled": sum(counts) / len(counts),
        "retrieval_ms": {"p50": p50, "p95": _quantile(timings, 0.95), "max": max(timings)},
        "sides": {side: {"ranking": rankings[side], **gains[side]} for side in rankings},
        "default_on": {"meets_bar": meets, "rule": f"base R@10 gain >= {DEFAULT_ON_R_AT_10_GAIN} with its 95% interval "
                       f"above 0, retrieval p50 < {DEFAULT_ON_P50_MS} ms"},
    }
