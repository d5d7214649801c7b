"""The train job: dataset folder + base model → LoRA adapter (PEFT folder, GGUF LoRA) and run.json.

    python -m dougpt_gpu train --input job.json

Everything that can be wrong with the input (dataset, preset, base, checkpoint) is found before the model loads.
The same dataset, base, config and seed give the same run id; a finished run with that id in OUT is reused.

A run has one or two stages (`stages`): SFT, then optionally the preference stage (train/preference.py) on the same
adapter. A resume continues in the stage its checkpoint was written in: an SFT checkpoint finishes SFT and then runs
the preference stage from its start; a dpo checkpoint skips SFT (its figures come from the checkpoint).
"""

from __future__ import annotations

import contextlib
import json
import logging
import random
import shutil
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ..errors import BadInput
from ..models.registry import BaseModel, resolve_base
from . import checkpoints, distributed
from ..memory.index import MEMORY_RULE
from ..memory.prompts import open_memory, rows_with_memory
from .data import DatasetInfo, read_dpo, read_info, read_sft
from .job import TrainJob, config_hash, run_id_of
from . import run_folder
from .run_folder import MEMORY_FILE

log = logging.getLogger("dougpt_gpu.train")
LIBRARIES = ("torch", "transformers", "trl", "peft", "accelerate", "datasets", "gguf")


@contextlib.contextmanager
def protocol_stdout() -> Iterator[Any]:
    """While libraries run, stray prints go to stderr; the yielded `emit` writes JSON lines to the real stdout."""
    real = sys.stdout

    def emit(event: str, **fields: Any) -> None:
        if not distributed.is_main():
            return  # rank 0 reports for every rank (train/launch.py)
        real.write(json.dumps({"event": event, **fields}, separators=(",", ":")) + "\n")
        real.flush()

    sys.stdout = sys.stderr
    try:
        yield emit
    finally:
        sys.stdout = real


def validation_sample(rows: list[dict[str, Any]], limit: int, seed: int) -> list[dict[str, Any]]:
    """At most `limit` validation rows (0: all): a seeded sample kept in file order, so a checkpoint's score costs
    the same on any dataset size and every checkpoint is scored on the same rows."""
    if not limit or len(rows) <= limit:
        return rows
    keep = sorted(random.Random(seed).sample(range(len(rows)), limit))
    return [rows[i] for i in keep]


def run_train(raw: dict[str, Any]) -> dict[str, Any]:
    """Run one job from its JSON; returns the result event's fields."""
    started = time.monotonic()
    job = TrainJob.from_dict(raw)
    info = read_info(job.dataset)
    rows = read_sft(job.dataset, job.split)
    if not rows:
        raise BadInput(f"{job.dataset}: split {job.split} has no rows")
    validation = read_sft(job.dataset, "validation") if (Path(job.dataset) / "sft" / "validation.jsonl").is_file() else []
    validation = validation_sample(validation, job.checkpoint.validation_rows, job.seed)
    pairs: list[dict[str, Any]] = []
    pair_validation: list[dict[str, Any]] = []
    if "dpo" in job.stages:
        pairs = read_dpo(job.dataset, job.split)
        if not pairs:
            raise BadInput(f"{job.dataset}: dpo split {job.split} has no rows (stages has dpo)")
        if (Path(job.dataset) / "dpo" / "validation.jsonl").is_file():
            pair_validation = validation_sample(read_dpo(job.dataset, "validation"), job.checkpoint.validation_rows, job.seed)
    memory = None
    if job.memory:
        index, spec = open_memory(job.memory, job.dataset, info.dataset_id)
        rows, recalled = rows_with_memory(rows, index, spec)
        validation, _ = rows_with_memory(validation, index, spec)
        memory = {"rule": MEMORY_RULE, "sha256": index.sha256, "k": index.k, "exclude_ms": index.exclude_ms,
                  "entries": len(index.entries), "rows_with_memory": recalled}
    base = resolve_base(job.base_model or "")
    if base.sha256 is None:
        raise BadInput(f"{base.name}: base model has no sha256")
    config = job.config()
    if memory:
        config["memory_sha256"] = memory["sha256"]
    run_id = run_id_of(info.dataset_id, base.sha256, config, job.seed)
    out = Path(job.out)

    finished = run_folder.finished_run(out, run_id)
    if finished is not None and not job.force:
        log.info("run %s is already in %s: reused", run_id, out)
        return run_folder.result(finished, out, reused=True, elapsed=time.monotonic() - started)
    if finished is None and (out / "run.json").is_file() and not (job.force or job.replace):
        other = run_folder.read_json(out / "run.json").get("run_id")
        raise BadInput(f"{out}: holds run {other}, not this run {run_id}; use force or another out folder")

    resume = None
    resume_stage = "sft"
    if job.resume_from is not None:
        resume = checkpoints.pick(job.resume_from)
        resume_stage = checkpoints.verify(resume, run_id)["stage"]
        log.info("resuming the %s stage from %s", resume_stage, resume)
    if distributed.is_main():
        # No other rank writes before rank 0 has loaded its model (every step needs all ranks), so this cannot race.
        run_folder.clear(out, keep=resume)

    with protocol_stdout() as emit:
        data = StageData(rows, validation, pairs, pair_validation, memory)
        record = _train(job, info, base, data, run_id, config, resume, resume_stage, emit)
    if not distributed.is_main():
        return {"run_id": run_id, "rank": distributed.rank(), "elapsed_s": round(time.monotonic() - started, 3)}
    record["elapsed_s"] = round(time.monotonic() - started, 3)
    if memory and job.memory:
        # The index the prompts were rendered with travels with the adapter: the server loads it with the adapter
        # (and swaps it with the adapter), so served prompts recall from what training recalled from.
        shutil.copyfile(job.memory, out / MEMORY_FILE)
        record["memory"] = {**memory, "file": MEMORY_FILE}
    run_folder.write_json(out / "run.json", record)
    return run_folder.result(record, out, reused=False, elapsed=record["elapsed_s"])


