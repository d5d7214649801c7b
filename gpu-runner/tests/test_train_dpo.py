"""`python -m dougpt_gpu train` with stages ["sft", "dpo"] on the embedded SmolLM2: the preference stage end to end."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import torch
from train_fixtures import make_dataset, run_train, smoke_job, smollm2_dir, trained

torch.set_num_threads(1)
LN2 = math.log(2)
# Full-batch DPO: the 4 pairs of the train split are every step's batch, so the loss must fall step after step.
DPO = {"max_steps": 4, "warmup_steps": 0, "batch_size": 4, "learning_rate": 1e-3}


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    smollm2_dir()
    root = make_dataset(tmp_path_factory.mktemp("ds"), rows=8, validation=4)
    pairs = (root / "dpo" / "train.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)
    assert len(pairs) >= 4
    (root / "dpo" / "train.jsonl").write_text("".join(pairs[:4]), encoding="utf-8")
    return root


def dpo_job(dataset: Path, out: Path, dpo: dict | None = None, **overrides: object) -> dict:
    return smoke_job(dataset, out, stages=["sft", "dpo"], dpo={**DPO, **(dpo or {})}, **overrides)


@pytest.fixture(scope="module")
def run(dataset: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    tmp = tmp_path_factory.mktemp("run")
    return trained(dpo_job(dataset, tmp / "out"), tmp)


def progress(events: list[dict], stage: str) -> dict[int, dict]:
    return {e["step"]: e for e in events if e["event"] == "progress" and e["stage"] == stage}


def lora_tensors(folder: Path) -> dict[str, torch.Tensor]:
    from safetensors.torch import load_file

    return load_file(str(folder / "adapter_model.safetensors"))


def test_stages_run_in_order_and_report(run: dict) -> None:
    events, out = run["events"], run["out"]
    lines = [(e["event"], e.get("stage")) for e in events]
    assert lines[-1] == ("result", None)
    stages = [stage for event, stage in lines if event == "progress"]
    assert stages == ["sft"] * 4 + ["dpo"] * 4
    dpo = progress(events, "dpo")
    assert list(dpo) == [1, 2, 3, 4] and all(e["max_steps"] == 4 for e in dpo.values())
    for e in dpo.values():
        assert {"reward_accuracy", "reward_margin", "tokens_per_s", "eta_s", "grad_norm"} <= set(e)
    # The first step scores the pairs with the adapter the reference log-probs were computed with: policy and
    # reference agree, so the loss is exactly ln 2 and the margin 0. A reference other than the SFT adapter (the
    # base with the adapter disabled) would not give that.
    assert dpo[1]["loss"] == pytest.approx(LN2, abs=1e-4) and dpo[1]["reward_margin"] == pytest.approx(0, abs=1e-4)
    # Full batches of the same 4 pairs: the loss falls and the chosen replies win.
    assert dpo[4]["loss"] < dpo[2]["loss"] < LN2 - 1e-3
    assert dpo[4]["reward_accuracy"] >= 0.75 and dpo[4]["reward_margin"] > 0

    saved = [e for e in events if e["event"] == "checkpoint"]
    assert [(e["step"], e["stage"], e["stage_step"]) for e in saved] == [(2, "sft", 2), (4, "sft", 4), (6, "dpo", 2), (8, "dpo", 4)]
    manifest = json.loads((out / "checkpoints" / "step-8" / "dougpt-checkpoint.json").read_text())
    assert manifest["stage"] == "dpo" and manifest["stage_step"] == 4 and manifest["step"] == 8
    assert {"ref/adapter_model.safetensors", "sft-stage.json", "optimizer.pt"} <= set(manifest["files"])

    result = events[-1]
    assert result["stages"] == ["sft", "dpo"] and result["steps"] == 4
    assert result["dpo"]["steps"] == 4 and result["dpo"]["rows"] == 4
    assert result["dpo"]["loss_first"] == dpo[1]["loss"] and result["dpo"]["loss_last"] == dpo[4]["loss"]
    assert result["dpo"]["reward_accuracy"] == dpo[4]["reward_accuracy"]
    assert 0 <= result["dpo"]["validation_reward_accuracy"] <= 1 and result["dpo"]["validation_loss"] > 0
    assert result["dpo"]["seconds_per_step"] > 0

    record = json.loads((out / "run.json").read_text())
    assert record["stages"] == ["sft", "dpo"] and record["config"]["stages"] == ["sft", "dpo"]
    assert record["config"]["dpo"]["beta"] == 0.1 and record["dpo"]["beta"] == 0.1
    assert [x["step"] for x in record["dpo"]["losses"]] == [1, 2, 3, 4]
    assert record["dpo"]["rows"] == {"train": 4, "available": 4, "dropped_long": 0, "validation": record["dpo"]["rows"]["validation"]}
    assert [x["step"] for x in record["losses"]] == [1, 2, 3, 4] and record["validation_loss"] > 0
    assert record["sft_adapter"] == str(out / "sft-adapter")


def test_one_adapter_holding_both_stages_loads_on_the_base(run: dict) -> None:
    from gguf import GGUFReader
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    out = run["out"]
    assert not (out / "adapter" / "ref").exists()
    model = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(str(smollm2_dir()), dtype=torch.float32), str(out / "adapter"))
    assert list(model.peft_config) == ["default"]
    final, sft = lora_tensors(out / "adapter"), lora_tensors(out / "sft-adapter")
    assert final.keys() == sft.keys() and len(final) == 240
    # The preference stage moved the adapter SFT left...
    changed = [k for k in final if not torch.equal(final[k], sft[k])]
    assert len(changed) > len(final) // 2
    # ...which is the SFT stage's last checkpoint, and the reference saved in every dpo checkpoint.
    for folder in (out / "checkpoints" / "step-4", out / "checkpoints" / "step-8" / "ref"):
        assert all(torch.equal(t, sft[k]) for k, t in lora_tensors(folder).items())
    reader = GGUFReader(str(out / "adapter.gguf"))
    assert len(reader.tensors) == 30 * 4 * 2


def test_sft_stage_is_the_sft_only_run(run: dict, dataset: Path, tmp_path: Path) -> None:
    job = smoke_job(dataset, tmp_path / "sft-only", dpo=DPO)
    code, events, stderr = run_train(job, tmp_path)
    assert code == 0, stderr[-3000:]
    result = events[-1]
    assert result["stages"] == ["sft"] and result["dpo"] is None
    assert result["run_id"] != run["events"][-1]["run_id"]
    record = json.loads((tmp_path / "sft-only" / "run.json").read_text())
    assert "stages" not in record["config"] and "dpo" not in record["config"] and record["dpo"] is None
    assert not (tmp_path / "sft-only" / "sft-adapter").exists()
    assert {e["step"]: e["loss"] for e in events if e["event"] == "progress"} == {
        step: e["loss"] for step, e in progress(run["events"], "sft").items()
    }
    sft = lora_tensors(run["out"] / "sft-adapter")
    assert all(torch.equal(t, sft[k]) for k, t in lora_tensors(tmp_path / "sft-only" / "adapter").items())


def test_resume_in_the_dpo_stage_continues_exactly(run: dict, dataset: Path, tmp_path: Path) -> None:
    job = dpo_job(dataset, tmp_path / "resumed", resume_from=str(run["out"] / "checkpoints" / "step-6"))
    code, events, stderr = run_train(job, tmp_path)
    assert code == 0, stderr[-3000:]
    assert not progress(events, "sft"), "a dpo checkpoint must not train SFT again"
    first = progress(run["events"], "dpo")
    assert {s: e["loss"] for s, e in progress(events, "dpo").items()} == {3: first[3]["loss"], 4: first[4]["loss"]}
    result = events[-1]
    assert result["resumed_from"] == 6 and result["dpo"]["resumed_from"] == 2
    # SFT's figures come from the checkpoint; the SFT adapter from its reference copy.
    record = json.loads((tmp_path / "resumed" / "run.json").read_text())
    original = json.loads((run["out"] / "run.json").read_text())
    assert record["losses"] == original["losses"] and record["validation_loss"] == original["validation_loss"]
    sft = lora_tensors(run["out"] / "sft-adapter")
    assert all(torch.equal(t, sft[k]) for k, t in lora_tensors(tmp_path / "resumed" / "sft-adapter").items())
    final = lora_tensors(run["out"] / "adapter")
    for key, tensor in lora_tensors(tmp_path / "resumed" / "adapter").items():
        torch.testing.assert_close(tensor, final[key], rtol=1e-5, atol=1e-6)


def test_resume_in_the_sft_stage_finishes_sft_then_runs_dpo(run: dict, dataset: Path, tmp_path: Path) -> None:
    job = dpo_job(dataset, tmp_path / "resumed", resume_from=str(run["out"] / "checkpoints" / "step-4"))
    code, events, stderr = run_train(job, tmp_path)
    assert code == 0, stderr[-3000:]
    assert list(progress(events, "sft")) == [] and events[-1]["resumed_from"] == 4
    # SFT was done at step 4: the whole dpo stage runs, exactly as in the uninterrupted run.
    first = progress(run["events"], "dpo")
    assert {s: e["loss"] for s, e in progress(events, "dpo").items()} == {s: e["loss"] for s, e in first.items()}
    assert events[-1]["dpo"]["resumed_from"] is None
    sft = lora_tensors(run["out"] / "sft-adapter")
    assert all(torch.equal(t, sft[k]) for k, t in lora_tensors(tmp_path / "resumed" / "sft-adapter").items())


def test_bad_stages_and_missing_pairs_are_bad_input(run: dict, dataset: Path, tmp_path: Path) -> None:
    empty = make_dataset(tmp_path / "no-pairs", rows=8, validation=2)
    (empty / "dpo" / "train.jsonl").write_text("", encoding="utf-8")
    cases = {
        'stages: ["dpo"] is not ["sft"] or ["sft", "dpo"]': smoke_job(dataset, tmp_path / "o1", stages=["dpo"]),
        "stages: must be a list of strings": smoke_job(dataset, tmp_path / "o2", stages="sft,dpo"),
        "dpo.beta: must be > 0": dpo_job(dataset, tmp_path / "o3", dpo={"beta": 0}),
        "dpo split train has no rows": dpo_job(empty, tmp_path / "o4"),
        # A checkpoint of the sft+dpo run is not one of an SFT-only run (its id differs).
        "not of this run": smoke_job(dataset, tmp_path / "o5", resume_from=str(run["out"] / "checkpoints" / "step-8")),
    }
    for expected, job in cases.items():
        code, events, stderr = run_train(job, tmp_path)
        assert code == 2, f"{expected}: exit {code}\n{stderr[-2000:]}"
        assert events[-1]["event"] == "error" and events[-1]["kind"] == "bad-input", expected
        assert expected in events[-1]["message"], events[-1]["message"]
