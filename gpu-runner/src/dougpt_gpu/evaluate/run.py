"""The eval job: base, candidate and promoted adapter side by side on a held-out split; metrics, gates, report.

    python -m dougpt_gpu eval --input job.json

Writes <out>/<eval_id>/eval.json (the object `dougpt eval --json` prints), samples.jsonl and report.html.
The eval id is a digest of everything that decides the numbers, so re-running the same eval rewrites the same
folder with the same numbers.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from .judgments import summarize_judgments
from ..errors import BadInput
from ..events import emit
from .classifier import classifier_accuracy
from .dataset import EvalDataset, load_dataset
from .gates import GateSpec, load_gates, verdict
from .job import EvalJob
from .likelihood import contextual_lift, mismatch_permutation, perplexity
from .report import render_report
from .safety import banned_phrase_hits, name_leaks, rate, read_banned_phrases, toxicity_flags, verbatim_copy_rate
from .style import char_lengths, style_metrics

log = logging.getLogger("dougpt_gpu.evaluate")

DEFAULT_BASE = "smollm2-135m"
CANDIDATE, PROMOTED = "adapter", "promoted"


def adapter_folder(path: str, field: str) -> tuple[Path, Path]:
    """(PEFT folder, run folder) of a training run folder (OUT/adapter/) or of a PEFT folder itself."""
    root = Path(path)
    for folder in (root / "adapter", root):
        if (folder / "adapter_config.json").is_file():
            return folder, folder.parent if folder.name == "adapter" else folder
    raise BadInput(f"{field}: {path}: no adapter/adapter_config.json nor adapter_config.json (not a training run folder)")


def read_run(run_dir: Path) -> dict[str, Any]:
    try:
        value = json.loads((run_dir / "run.json").read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return {}
    return value if isinstance(value, dict) else {}


def run_base(run: dict[str, Any]) -> str | None:
    """The base a run trained on, as the models registry resolves it: an embedded name, or a local folder."""
    base = run.get("base") or {}
    if base.get("kind") == "local" and base.get("hf_dir"):
        return str(base["hf_dir"])
    return base.get("name")


def _file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    for file in sorted(path.iterdir()) if path.is_dir() else [path]:
        if file.is_file():
            digest.update(file.name.encode() + b"\0" + file.read_bytes())
    return digest.hexdigest()


def eval_id(job: EvalJob, dataset: EvalDataset, base_label: str, adapters: dict[str, Path], gates_file: Path,
            banned_file: Path) -> str:
    """A digest of the inputs that decide the numbers (not of where the results go)."""
    key = {
        "dataset_id": dataset.dataset_id,
        "examples": [e.pair_id for e in dataset.examples],
        "split": job.split,
        "base": base_label,
        "adapters": {name: _file_digest(folder) for name, folder in adapters.items()},
        "gates": _file_digest(gates_file),
        "banned": _file_digest(banned_file),
        "generation": asdict(job.generation),
        "dtype": job.dtype,
        "batch_size": job.batch_size,
        "folds": job.classifier_folds,
    }
    return "eval-" + hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:12]


class Progress:
    """One `progress` line per finished batch: overall `done`/`total` steps, the stage and the model."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.done = 0

    def step(self, stage: str, model: str | None) -> None:
        self.done = min(self.done + 1, self.total)
        emit("progress", stage=stage, model=model, done=self.done, total=self.total)


def side_metrics(
    generated: list[str],
    true_ll: list[float],
    mismatched_ll: list[float],
    tokens: list[int],
    dataset: EvalDataset,
    real: list[str],
    banned: list[str],
    job: EvalJob,
) -> dict[str, Any]:
    spec = dataset.spec
    exempt = {name.lower() for name in spec.get("streamer_names", [])} | {spec.get("viewer_placeholder", "").lstrip("@").lower()}
    return {
        "perplexity": perplexity(true_ll, tokens),
        "contextual_lift": contextual_lift(true_ll, mismatched_ll, tokens),
        "mean_loglik_per_token": sum(true_ll) / sum(tokens),
        **style_metrics(generated, spec.get("viewer_placeholder", "@viewer"), char_lengths(real)),
        "classifier_accuracy": classifier_accuracy(real, generated, job.classifier_folds, job.generation.seed),
        "toxicity_rate": rate(toxicity_flags(generated)),
        "banned_phrase_hits": banned_phrase_hits(generated, banned),
        "name_leaks": name_leaks(generated, dataset.viewer_salt, dataset.viewer_hashes, exempt),
        "verbatim_copy_rate": verbatim_copy_rate(generated, dataset.train_replies),
    }


def real_metrics(real: list[str], dataset: EvalDataset, banned: list[str]) -> dict[str, Any]:
    """The real replies measured like generated ones: the targets for style and the baseline for toxicity."""
    spec = dataset.spec
    exempt = {name.lower() for name in spec.get("streamer_names", [])} | {spec.get("viewer_placeholder", "").lstrip("@").lower()}
    return {
        **style_metrics(real, spec.get("viewer_placeholder", "@viewer"), char_lengths(real)),
        "toxicity_rate": rate(toxicity_flags(real)),
        "banned_phrase_hits": banned_phrase_hits(real, banned),
        "name_leaks": name_leaks(real, dataset.viewer_salt, dataset.viewer_hashes, exempt),
        "verbatim_copy_rate": verbatim_copy_rate(real, dataset.train_replies),
    }


def _json_safe(value: Any) -> Any:
    """nan → null: JSON has no NaN, and the TypeScript side parses strictly."""
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_safe(v) for v in value]
    return value


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temp.write_text(text, encoding="utf-8")
    os.replace(temp, path)