@dataclass(frozen=True)
class StageData:
    """The rows each stage trains and validates on."""

    rows: list[dict[str, Any]]
    validation: list[dict[str, Any]]
    pairs: list[dict[str, Any]]
    pair_validation: list[dict[str, Any]]
    # The voice memory the SFT rows were rendered with (run.json's `memory`), or None.
    memory: dict[str, Any] | None = None


def _train(
    job: TrainJob,
    info: DatasetInfo,
    base: BaseModel,
    data: StageData,
    run_id: str,
    config: dict[str, Any],
    resume: Path | None,
    resume_stage: str,
    emit: Any,
) -> dict[str, Any]:
    from .gguf_export import export_lora_gguf

    out = Path(job.out)
    adapter_dir = out / "adapter"
    with_dpo = "dpo" in job.stages
    # With a preference stage, SFT's adapter is kept beside the final one: the stage's reference, and the run's
    # SFT-only model for comparisons.
    sft_adapter = out / "sft-adapter" if with_dpo else adapter_dir
    if resume_stage == "dpo":
        assert resume is not None
        sft = json.loads((resume / checkpoints.SFT_STAGE).read_text(encoding="utf-8"))
        shutil.copytree(resume / "ref", sft_adapter)
        log.info("SFT finished before the checkpoint (%d steps): skipped", sft["steps"])
    else:
        sft = _sft_stage(job, base, data, run_id, resume, sft_adapter, emit)
    if not distributed.is_main():
        return {}
    dpo = None
    if with_dpo:
        dpo = _dpo_stage(job, base, data, run_id, sft, sft_adapter, resume if resume_stage == "dpo" else None, adapter_dir, emit)
    gguf = export_lora_gguf(adapter_dir, Path(base.hf_dir), out / "adapter.gguf")
    (out / "checkpoints" / "README.md").unlink(missing_ok=True)

    return {
        "run_id": run_id,
        "dataset_id": info.dataset_id,
        "dataset": info.path,
        "split": job.split,
        "stages": list(job.stages),
        "base": {k: v for k, v in asdict(base).items() if k in ("name", "kind", "sha256", "hf_sha256", "gguf", "hf_dir", "source")},
        "preset": job.preset,
        "config": config,
        "config_hash": config_hash(config),
        "seed": job.seed,
        "device": sft["device"],
        "precision": sft["precision"],
        "precision_reason": sft.get("precision_reason"),
        # Data-parallel ranks (all hosts); not part of the run's identity: the global batch is.
        "processes": sft.get("processes", 1),
        "peak_gpu_memory_gib": sft.get("peak_gpu_memory_gib"),
        "loss_path": sft.get("loss_path"),
        "loss_path_reason": sft.get("loss_path_reason"),
        "libraries": {name: run_folder.version(name) for name in LIBRARIES},
        "rows": sft["rows"],
        "steps": sft["steps"],
        "resumed_from": str(resume) if resume else None,
        "resumed_from_step": run_folder.checkpoint_step(resume),
        "losses": sft["losses"],
        "loss_first": sft["losses"][0]["loss"] if sft["losses"] else None,
        "loss_last": sft["losses"][-1]["loss"] if sft["losses"] else None,
        "validation_loss": sft["validation_loss"],
        # Which step's SFT adapter was kept, chosen on the validation split (null: no validation rows).
        "selection": {k: sft[k] for k in ("selected_step", "selected_validation_loss", "validation_curve") if k in sft} or None,
        "tokens_per_s": sft["tokens_per_s"],
        "train_seconds": sft["train_seconds"],
        "checkpoints": sft["checkpoints"] + (dpo["checkpoints"] if dpo else []),
        "dpo": dpo,
        "adapter": str(adapter_dir),
        "sft_adapter": str(sft_adapter) if with_dpo else None,
        "adapter_gguf": str(gguf),
        "adapter_gguf_bytes": gguf.stat().st_size,
        "prompt_spec": info.prompt_spec,
        # The voice memory the prompts were rendered with (null: none); serve it with the same index.
        "memory": data.memory,
        "end_token": sft["end_token"],
        # The chat template family the prompts were rendered in: the server renders the adapter's prompts in it.
        "chat_template": sft["chat_template"],
        "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }


def _sft_stage(
    job: TrainJob, base: BaseModel, data: StageData, run_id: str, resume: Path | None, save_to: Path, emit: Any
) -> dict[str, Any]:
    """Supervised fine-tuning; saves the adapter to `save_to` and returns the stage's figures (JSON-safe)."""
    import gc

    built = build_trainer(job, base, data.rows, data.validation, run_id, emit)
    trainer, events, train_tokens, val_tokens = built.trainer, built.events, built.train_tokens, built.val_tokens
    trainer.train(resume_from_checkpoint=str(resume) if resume else None)
    validation_loss = trainer.evaluate()["eval_loss"] if trainer.eval_dataset is not None else None
    # The validation split chooses which step's adapter is kept; the test split never does.
    selection = built.selection
    if selection is not None and selection.restore(trainer.model):
        log.info("kept the adapter of step %s (validation loss %.4f, last %.4f)", selection.best_step, selection.best_loss, validation_loss)
    if selection is not None and selection.best_loss is not None:
        validation_loss = selection.best_loss
    if distributed.is_main():
        trainer.model.save_pretrained(str(save_to))
    record = {
        "device": built.device,
        "precision": built.precision,
        "precision_reason": built.precision_reason,
        "processes": distributed.world_size(),
        # How the loss reached the reply tokens: "direct" (decoder and head called by the trainer, one process and a
        # plain linear head) or "forward" (the model's own forward), and why not direct.
        "loss_path": trainer.loss_path,
        "loss_path_reason": trainer.loss_path_reason,
        "peak_gpu_memory_gib": _peak_gpu_memory_gib(built.device),
        "rows": {
            "train": len(train_tokens.input_ids),
            "dropped_long": train_tokens.dropped_long,
            "validation": len(val_tokens.input_ids) if val_tokens else 0,
        },
        "steps": trainer.state.global_step,
        "losses": [{"step": step, "loss": loss} for step, loss in events.losses],
        "validation_loss": round(float(validation_loss), 6) if validation_loss is not None else None,
        **(selection.as_json() if selection is not None and selection.curve else {}),
        "tokens_per_s": round(events.tokens_per_s(), 1),
        "train_seconds": round(events.train_seconds, 3),
        "checkpoints": [{"step": step, "stage": "sft", "path": path} for step, path in events.saved],
        "end_token": train_tokens.end_token,
        "chat_template": train_tokens.chat_template,
    }
    # The preference stage loads its own copy of the base: this one goes first (twice the memory otherwise). The
    # trainer and its callbacks hold each other, so only the cycle collector frees them.
    del built, trainer, events
    gc.collect()
    return record


def _dpo_stage(
    job: TrainJob,
    base: BaseModel,
    data: StageData,
    run_id: str,
    sft: dict[str, Any],
    sft_adapter: Path,
    resume: Path | None,
    save_to: Path,
    emit: Any,
) -> dict[str, Any]:
    """The preference stage on the SFT adapter; saves the final adapter to `save_to`; returns its figures."""
    from .preference import build_preference_trainer

    stage = build_preference_trainer(
        job, base, sft_adapter, data.pairs, data.pair_validation, run_id, sft, sft["device"], sft["precision"], emit
    )
    trainer, events = stage.trainer, stage.events
    trainer.train(resume_from_checkpoint=str(resume) if resume else None)
    validation = None
    if trainer.eval_dataset is not None:
        metrics = trainer.evaluate()
        validation = {
            "loss": _rounded(metrics.get("eval_loss")),
            "reward_accuracy": _rounded(metrics.get("eval_rewards/accuracies")),
            "reward_margin": _rounded(metrics.get("eval_rewards/margins")),
        }
    # Only the trained adapter: the frozen reference copy would land in a `ref/` sub-folder.
    trainer.model.save_pretrained(str(save_to), selected_adapters=["default"])
    rewards = dict(events.rewards)
    losses = [{"step": step, "loss": loss, **rewards.get(step, {})} for step, loss in events.losses]
    per_step = events.seconds_per_step(trainer.state.global_step)
    return {
        "beta": job.dpo.beta,
        "reference": "sft adapter (log-probs precomputed)",
        "rows": {
            "train": stage.rows,
            "available": stage.available,
            "dropped_long": stage.dropped_long,
            "validation": stage.validation_rows,
        },
        "steps": trainer.state.global_step,
        "resumed_from_step": run_folder.checkpoint_step(resume) - sft["steps"] if resume is not None else None,
        "losses": losses,
        "loss_first": losses[0]["loss"] if losses else None,
        "loss_last": losses[-1]["loss"] if losses else None,
        "reward_accuracy": losses[-1].get("reward_accuracy") if losses else None,
        "reward_margin": losses[-1].get("reward_margin") if losses else None,
        "validation": validation,
        "tokens_per_s": round(events.tokens_per_s(), 1),
        "train_seconds": round(events.train_seconds, 3),
        "seconds_per_step": round(per_step, 3) if per_step is not None else None,
        "checkpoints": [{"step": step, "stage": "dpo", "path": path} for step, path in events.saved],
    }


def _peak_gpu_memory_gib(device: str) -> float | None:
    """Most GPU memory this process's tensors held (PyTorch's allocator), in GiB; None on CPU."""
    if device != "cuda":
        return None
    import torch

    return round(torch.cuda.max_memory_allocated() / 2**30, 3)


def _rounded(value: Any) -> float | None:
    return round(float(value), 6) if value is not None else None


@dataclass
class Built:
    """A trainer ready to train, with what the run record needs from its construction."""

    trainer: Any
    events: Any
    train_tokens: Any
    val_tokens: Any
    device: str
    precision: str
    selection: Any = None
    precision_reason: str | None = None


def build_trainer(
    job: TrainJob, base: BaseModel, rows: list[dict[str, Any]], validation: list[dict[str, Any]], run_id: str, emit: Any
) -> Built:
    """Base loaded, rows tokenized, LoRA attached, callbacks in place (also used by the benchmark)."""
    import torch
    import transformers
    from datasets import Dataset

    from .data import tokenize_rows
    from .job import to_lora_config
    from .model import load_base, resolve_device, training_args
    from .progress import JobEvents, quiet_trainer
    from .selection import BestOnValidation
    from .trainer import ReplyLossTrainer

    if job.threads:
        torch.set_num_threads(job.threads)
    transformers.utils.logging.disable_progress_bar()
    device, precision, precision_reason = resolve_device(job)
    checkpoint_dir = Path(job.out) / "checkpoints"
    transformers.set_seed(job.seed)
    tokenizer, model = load_base(base, job, device, precision)
    train_tokens = tokenize_rows(tokenizer, rows, job.batch.max_length)
    if not train_tokens.input_ids:
        raise BadInput(f"every row of split {job.split} is longer than batch.max_length {job.batch.max_length} tokens")
    val_tokens = tokenize_rows(tokenizer, validation, job.batch.max_length) if validation else None
    val_set = _to_dataset(Dataset, val_tokens) if val_tokens and val_tokens.input_ids else None
    log.info(
        "%d training rows (%d longer than %d tokens left out), %d validation rows, device %s, %s",
        len(train_tokens.input_ids), train_tokens.dropped_long, job.batch.max_length,
        len(val_tokens.input_ids) if val_tokens else 0, device, precision,
    )
    dropped = train_tokens.dropped_long
    if dropped > 0.05 * (dropped + len(train_tokens.input_ids)):
        log.warning(
            "%d of %d training rows are longer than batch.max_length %d tokens and are left out (prompts with recalled "
            "moments are longer): raise batch.max_length (dougpt train --max-length) to train on them",
            dropped, dropped + len(train_tokens.input_ids), job.batch.max_length,
        )
    # Seeded again right before the adapter is created, so its initial weights depend on the seed alone.
    transformers.set_seed(job.seed)
    trainer = ReplyLossTrainer(
        model=model,
        args=training_args(job, checkpoint_dir, device, precision, evaluate=val_set is not None),
        train_dataset=_to_dataset(Dataset, train_tokens),
        eval_dataset=val_set,
        processing_class=tokenizer,
        peft_config=to_lora_config(job.lora),
    )
    quiet_trainer(trainer)
    # Tokens of every rank (callbacks run on every rank at the same points, so the sum is a matched collective).
    events = JobEvents(emit, run_id, checkpoint_dir, job.checkpoint.keep_last, lambda: distributed.all_sum(trainer.real_tokens))
    trainer.add_callback(events)
    selection = BestOnValidation()
    if val_set is not None:
        trainer.add_callback(selection)
    return Built(trainer, events, train_tokens, val_tokens, device, precision, selection, precision_reason)


def _to_dataset(dataset_cls: Any, tokens: Any) -> Any:
    labels = [[t if m else -100 for t, m in zip(ids, mask)] for ids, mask in zip(tokens.input_ids, tokens.completion_mask)]
    return dataset_cls.from_dict({"input_ids": tokens.input_ids, "labels": labels})
