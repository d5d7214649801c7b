"""The train job's options without torch: presets, overrides, checks, run identity, translators."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from dougpt_gpu.errors import BadInput
from dougpt_gpu.train.job import LoraOptions, QuantOptions, TrainJob, run_id_of, to_bnb_config, to_lora_config
from dougpt_gpu.train.presets import PRESETS


@pytest.fixture()
def paths(tmp_path: Path) -> dict:
    (tmp_path / "ds").mkdir()
    return {"dataset": str(tmp_path / "ds"), "out": str(tmp_path / "out")}


def test_preset_then_overrides(paths: dict) -> None:
    job = TrainJob.from_dict({**paths, "preset": "cpu", "optim": {"max_steps": 7}, "lora": {"r": 4}, "seed": 3})
    assert job.optim.max_steps == 7 and job.lora.r == 4 and job.seed == 3
    # Fields not overridden keep the preset's values, nested ones included.
    assert job.optim.learning_rate == PRESETS["cpu"].values["optim"]["learning_rate"]
    assert job.lora.alpha == 32 and "down_proj" in job.lora.target_modules
    assert isinstance(job.lora.target_modules, tuple)


def test_every_preset_builds(paths: dict) -> None:
    for name in PRESETS:
        job = TrainJob.from_dict({**paths, "preset": name, "base_model": "some/folder"})
        assert job.preset == name
    assert TrainJob.from_dict({**paths, "preset": "gpu-8gb", "base_model": "x"}).quant.mode == "nf4"
    assert TrainJob.from_dict({**paths, "preset": "gpu-80gb", "base_model": "x"}).quant.mode == "none"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"preset": "tpu-9000"}, "unknown preset"),
        ({"optim": {"max_stepz": 3}}, "unknown field 'max_stepz'"),
        ({"optim": {"max_steps": 0}}, "max_steps >= 1"),
        ({"optim": {"max_steps": "3"}}, "optim.max_steps: must be int"),
        ({"lora": {"r": True}}, "lora.r: must be a number"),
        ({"lora": {"target_modules": "q_proj"}}, "list of strings"),
        ({"batch": {"max_length": 8}}, "max_length >= 16"),
        ({"device": "tpu"}, "device"),
        ({"wat": 1}, "unknown field 'wat'"),
        ({"preset": "gpu-8gb"}, "base_model"),
        ({"preset": "gpu-8gb", "base_model": "x", "device": "cpu"}, "needs a CUDA GPU"),
        ({"stages": ["dpo"]}, r'stages: \["dpo"\] is not \["sft"\] or \["sft", "dpo"\]'),
        ({"stages": ["sft", "dpo", "dpo"]}, "stages: "),
        ({"stages": []}, "stages: "),
        ({"stages": "sft,dpo"}, "stages: must be a list of strings"),
        ({"dpo": {"beta": 0}}, "dpo.beta: must be > 0"),
        ({"dpo": {"batch_size": 0}}, "dpo: need batch_size >= 1"),
        ({"dpo": {"gamma": 1}}, "dpo: unknown field 'gamma'"),
        ({"checkpoint": {"validation_rows": -1}}, "validation_rows >= 0"),
    ],
)
def test_bad_options_name_the_field(paths: dict, change: dict, message: str) -> None:
    with pytest.raises(BadInput, match=message):
        TrainJob.from_dict({**paths, **change})


def test_missing_dataset_is_bad_input(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="dataset folder not found"):
        TrainJob.from_dict({"dataset": str(tmp_path / "nope"), "out": str(tmp_path / "o")})
    with pytest.raises(BadInput, match="dataset: required"):
        TrainJob.from_dict({"out": str(tmp_path / "o")})


def test_run_identity(paths: dict, tmp_path: Path) -> None:
    job = TrainJob.from_dict(paths)
    config = job.config()
    assert "dataset" not in config and "out" not in config and "threads" not in config
    same = TrainJob.from_dict({**paths, "out": str(tmp_path / "elsewhere"), "threads": 1, "force": True})
    assert same.config() == config
    rid = run_id_of("ds-1", "a" * 64, config, 0)
    assert len(rid) == 16 and rid == run_id_of("ds-1", "a" * 64, same.config(), 0)
    assert rid != run_id_of("ds-2", "a" * 64, config, 0)
    assert rid != run_id_of("ds-1", "b" * 64, config, 0)
    assert rid != run_id_of("ds-1", "a" * 64, config, 1)
    other = TrainJob.from_dict({**paths, "optim": {"learning_rate": 1e-5}}).config()
    assert rid != run_id_of("ds-1", "a" * 64, other, 0)


def test_stages_shape_the_run_identity_only_with_dpo(paths: dict) -> None:
    sft = TrainJob.from_dict({**paths, "preset": "cpu"})
    assert sft.stages == ("sft",) and sft.dpo.max_steps == PRESETS["cpu"].values["dpo"]["max_steps"]
    # An SFT-only run's id does not depend on the preference options it does not use.
    assert "stages" not in sft.config() and "dpo" not in sft.config()
    assert TrainJob.from_dict({**paths, "preset": "cpu", "dpo": {"beta": 0.5}}).config() == sft.config()
    both = TrainJob.from_dict({**paths, "preset": "cpu", "stages": ["sft", "dpo"]})
    assert both.stages == ("sft", "dpo") and both.config()["stages"] == ["sft", "dpo"]
    assert both.config()["dpo"]["beta"] == 0.1
    assert run_id_of("ds", "a" * 64, both.config(), 0) != run_id_of("ds", "a" * 64, sft.config(), 0)
    other_beta = TrainJob.from_dict({**paths, "preset": "cpu", "stages": ["sft", "dpo"], "dpo": {"beta": 0.5}})
    assert run_id_of("ds", "a" * 64, both.config(), 0) != run_id_of("ds", "a" * 64, other_beta.config(), 0)
    for name in ("cpu-smoke", "cpu"):
        assert set(PRESETS[name].values["dpo"]) >= {"beta", "learning_rate", "max_steps", "batch_size"}
        assert "stages" not in PRESETS[name].values


def test_validation_cap_is_a_seeded_sample_and_shapes_the_identity_only_when_set(paths: dict) -> None:
    from dougpt_gpu.train.run import validation_sample

    rows = [{"id": i} for i in range(500)]
    sample = validation_sample(rows, 64, 0)
    assert len(sample) == 64 and sample == validation_sample(rows, 64, 0)
    # File order is kept, the rows differ with the seed, and a split no larger than the cap is scored whole.
    assert [r["id"] for r in sample] == sorted(r["id"] for r in sample)
    assert sample != validation_sample(rows, 64, 1)
    assert validation_sample(rows, 0, 0) == rows and validation_sample(rows[:10], 64, 0) == rows[:10]
    uncapped = TrainJob.from_dict({**paths, "checkpoint": {"validation_rows": 0}})
    assert "validation_rows" not in uncapped.config()["checkpoint"]
    capped = TrainJob.from_dict(paths)
    assert capped.checkpoint.validation_rows == PRESETS["cpu-smoke"].values["checkpoint"]["validation_rows"] == 64
    assert run_id_of("ds", "a" * 64, capped.config(), 0) != run_id_of("ds", "a" * 64, uncapped.config(), 0)


def test_translators() -> None:
    config = to_lora_config(LoraOptions(r=8, alpha=16, dropout=0.1, target_modules=("q_proj", "v_proj")))
    assert config.r == 8 and config.lora_alpha == 16 and config.lora_dropout == 0.1
    assert set(config.target_modules) == {"q_proj", "v_proj"} and config.task_type == "CAUSAL_LM"
    assert to_bnb_config(QuantOptions()) is None
    bnb = to_bnb_config(QuantOptions(mode="nf4", compute_dtype="bfloat16"))
    assert bnb.load_in_4bit and bnb.bnb_4bit_quant_type == "nf4" and bnb.bnb_4bit_use_double_quant


def test_help_lists_presets_without_torch() -> None:
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-c", "import sys, runpy; sys.argv=['x','train','--help'];\n"
         "try: runpy.run_module('dougpt_gpu', run_name='__main__')\n"
         "except SystemExit: pass\n"
         "print(sorted(m for m in ('torch','transformers','trl','peft') if m in sys.modules))"],
        capture_output=True, text=True, check=True,
    )
    assert "--input" in proc.stdout
    for name in PRESETS:
        assert name in proc.stdout
    assert proc.stdout.strip().endswith("[]")
    assert time.monotonic() - started < 10
