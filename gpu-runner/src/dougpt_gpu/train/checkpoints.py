"""Checkpoints under OUT/checkpoints/step-N/: Trainer's own files plus a manifest that makes them checkable.

    python -m dougpt_gpu train --input job.json

The Trainer writes `checkpoint-N/` (adapter, optimizer, scheduler, RNG states, trainer_state.json). Once it is
complete, a manifest with the run id, the stage and every file's sha256 is added and the folder is renamed to
`step-N/`: a `step-N/` folder is therefore always whole, and a resume checks the hashes before trusting it.

N counts the run's optimizer steps over all its stages: a dpo checkpoint after S SFT steps and n DPO steps is
`step-(S+n)/`, so the newest folder is the furthest point of the run. A dpo checkpoint carries what resuming the stage
needs besides the adapter and the optimizer: `ref/` (the adapter as SFT left it, the stage's reference, which TRL
saves beside the trained one) and `sft-stage.json` (the SFT stage's figures for run.json).
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

from ..errors import BadInput
from ..models.registry import file_sha256

MANIFEST = "dougpt-checkpoint.json"
_STEP_DIR = re.compile(r"^step-(\d+)$")
# What Trainer needs to continue exactly: without any of these it would silently restart part of the state.
REQUIRED = ("adapter_model.safetensors", "adapter_config.json", "optimizer.pt", "scheduler.pt", "trainer_state.json")
# The SFT stage's figures, written into every dpo checkpoint.
SFT_STAGE = "sft-stage.json"
REQUIRED_BY_STAGE = {
    "sft": REQUIRED,
    "dpo": (*REQUIRED, "ref/adapter_model.safetensors", "ref/adapter_config.json", SFT_STAGE),
}


def seal(trainer_dir: Path, run_id: str, step: int, stage: str = "sft", stage_step: int | None = None) -> Path:
    """Adds the manifest to Trainer's `checkpoint-N/` and renames it `step-<step>/`; returns the new path.

    `step` is the run's step (all stages), `stage_step` the stage's own (Trainer's global step).
    """
    files = {
        p.relative_to(trainer_dir).as_posix(): file_sha256(p)
        for p in sorted(trainer_dir.rglob("*"))
        if p.is_file() and p.name != MANIFEST
    }
    manifest = {"run_id": run_id, "step": step, "stage": stage, "stage_step": step if stage_step is None else stage_step, "files": files}
    (trainer_dir / MANIFEST).write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    target = trainer_dir.with_name(f"step-{step}")
    if target.exists():
        shutil.rmtree(target)
    os.replace(trainer_dir, target)
    return target


def step_dirs(folder: Path) -> list[tuple[int, Path]]:
    """`step-N/` folders under `folder`, oldest first."""
    if not folder.is_dir():
        return []
    found = [(int(m.group(1)), p) for p in folder.iterdir() if p.is_dir() and (m := _STEP_DIR.match(p.name))]
    return sorted(found)


def prune(folder: Path, keep_last: int) -> None:
    for _, path in step_dirs(folder)[:-keep_last]:
        shutil.rmtree(path, ignore_errors=True)


def pick(resume_from: str) -> Path:
    """The checkpoint to resume: `resume_from` itself when it is a `step-N/` folder, else its newest `step-N/`."""
    path = Path(resume_from)
    if _STEP_DIR.match(path.name) and path.is_dir():
        return path
    found = step_dirs(path)
    if not found:
        raise BadInput(f"{resume_from}: no step-N checkpoint folder in it")
    return found[-1][1]


def verify(checkpoint: Path, run_id: str) -> dict[str, Any]:
    """Bad input unless the checkpoint is whole, unchanged and of this run; returns its manifest (with its stage)."""
    try:
        manifest = json.loads((checkpoint / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise BadInput(f"{checkpoint}: corrupt checkpoint (manifest unreadable: {error})") from error
    if not isinstance(manifest, dict) or not isinstance(manifest.get("files"), dict):
        raise BadInput(f"{checkpoint}: corrupt checkpoint (manifest has no file list)")
    if manifest.get("run_id") != run_id:
        raise BadInput(
            f"{checkpoint}: checkpoint of run {manifest.get('run_id')}, not of this run {run_id} (other dataset, base or config)"
        )
    stage = manifest.setdefault("stage", "sft")
    if stage not in REQUIRED_BY_STAGE:
        raise BadInput(f"{checkpoint}: corrupt checkpoint (unknown stage {stage!r})")
    missing = [name for name in REQUIRED_BY_STAGE[stage] if name not in manifest["files"]]
    if missing:
        raise BadInput(f"{checkpoint}: corrupt checkpoint ({missing[0]} was never saved)")
    for name, digest in manifest["files"].items():
        path = checkpoint / name
        if not path.is_file():
            raise BadInput(f"{checkpoint}: corrupt checkpoint ({name} is missing)")
        if file_sha256(path) != digest:
            raise BadInput(f"{checkpoint}: corrupt checkpoint ({name} does not match its sha256)")
    return manifest
