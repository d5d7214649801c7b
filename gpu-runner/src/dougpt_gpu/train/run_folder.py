"""A train run's folder: whether it already holds a finished run, clearing it for a new one, run.json I/O and
the result line a finished (or reused) run prints."""

from __future__ import annotations

import importlib.metadata
import json
import os
import shutil
from pathlib import Path
from typing import Any

# The voice memory index copied beside an adapter trained with one (run.json `memory.file`).
MEMORY_FILE = "memory.json"


def checkpoint_step(checkpoint: Path | None) -> int | None:
    return int(checkpoint.name.split("-")[1]) if checkpoint is not None else None


def finished_run(out: Path, run_id: str) -> dict[str, Any] | None:
    """run.json of this run when it is complete (adapter and GGUF present), else None."""
    record = read_json(out / "run.json") if (out / "run.json").is_file() else {}
    if record.get("run_id") != run_id:
        return None
    if not (out / "adapter" / "adapter_model.safetensors").is_file() or not (out / "adapter.gguf").is_file():
        return None
    return record


def clear(out: Path, keep: Path | None) -> None:
    """Removes a previous run's outputs; checkpoints stay when the resume point is among them."""
    shutil.rmtree(out / "adapter", ignore_errors=True)
    shutil.rmtree(out / "sft-adapter", ignore_errors=True)
    (out / "adapter.gguf").unlink(missing_ok=True)
    (out / "run.json").unlink(missing_ok=True)
    (out / MEMORY_FILE).unlink(missing_ok=True)
    ckpt = out / "checkpoints"
    if keep is None or ckpt.resolve() not in keep.resolve().parents:
        shutil.rmtree(ckpt, ignore_errors=True)
    out.mkdir(parents=True, exist_ok=True)


def result(record: dict[str, Any], out: Path, reused: bool, elapsed: float) -> dict[str, Any]:
    base = record.get("base", {})
    return {
        "run_id": record["run_id"],
        "dataset_id": record["dataset_id"],
        "base_model": base.get("name"),
        "base_sha256": base.get("sha256"),
        "preset": record["preset"],
        "steps": record["steps"],
        "loss_first": record["loss_first"],
        "loss_last": record["loss_last"],
        "validation_loss": record.get("validation_loss"),
        "tokens_per_s": record["tokens_per_s"],
        "out": str(out),
        "adapter": str(out / "adapter"),
        "adapter_gguf": str(out / "adapter.gguf"),
        "run_json": str(out / "run.json"),
        "reused": reused,
        "resumed_from": record.get("resumed_from_step"),
        "processes": record.get("processes", 1),
        "stages": record.get("stages", ["sft"]),
        "dpo": dpo_result(record.get("dpo")),
        "elapsed_s": round(elapsed, 3),
    }


def dpo_result(dpo: dict[str, Any] | None) -> dict[str, Any] | None:
    """The result line's summary of the preference stage (run.json has every step)."""
    if dpo is None:
        return None
    validation = dpo.get("validation") or {}
    return {
        "steps": dpo["steps"],
        "loss_first": dpo["loss_first"],
        "loss_last": dpo["loss_last"],
        "reward_accuracy": dpo["reward_accuracy"],
        "reward_margin": dpo["reward_margin"],
        "validation_loss": validation.get("loss"),
        "validation_reward_accuracy": validation.get("reward_accuracy"),
        "validation_reward_margin": validation.get("reward_margin"),
        "rows": dpo["rows"]["train"],
        "seconds_per_step": dpo["seconds_per_step"],
        "resumed_from": dpo["resumed_from_step"],
    }


def read_json(path: Path) -> dict[str, Any]:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return {}
    return value if isinstance(value, dict) else {}


def write_json(path: Path, value: Any) -> None:
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temp.write_text(json.dumps(value, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(temp, path)


def version(name: str) -> str | None:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None
