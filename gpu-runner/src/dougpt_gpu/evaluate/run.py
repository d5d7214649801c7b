"""The eval job: base, candidate and promoted adapter side by side on a held-out split; metrics, gates, report.

    python -m dougpt_gpu eval --input job.json

Writes <out>/<eval_id>/eval.json (the object `dougpt eval --json` prints), samples.jsonl, candidates.jsonl (the
ranking's candidate sets) and report.html.
The eval id is a digest of everything that decides the numbers, so re-running the same eval rewrites the same
folder with the same numbers.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from collections.abc import Sequence
from typing import Any

from .judgments import summarize_judgments
from ..errors import BadInput
from ..events import emit
from .candidates import CandidateSet, build_candidate_sets, candidate_records, fold, frequency
from .classifier import classifier_outcomes
from .dataset import EvalDataset, empty_context_prompt, load_dataset
from .gates import GateSpec, load_gates, verdict
from .intervals import mean_ci, ratio_ci
from .job import EvalJob
from .memory_side import MemoryPrompts, gain, memory_prompts, memory_section, resolve_memory
from .likelihood import contextual_lift, mismatch_sources, perplexity, perplexity_without_end
from .ranking import Placement, pmi_scores, ranking_metrics
from .report import render_report
from .safety import (
    banned_phrase_hits,
    name_leaks,
    rate,
    read_banned_phrases,
    toxicity_check_name,
    toxicity_flags,
    verbatim_copy_rate,
)
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
            banned_file: Path, memory_sha256: str | None = None, served: bool = False) -> str:
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
        "ranking_candidates": job.ranking_candidates,
        "toxicity_check": toxicity_check_name(job.toxicity_check),
    }
    if memory_sha256 is not None:
        key["memory"] = [memory_sha256, job.memory_k, *(["served"] if served else [])]
    return "eval-" + hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:12]


class Progress:
    """One `progress` line per finished batch: overall `done`/`total` steps, the stage and the model."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.done = 0

    def step(self, stage: str, model: str | None) -> None:
        self.done = min(self.done + 1, self.total)
        emit("progress", stage=stage, model=model, done=self.done, total=self.total)


@dataclass(frozen=True)
class SideScores:
    """What one model produced: sampled replies, reply log-likelihoods, and its candidate scores."""

    generated: list[str]
    true_ll: list[float]  # the real reply after its own context (sum over its tokens, end of turn included)
    mismatched_ll: list[float]  # the real reply after the mismatched context
    end_ll: list[float]  # the end-of-turn token's share of true_ll
    ranked: list[list[float]]  # mean log-likelihood per token of each candidate after the context
    ranked_blind: list[list[float]]  # the same after an empty streamer turn


def side_metrics(
    scores: SideScores,
    tokens: list[int],
    dataset: EvalDataset,
    real: list[str],
    banned: list[str],
    job: EvalJob,
) -> dict[str, Any]:
    spec = dataset.spec
    seed = job.generation.seed
    exempt = {name.lower() for name in spec.get("streamer_names", [])} | {spec.get("viewer_placeholder", "").lstrip("@").lower()}
    generated = scores.generated
    told_apart = classifier_outcomes(real, generated, job.classifier_folds, seed)
    return {
        "perplexity": perplexity(scores.true_ll, tokens),
        "perplexity_no_eot": perplexity_without_end(scores.true_ll, scores.end_ll, tokens),
        "contextual_lift": contextual_lift(scores.true_ll, scores.mismatched_ll, tokens),
        "contextual_lift_ci95": ratio_ci([t - m for t, m in zip(scores.true_ll, scores.mismatched_ll)], tokens, seed),
        "mean_loglik_per_token": sum(scores.true_ll) / sum(tokens),
        **style_metrics(generated, spec.get("viewer_placeholder", "@viewer"), char_lengths(real)),
        "classifier_accuracy": sum(told_apart) / len(told_apart) if told_apart else None,
        "classifier_accuracy_ci95": mean_ci(told_apart, seed) if told_apart else None,
        "toxicity_rate": rate(toxicity_flags(generated, job.toxicity_check)),
        "banned_phrase_hits": banned_phrase_hits(generated, banned),
        "name_leaks": name_leaks(generated, dataset.viewer_salt, dataset.viewer_hashes, exempt),
        "verbatim_copy_rate": verbatim_copy_rate(generated, dataset.train_replies),
        "ranking": ranking_metrics(scores.ranked, seed),
        "ranking_no_context": ranking_metrics(scores.ranked_blind, seed),
        "ranking_pmi": ranking_metrics(pmi_scores(scores.ranked, scores.ranked_blind), seed),
        "by_tier": by_tier(scores, tokens, dataset, seed),
    }


