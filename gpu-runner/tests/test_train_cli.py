"""`python -m dougpt_gpu train` end to end on the embedded SmolLM2: contract, invariants, determinism, resume."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch
from train_fixtures import make_dataset, run_train, smoke_job, smollm2_dir, trained

torch.set_num_threads(1)
PROGRESS_FIELDS = {"step", "max_steps", "loss", "learning_rate", "tokens_per_s", "eta_s"}


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    smollm2_dir()
    return make_dataset(tmp_path_factory.mktemp("ds"))


@pytest.fixture(scope="module")
def first_run(dataset: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    tmp = tmp_path_factory.mktemp("run-a")
    return trained(smoke_job(dataset, tmp / "out"), tmp)


def losses(events: list[dict]) -> dict[int, float]:
    return {e["step"]: e["loss"] for e in events if e["event"] == "progress"}


def test_contract(first_run: dict) -> None:
    events, out = first_run["events"], first_run["out"]
    assert [e["event"] for e in events][-1] == "result"
    progress = [e for e in events if e["event"] == "progress"]
    assert [e["step"] for e in progress] == [1, 2, 3, 4]
    for e in progress:
        assert set(e) >= PROGRESS_FIELDS and e["max_steps"] == 4 and e["loss"] > 0 and e["eta_s"] >= 0
        assert e["stage"] == "sft" and "reward_accuracy" not in e
    assert progress[-1]["tokens_per_s"] > 0
    saved = [e for e in events if e["event"] == "checkpoint"]
    assert [e["step"] for e in saved] == [2, 4]
    for e in saved:
        assert Path(e["path"]).name == f"step-{e['step']}" and (Path(e["path"]) / "optimizer.pt").is_file()

    result = events[-1]
    assert result["reused"] is False and result["steps"] == 4 and result["base_model"] == "smollm2-135m"
    assert result["stages"] == ["sft"] and result["dpo"] is None
    assert len(result["run_id"]) == 16 and len(result["base_sha256"]) == 64
    assert result["loss_first"] == progress[0]["loss"] and result["loss_last"] == progress[-1]["loss"]

    run = json.loads((out / "run.json").read_text())
    assert run["run_id"] == result["run_id"] and run["dataset_id"] == result["dataset_id"]
    assert run["base"]["sha256"] == result["base_sha256"] and run["base"]["gguf"].endswith("model.gguf")
    assert run["preset"] == "cpu-smoke" and run["seed"] == 0 and len(run["config_hash"]) == 64
    assert run["config"]["optim"]["max_steps"] == 4 and "dataset" not in run["config"]
    assert run["libraries"]["torch"] and run["libraries"]["trl"] and run["prompt_spec"]["version"]
    assert run["chat_template"] == "chatml"  # the family the server renders this adapter's prompts in
    assert [x["step"] for x in run["losses"]] == [1, 2, 3, 4] and run["validation_loss"] > 0
    # The validation split is scored at each checkpoint step; the lowest loss picks the adapter kept.
    selection = run["selection"]
    curve = {x["step"]: x["loss"] for x in selection["validation_curve"]}
    assert sorted(curve) == [2, 4]
    assert selection["selected_step"] == min(curve, key=curve.get)
    assert run["validation_loss"] == selection["selected_validation_loss"] == pytest.approx(min(curve.values()))
    from safetensors.torch import load_file

    kept = load_file(str(out / "adapter" / "adapter_model.safetensors"))
    chosen = load_file(str(out / "checkpoints" / f"step-{selection['selected_step']}" / "adapter_model.safetensors"))
    assert kept.keys() == chosen.keys() and all(torch.equal(kept[k], chosen[k]) for k in kept)

    assert (out / "adapter" / "adapter_config.json").is_file()
    assert (out / "adapter" / "adapter_model.safetensors").is_file()
    from gguf import GGUFReader

    reader = GGUFReader(str(out / "adapter.gguf"))
    kinds = {bytes(reader.fields["general.type"].parts[-1]).decode()}
    assert kinds == {"adapter"}
    # q, k, v, o in each of the 30 layers, an A and a B matrix each.
    assert len(reader.tensors) == 30 * 4 * 2


def test_adapter_loads_on_the_base_lora_changed_base_unchanged(first_run: dict) -> None:
    from peft import PeftModel
    from safetensors.torch import load_file
    from transformers import AutoModelForCausalLM

    hf_dir = smollm2_dir()
    base = AutoModelForCausalLM.from_pretrained(str(hf_dir), dtype=torch.float32)
    model = PeftModel.from_pretrained(base, str(first_run["out"] / "adapter"))
    lora = {k: v for k, v in model.state_dict().items() if "lora_" in k}
    assert lora and all(torch.isfinite(v).all() for v in lora.values())
    # LoRA B starts at zero: training moved every one of them.
    b_mats = [v for k, v in lora.items() if "lora_B" in k]
    assert len(b_mats) == 120 and all(v.abs().sum() > 0 for v in b_mats)
    # The frozen base weights equal the safetensors they were loaded from.
    original = load_file(str(hf_dir / "model.safetensors"))
    for name, tensor in model.get_base_model().state_dict().items():
        key = name.replace(".base_layer", "")
        if "lora_" in name or key not in original:
            continue
        assert torch.equal(tensor, original[key]), name
    meta = json.loads((hf_dir / "dougpt-model.json").read_text())
    from dougpt_gpu.models.registry import file_sha256

    assert file_sha256(hf_dir / "model.safetensors") == meta["hf_sha256"]


def test_same_inputs_reuse_the_run(first_run: dict) -> None:
    code, events, stderr = run_train(first_run["job"], first_run["tmp"])
    assert code == 0, stderr
    assert [e["event"] for e in events] == ["result"]
    assert events[0]["reused"] is True and events[0]["run_id"] == first_run["events"][-1]["run_id"]


def test_another_run_in_out_is_refused_unless_out_is_a_scratch_folder(first_run: dict, tmp_path: Path) -> None:
    out = tmp_path / "out"
    shutil.copytree(first_run["out"], out)
    other = {**first_run["job"], "out": str(out), "seed": 5}
    code, events, stderr = run_train(other, tmp_path)
    assert code == 2 and f"holds run {first_run['events'][-1]['run_id']}, not this run" in stderr
    code, events, stderr = run_train({**other, "replace": True, "optim": {"max_steps": 1, "warmup_steps": 0}}, tmp_path)
    assert code == 0, stderr[-3000:]
    assert events[-1]["reused"] is False and events[-1]["run_id"] != first_run["events"][-1]["run_id"]
    assert json.loads((out / "run.json").read_text())["run_id"] == events[-1]["run_id"]
    # The run it replaced left nothing behind: only this run's checkpoints remain.
    assert sorted(p.name for p in (out / "checkpoints").glob("step-*")) == ["step-1"]


def test_same_seed_same_curve_and_resume_continues_exactly(first_run: dict, dataset: Path, tmp_path: Path) -> None:
    again = smoke_job(dataset, tmp_path / "again")
    code, events, stderr = run_train(again, tmp_path)
    assert code == 0, stderr[-3000:]
    assert losses(events) == losses(first_run["events"])

    # Resume from the step-2 checkpoint of the first run: steps 3 and 4 give the uninterrupted run's losses.
    resumed = smoke_job(dataset, tmp_path / "resumed", resume_from=str(first_run["out"] / "checkpoints" / "step-2"))
    code, events, stderr = run_train(resumed, tmp_path)
    assert code == 0, stderr[-3000:]
    assert events[-1]["resumed_from"] == 2
    first = losses(first_run["events"])
    assert losses(events) == {3: first[3], 4: first[4]}


def test_bad_inputs_exit_2(first_run: dict, dataset: Path, tmp_path: Path) -> None:
    cases = {
        "dataset folder not found": smoke_job(tmp_path / "no-such-dataset", tmp_path / "o1"),
        "unknown preset": {**smoke_job(dataset, tmp_path / "o2"), "preset": "cpu-huge"},
        "base_model": {**smoke_job(dataset, tmp_path / "o3"), "preset": "gpu-24gb"},
        "not a base model name": smoke_job(dataset, tmp_path / "o4", base_model=str(tmp_path)),
    }
    corrupt = tmp_path / "corrupt" / "step-2"
    shutil.copytree(first_run["out"] / "checkpoints" / "step-2", corrupt)
    data = bytearray((corrupt / "optimizer.pt").read_bytes())
    data[len(data) // 2] ^= 0xFF
    (corrupt / "optimizer.pt").write_bytes(bytes(data))
    cases["corrupt checkpoint (optimizer.pt does not match"] = smoke_job(dataset, tmp_path / "o5", resume_from=str(corrupt.parent))
    cases["not of this run"] = smoke_job(
        dataset, tmp_path / "o6", seed=1, resume_from=str(first_run["out"] / "checkpoints")
    )
    for expected, job in cases.items():
        code, events, stderr = run_train(job, tmp_path)
        assert code == 2, f"{expected}: exit {code}\n{stderr[-2000:]}"
        assert events[-1]["event"] == "error" and events[-1]["kind"] == "bad-input", expected
        last = stderr.strip().splitlines()[-1]
        assert expected in last and last == f"dougpt_gpu: {events[-1]['message']}", last