def run_eval(raw: dict[str, Any]) -> dict[str, Any]:
    """Run one job from its JSON; returns the result event's fields. Bad input is found before a model loads."""
    started = time.monotonic()
    job = EvalJob.from_dict(raw)
    gates: GateSpec = load_gates(job.gates_path)
    banned = read_banned_phrases(job.banned_phrases_path)
    dataset = load_dataset(job.dataset, job.split, job.limit)
    candidate_dir, run_dir = adapter_folder(job.adapter, "adapter")
    adapters = {CANDIDATE: candidate_dir}
    promoted_dir = None
    if job.promoted:
        promoted_dir, _ = adapter_folder(job.promoted, "promoted")
        adapters[PROMOTED] = promoted_dir
    run = read_run(run_dir)
    base_name = job.base or run_base(run) or DEFAULT_BASE
    spec_reply = dataset.spec.get("reply", {})
    max_new_tokens = job.generation.max_new_tokens or int(spec_reply.get("max_tokens", 32))
    max_chars = int(spec_reply.get("max_chars", 200))
    identity = eval_id(job, dataset, base_name, adapters, job.gates_path, job.banned_phrases_path)
    out_dir = Path(job.out or run_dir / "eval") / identity

    from .scoring import BASE, Scorer, resolve_base_model

    sides = [BASE, *adapters]
    n = len(dataset.examples)
    batches = -(-n // job.batch_size)
    progress = Progress(1 + len(sides) * batches + 1)
    base = resolve_base_model(base_name)
    loading = time.monotonic()
    scorer = Scorer(job, base, adapters)
    log.info("loaded %s with %s in %.1f s", base.label, ", ".join(adapters), time.monotonic() - loading)
    progress.step("load", None)

    prompts = [scorer.prompt_ids(e.prompt) for e in dataset.examples]
    replies = [scorer.reply_ids(e.reply) for e in dataset.examples]
    tokens = [len(r) for r in replies]
    permutation = mismatch_permutation([(e.vod_id, e.offset_ms) for e in dataset.examples])
    # Prompt j is followed by its own reply and by the reply of the example whose context it replaces.
    inverse = [0] * n
    for i, j in enumerate(permutation):
        inverse[j] = i
    continuations = [[replies[j], replies[inverse[j]]] for j in range(n)]
    real = [e.reply for e in dataset.examples]

    timings: dict[str, float] = {}
    outputs: dict[str, dict[str, Any]] = {}
    for side in sides:
        with scorer.use(side):
            t0 = time.monotonic()
            scored, generated = scorer.run(prompts, continuations, job.batch_size, (job.generation, max_new_tokens, max_chars),
                                           lambda: progress.step("score", side))
            true_ll = [scored[i][0] for i in range(n)]
            mis_ll = [scored[permutation[i]][1] for i in range(n)]
        timings[f"{side}_s"] = round(time.monotonic() - t0, 2)
        outputs[side] = {"generated": generated, "true_ll": true_ll, "mismatched_ll": mis_ll}
        log.info("%s: scored and sampled in %.1f s", side, timings[f"{side}_s"])

    t0 = time.monotonic()
    metrics = {
        side: side_metrics(o["generated"], o["true_ll"], o["mismatched_ll"], tokens, dataset, real, banned, job)
        for side, o in outputs.items()
    }
    real_side = real_metrics(real, dataset, banned)
    gate_verdict = verdict(gates, metrics[CANDIDATE], metrics[BASE], real_side, metrics.get(PROMOTED))
    timings["metrics_s"] = round(time.monotonic() - t0, 2)

    report_path = out_dir / "report.html"
    result = _json_safe({
        "eval_id": identity,
        "base": metrics[BASE],
        "adapter": metrics[CANDIDATE],
        "promoted": metrics.get(PROMOTED),
        "real": real_side,
        "gates": gate_verdict,
        # Blind spot checks of this adapter's earlier evaluations (dougpt judge): 0.5 correct = indistinguishable.
        "human_judgments": summarize_judgments(out_dir.parent),
        "n_examples": n,
        "split": job.split,
        "report": str(report_path),
        "dataset_id": dataset.dataset_id,
        "dataset_path": str(Path(job.dataset).resolve()),
        "adapter_path": str(candidate_dir.resolve()),
        "adapter_run_id": run.get("run_id"),
        "promoted_path": str(promoted_dir.resolve()) if promoted_dir else None,
        "base_model": base.label,
        "base_sha256": base.sha256,
        "prompt_spec": {"version": dataset.spec.get("version")},
        "generation": {**asdict(job.generation), "max_new_tokens": max_new_tokens},
        "mismatch": "each reply scored after the context of the example half way round the (vod_id, offset_ms) order",
        "reply_tokens": sum(tokens),
        "timings": timings,
    })
    samples = [
        {"pair_id": e.pair_id, "vod_id": e.vod_id, "offset_ms": e.offset_ms, "context": e.context, "real": e.reply,
         **{side: outputs[side]["generated"][i] for side in sides}}
        for i, e in enumerate(dataset.examples)
    ]
    elapsed = round(time.monotonic() - started, 2)
    result["elapsed_s"] = elapsed
    _write(out_dir / "samples.jsonl", "".join(json.dumps(s, ensure_ascii=False) + "\n" for s in samples))
    _write(report_path, render_report(result, samples, job.report_samples))
    _write(out_dir / "eval.json", json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    progress.step("report", None)
    return {
        "eval_id": identity,
        "out": str(out_dir),
        "eval_json": str(out_dir / "eval.json"),
        "report": str(report_path),
        "passed": gate_verdict["passed"],
        "failures": len(gate_verdict["failures"]),
        "n_examples": n,
        "elapsed_s": elapsed,
    }