def by_tier(scores: SideScores, tokens: list[int], dataset: EvalDataset, seed: int) -> dict[str, dict[str, Any]]:
    """Lift and ranking per alignment tier of the test pairs (how sure the aligner was that the message reacts to
    the context): a model that listens should gain most where the pairing is surest. Keys are the tiers as strings."""
    groups: dict[int, list[int]] = {}
    for i, example in enumerate(dataset.examples):
        if example.tier is not None:
            groups.setdefault(example.tier, []).append(i)
    out: dict[str, dict[str, Any]] = {}
    for tier, rows in sorted(groups.items()):
        true_ll = [scores.true_ll[i] for i in rows]
        mismatched = [scores.mismatched_ll[i] for i in rows]
        counts = [tokens[i] for i in rows]
        out[str(tier)] = {
            "n": len(rows),
            "contextual_lift": contextual_lift(true_ll, mismatched, counts),
            "contextual_lift_ci95": ratio_ci([t - m for t, m in zip(true_ll, mismatched)], counts, seed),
            "ranking": ranking_metrics([scores.ranked[i] for i in rows], seed),
            "ranking_no_context": ranking_metrics([scores.ranked_blind[i] for i in rows], seed),
        }
    return out


def lift_vs_base(candidate: SideScores, base: SideScores, tokens: list[int], seed: int) -> dict[str, Any]:
    """The candidate's contextual lift minus the base's on the same contexts, with a paired bootstrap interval."""
    gains = [(ct - cm) - (bt - bm) for ct, cm, bt, bm in
             zip(candidate.true_ll, candidate.mismatched_ll, base.true_ll, base.mismatched_ll)]
    return {"value": sum(gains) / sum(tokens), "ci95": ratio_ci(gains, tokens, seed)}


def reference_rankings(sets: list[CandidateSet], dataset: EvalDataset, seed: int) -> dict[str, Any]:
    """Rankings no model is needed for: by training frequency (the context-blind reference) and at random."""
    counts = frequency(dataset.train_rows)
    popular = [[float(counts.get(fold(c.text), 0)) for c in s.candidates] for s in sets]
    return {
        "popularity": {"ranking": ranking_metrics(popular, seed)},
        "random": {"ranking": ranking_metrics([[0.0] * len(s.candidates) for s in sets], seed)},
    }


def real_metrics(real: list[str], dataset: EvalDataset, banned: list[str], toxicity_check: Sequence[str] | None = None,
                 ) -> dict[str, Any]:
    """The real replies measured like generated ones: the targets for style and the baseline for toxicity."""
    spec = dataset.spec
    exempt = {name.lower() for name in spec.get("streamer_names", [])} | {spec.get("viewer_placeholder", "").lstrip("@").lower()}
    return {
        **style_metrics(real, spec.get("viewer_placeholder", "@viewer"), char_lengths(real)),
        "toxicity_rate": rate(toxicity_flags(real, toxicity_check)),
        "banned_phrase_hits": banned_phrase_hits(real, banned),
        "name_leaks": name_leaks(real, dataset.viewer_salt, dataset.viewer_hashes, exempt),
        "verbatim_copy_rate": verbatim_copy_rate(real, dataset.train_replies),
    }


