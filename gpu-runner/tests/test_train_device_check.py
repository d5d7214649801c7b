"""`gpu-runner/device-check.sh --dry-run`: the GPU check's every step on CPU at toy size, so the script cannot rot."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def test_dry_run_reports_every_figure_and_passes(tmp_path: Path) -> None:
    proc = subprocess.run(
        ["bash", str(REPO / "gpu-runner" / "device-check.sh"), "--dry-run", "--work", str(tmp_path)],
        capture_output=True, text=True, timeout=600, check=False,
    )
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == 1, proc.stdout[-2000:] + proc.stderr[-2000:]
    report = json.loads(lines[0])
    assert proc.returncode == 0 and report["ok"] is True, json.dumps(report)[:3000] + proc.stderr[-2000:]
    assert report["dry_run"] is True and report["failed_checks"] == []
    train, scorer = report["train"], report["scorer"]
    assert train["steps"] == 3 and len(train["losses"]) == 3 and train["device"] == "cpu" and train["precision"] == "bf16"
    assert train["tokens_per_s"] > 0 and train["adapter_gguf_bytes"] > 0 and train["loss_path"] == "direct"
    assert scorer["contexts"] == 8 and scorer["finite"] and scorer["adapter_changes_scores"] and scorer["head"] == "direct"
    assert report["environment"]["trl"] and report["model"]["shape"].startswith("toy")
    # The run folder is the project's: run.json of preset gpu-80gb, one process.
    run = json.loads((tmp_path / "run" / "run.json").read_text())
    assert run["preset"] == "gpu-80gb" and run["processes"] == 1 and run["config"]["lora"]["r"] == 64
    assert run["base"]["kind"] == "local" and run["config"]["gradient_checkpointing"] and run["precision"] == "bf16"
    adapter = json.loads((tmp_path / "run" / "adapter" / "adapter_config.json").read_text())
    assert set(adapter["target_modules"]) == {"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"}
    assert not (tmp_path / "run" / "checkpoints").exists() or not any((tmp_path / "run" / "checkpoints").iterdir())


def test_the_check_is_shaped_like_qwen25_15b_and_fails_when_the_loss_does_not_fall() -> None:
    import torch
    from transformers import Qwen2Config, Qwen2ForCausalLM

    from dougpt_gpu.train.device_check import QWEN25_15B, checks

    with torch.device("meta"):
        model = Qwen2ForCausalLM(Qwen2Config(**QWEN25_15B))
    # Qwen2.5-1.5B-Instruct: 1.54B parameters with its embeddings tied to the head.
    assert sum(p.numel() for p in model.parameters()) == pytest.approx(1.544e9, rel=2e-3)
    report = {
        "dry_run": False,
        "train": {"exit_code": 0, "loss_fell": False, "device": "cuda"},
        "scorer": {"finite": True, "adapter_changes_scores": True},
    }
    assert [name for name, ok in checks(report).items() if not ok] == ["loss_fell"]
    report["train"]["device"] = "cpu"
    assert not checks(report)["ran_on_the_gpu"]
