"""The gpu presets' code path on a tiny randomly initialised Qwen2 (CPU, minus 4-bit), and QLoRA where CUDA is."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from train_fixtures import make_dataset, run_train, tiny_base

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def tiny_qwen2(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Qwen2 architecture at toy size, with the SmolLM2 tokenizer (ChatML, like Qwen2.5's template with a system turn)."""
    return tiny_base(tmp_path_factory.mktemp("tiny-qwen2"), "qwen2")


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_dataset(tmp_path_factory.mktemp("ds"), rows=16, validation=2)


# gpu-80gb's path on CPU (bf16, gradient checkpointing, all-linear r64) runs in test_train_device_check.py's dry run.
@pytest.mark.parametrize("preset", ["gpu-8gb", "gpu-24gb"])
def test_gpu_preset_path_on_cpu(preset: str, tiny_qwen2: Path, dataset: Path, tmp_path: Path) -> None:
    job = {
        "dataset": str(dataset), "out": str(tmp_path / "out"), "preset": preset, "base_model": str(tiny_qwen2),
        # What a CPU cannot do is swapped out; the rest (all-linear LoRA, gradient checkpointing, bf16 where the
        # preset has it, its batch and rank) is the preset's own.
        "device": "cpu", "quant": {"mode": "none"}, "threads": 1,
        "optim": {"max_steps": 2, "warmup_steps": 0, "optimizer": "adamw_torch"},
        "checkpoint": {"every_steps": 0},
    }
    code, events, stderr = run_train(job, tmp_path)
    assert code == 0, stderr[-3000:]
    result = events[-1]
    assert result["event"] == "result" and result["steps"] == 2
    run = json.loads((tmp_path / "out" / "run.json").read_text())
    assert run["base"]["kind"] == "local" and run["precision"] == "bf16" and run["config"]["gradient_checkpointing"]
    adapter = json.loads((tmp_path / "out" / "adapter" / "adapter_config.json").read_text())
    assert set(adapter["target_modules"]) == {"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"}
    assert adapter["r"] == run["config"]["lora"]["r"]
    assert (tmp_path / "out" / "adapter.gguf").stat().st_size > 0
    assert not (tmp_path / "out" / "checkpoints").exists() or not any((tmp_path / "out" / "checkpoints").iterdir())


def test_preference_stage_on_a_gpu_preset_path(tiny_qwen2: Path, dataset: Path, tmp_path: Path) -> None:
    """sft,dpo with bf16, gradient checkpointing and all-linear LoRA (gpu-8gb minus 4-bit) on CPU."""
    job = {
        "dataset": str(dataset), "out": str(tmp_path / "out"), "preset": "gpu-8gb", "base_model": str(tiny_qwen2),
        "device": "cpu", "quant": {"mode": "none"}, "threads": 1, "stages": ["sft", "dpo"],
        "optim": {"max_steps": 2, "warmup_steps": 0, "optimizer": "adamw_torch"},
        "dpo": {"max_steps": 2, "warmup_steps": 0, "batch_size": 4},
        "checkpoint": {"every_steps": 0},
    }
    code, events, stderr = run_train(job, tmp_path)
    assert code == 0, stderr[-3000:]
    result = events[-1]
    assert result["stages"] == ["sft", "dpo"] and result["dpo"]["steps"] == 2
    first = next(e for e in events if e["event"] == "progress" and e["stage"] == "dpo")
    assert abs(first["loss"] - 0.693147) < 1e-2  # bf16: policy and reference agree up to rounding
    run = json.loads((tmp_path / "out" / "run.json").read_text())
    assert run["precision"] == "bf16" and run["dpo"]["rows"]["train"] > 0
    adapter = json.loads((tmp_path / "out" / "adapter" / "adapter_config.json").read_text())
    assert len(adapter["target_modules"]) == 7


def _has_cuda_and_bnb() -> bool:
    if not torch.cuda.is_available():
        return False
    try:
        import bitsandbytes  # noqa: F401
    except ImportError:
        return False
    return True


@pytest.mark.gpu
@pytest.mark.skipif(not _has_cuda_and_bnb(), reason="needs a CUDA GPU and bitsandbytes")
def test_qlora_nf4_on_gpu(tiny_qwen2: Path, dataset: Path, tmp_path: Path) -> None:
    job = {
        "dataset": str(dataset), "out": str(tmp_path / "out"), "preset": "gpu-8gb", "base_model": str(tiny_qwen2),
        "optim": {"max_steps": 3, "warmup_steps": 0}, "checkpoint": {"every_steps": 0},
    }
    code, events, stderr = run_train(job, tmp_path)
    assert code == 0, stderr[-3000:]
    run = json.loads((tmp_path / "out" / "run.json").read_text())
    assert run["device"] == "cuda" and run["config"]["quant"]["mode"] == "nf4"
    progress = [e for e in events if e["event"] == "progress"]
    assert len(progress) == 3 and all(e["loss"] > 0 for e in progress)