def _top(candidates: CandidateSet, scores: list[float]) -> str:
    # On a tie a distractor wins: a model that cannot separate the real reply has not picked it.
    best = max(range(len(scores)), key=lambda c: (scores[c], c))
    return candidates.candidates[best].text


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
    memory_path, served = resolve_memory(job.memory, job.serve_memory, run, run_dir)
    memory: MemoryPrompts | None = memory_prompts(memory_path, dataset, job.memory_k) if memory_path else None
    identity = eval_id(job, dataset, base_name, adapters, job.gates_path, job.banned_phrases_path,
                       memory.index.sha256 if memory else None, served)
    out_dir = Path(job.out or run_dir / "eval") / identity

    from .scoring import BASE, Scorer, resolve_base_model

    sides = [BASE, *adapters]
    n = len(dataset.examples)
    batches = -(-n // job.batch_size)
    seed = job.generation.seed
    candidate_sets = build_candidate_sets(dataset.examples, dataset.train_rows, dataset.dataset_id, seed,
                                          job.ranking_candidates)
    # Per model: the scoring batches, one ranking step per context, one for the empty-context pass.
    progress = Progress(1 + len(sides) * (batches + n + 1 + (n if memory else 0)) + 1)
    base = resolve_base_model(base_name)
    loading = time.monotonic()
    scorer = Scorer(job, base, adapters)
    log.info("loaded %s with %s in %.1f s", base.label, ", ".join(adapters), time.monotonic() - loading)
    progress.step("load", None)

    plain_ids = [scorer.prompt_ids(e.prompt) for e in dataset.examples]
    memory_ids = [scorer.prompt_ids(p) for p in memory.prompts] if memory else []
    # Served with memory, every figure is with it and the extra ranking pass is without it; else the other way.
    prompts, other_ids = (memory_ids, plain_ids) if served else (plain_ids, memory_ids)
    replies = [scorer.reply_ids(e.reply) for e in dataset.examples]
    tokens = [len(r) for r in replies]
    sources = mismatch_sources([(e.vod_id, e.offset_ms) for e in dataset.examples])
    # Prompt j is followed by its own reply, then by the replies of the examples whose context it stands in for.
    borrowers: list[list[int]] = [[] for _ in range(n)]
    for i, j in enumerate(sources):
        borrowers[j].append(i)
    continuations = [[replies[j], *(replies[i] for i in borrowers[j])] for j in range(n)]
    real = [e.reply for e in dataset.examples]
    candidate_ids = [[scorer.reply_ids(c.text) for c in s.candidates] for s in candidate_sets]
    # After an empty streamer turn every context's prompt is the same: each distinct candidate is scored once.
    blind_prompt = scorer.prompt_ids(empty_context_prompt(dataset.spec, dataset.examples[0].prompt))
    distinct: dict[tuple[int, ...], int] = {}
    for ids in (ids for per_context in candidate_ids for ids in per_context):
        distinct.setdefault(tuple(ids), len(distinct))
    per_pass = 4 * job.batch_size

    ranked_other: dict[str, list[list[float]]] = {}

    timings: dict[str, float] = {}
    outputs: dict[str, SideScores] = {}
    for side in sides:
        with scorer.use(side):
            t0 = time.monotonic()
            scored, ends, generated = scorer.run(prompts, continuations, job.batch_size,
                                                 (job.generation, max_new_tokens, max_chars),
                                                 lambda: progress.step("score", side))
            t1 = time.monotonic()
            ranked = []
            for i in range(n):
                ranked.append(scorer.mean_logliks(prompts[i], candidate_ids[i], per_pass))
                progress.step("rank", side)
            blind = scorer.mean_logliks(blind_prompt, [list(ids) for ids in distinct], per_pass)
            progress.step("rank", side)
            if memory:
                t2 = time.monotonic()
                ranked_other[side] = []
                for i in range(n):
                    ranked_other[side].append(scorer.mean_logliks(other_ids[i], candidate_ids[i], per_pass))
                    progress.step("rank", side)
                timings[f"{side}_rank_memory_s"] = round(time.monotonic() - t2, 2)
        timings[f"{side}_s"] = round(t1 - t0, 2)
        timings[f"{side}_rank_s"] = round(time.monotonic() - t1 - timings.get(f"{side}_rank_memory_s", 0.0), 2)
        outputs[side] = SideScores(
            generated=generated,
            true_ll=[scored[i][0] for i in range(n)],
            mismatched_ll=[scored[sources[i]][1 + borrowers[sources[i]].index(i)] for i in range(n)],
            end_ll=[ends[i][0] for i in range(n)],
            ranked=ranked,
            ranked_blind=[[blind[distinct[tuple(ids)]] for ids in per_context] for per_context in candidate_ids],
        )
        log.info("%s: scored and sampled in %.1f s, ranked in %.1f s", side, timings[f"{side}_s"], timings[f"{side}_rank_s"])

    t0 = time.monotonic()
    metrics = {side: side_metrics(o, tokens, dataset, real, banned, job) for side, o in outputs.items()}
    real_side = real_metrics(real, dataset, banned, job.toxicity_check)
    overall = {
        "lift_vs_base": lift_vs_base(outputs[CANDIDATE], outputs[BASE], tokens, seed),
        **reference_rankings(candidate_sets, dataset, seed),
    }
    with_memory = {s: outputs[s].ranked if served else r for s, r in ranked_other.items()}
    if memory:
        without = {s: r if served else outputs[s].ranked for s, r in ranked_other.items()}
        overall["memory"] = memory_section(
            memory, {side: ranking_metrics(r, seed) for side, r in with_memory.items()},
            {side: gain(r, without[side], seed) for side, r in with_memory.items()}, job.memory_k, served)
    gate_verdict = verdict(gates, metrics[CANDIDATE], metrics[BASE], real_side, metrics.get(PROMOTED), _json_safe(overall))
    timings["metrics_s"] = round(time.monotonic() - t0, 2)

    report_path = out_dir / "report.html"
    result = _json_safe({
        "eval_id": identity,
        "base": metrics[BASE],
        "adapter": metrics[CANDIDATE],
        "promoted": metrics.get(PROMOTED),
        "real": real_side,
        **overall,
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
        # Which classifier the toxicity figures and gate counted: the server's guardrail, or the fallback.
        "toxicity_check": toxicity_check_name(job.toxicity_check),
        "mismatch": "each reply scored after another context of the same VOD at least 60 s away (another VOD's when "
                    "there is none), half way round the VOD's time order",
        "ranking_candidates": job.ranking_candidates,
        "candidates": str(out_dir / "candidates.jsonl"),
        "reply_tokens": sum(tokens),
        "timings": timings,
    })
    samples = [
        {"pair_id": e.pair_id, "vod_id": e.vod_id, "offset_ms": e.offset_ms, "context": e.context, "real": e.reply,
         **{side: outputs[side].generated[i] for side in sides},
         # The real reply's rank among its candidates (ties: the mean rank), and each model's first choice.
         "rank": {side: {"context": Placement.of(outputs[side].ranked[i]).mean_rank,
                         "no_context": Placement.of(outputs[side].ranked_blind[i]).mean_rank} for side in sides},
         "top": {side: _top(candidate_sets[i], outputs[side].ranked[i]) for side in sides},
         **({"memory": {"recalled": memory.recalled[i],
                        "rank": {side: Placement.of(with_memory[side][i]).mean_rank for side in sides}}}
            if memory else {})}
        for i, e in enumerate(dataset.examples)
    ]
    elapsed = round(time.monotonic() - started, 2)
    result["elapsed_s"] = elapsed
    _write(out_dir / "candidates.jsonl",
           "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in candidate_records(candidate_sets)))
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
