"""Data-parallel training on CPU: 2 gloo ranks against 1 process with the same global batch, on a tiny random Qwen2.

Tolerances: the ranks add the same per-token losses in another order (two halves, then an all-reduce), so fp32
rounding differs; measured differences are ~1e-6 on the loss and ~4e-8 on the adapter weights. Ranks that did not
all-reduce their gradients (each stepping on its half of the batch) differ by ~2e-3 on the loss from step 3 and ~8e-3
on the adapter weights, so the tolerances below (1e-4 and 1e-5) tell the two apart.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from train_fixtures import make_dataset, run_train, tiny_base

LOSS_ATOL = 1e-4
WEIGHT_ATOL = 1e-5
STEPS = 10


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_base(tmp_path_factory.mktemp("tiny-qwen2"), "qwen2")


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # 32 rows: whole global batches of 4 every epoch (a partial last batch is filled from the epoch's start by the
    # ranks, not by one process).
    return make_dataset(tmp_path_factory.mktemp("ds"), rows=32, validation=0)


def job(dataset: Path, base: Path, out: Path, processes: int, **extra: object) -> dict:
    return {
        "dataset": str(dataset), "out": str(out), "preset": "cpu-smoke", "base_model": str(base), "threads": 1,
        "processes": processes,
        "optim": {"max_steps": STEPS, "warmup_steps": 1},
        "batch": {"batch_size": 4, "max_length": 192},
        "checkpoint": {"every_steps": 5, "keep_last": 2},
        **extra,
    }


@pytest.fixture(scope="module")
def one_process(dataset: Path, base: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    tmp = tmp_path_factory.mktemp("one")
    code, events, stderr = run_train(job(dataset, base, tmp / "out", 1), tmp)
    assert code == 0, stderr[-3000:]
    return {"events": events, "out": tmp / "out"}


def losses(events: list[dict]) -> dict[int, float]:
    return {e["step"]: e["loss"] for e in events if e["event"] == "progress"}


def adapter(folder: Path) -> dict:
    from safetensors.torch import load_file

    return load_file(str(folder / "adapter_model.safetensors"))


def assert_close_curves(got: dict[int, float], want: dict[int, float]) -> None:
    assert sorted(got) == sorted(want)
    worst = max(abs(got[s] - want[s]) for s in got)
    assert worst < LOSS_ATOL, f"loss curves differ by {worst:.2e} (tolerance {LOSS_ATOL:.0e}): {got} vs {want}"


def descendants(pid: int) -> set[int]:
    """Every live process below `pid` in the process table (children re-parented elsewhere are not seen)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_two_gloo_ranks_train_what_one_process_trains_then_a_killed_run_resumes_with_any_n(
    one_process: dict, dataset: Path, base: Path, tmp_path: Path
) -> None:
    # Two ranks, killed (SIGKILL, as a dead worker's runner would be) once the step-5 checkpoint is sealed.
    out = tmp_path / "two"
    job_file = tmp_path / "two.json"
    job_file.write_text(json.dumps(job(dataset, base, out, 2)))
    env = {**os.environ, "OMP_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "dougpt_gpu", "train", "--input", str(job_file)],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env,
    )
    first: list[dict] = []
    assert proc.stdout is not None
    for line in proc.stdout:
        first.append(json.loads(line))
        if first[-1]["event"] == "checkpoint":
            break
    ranks = descendants(proc.pid)
    proc.kill()
    proc.wait()
    assert first[-1] == {**first[-1], "event": "checkpoint", "step": 5}
    # The launcher and both ranks (plus torchrun's own helpers) were there; none outlives the killed job.
    assert len(ranks) >= 3, ranks
    deadline = time.monotonic() + 30
    while any(running(pid) for pid in ranks) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not [pid for pid in ranks if running(pid)], "ranks outlived their killed launcher"

    # Only rank 0 reported: one line per step.
    want = losses(one_process["events"])
    assert [e["step"] for e in first if e["event"] == "progress"] == [1, 2, 3, 4, 5]
    checkpoint = out / "checkpoints" / "step-5"
    assert {"rng_state_0.pth", "rng_state_1.pth", "dougpt-checkpoint.json"} <= {p.name for p in checkpoint.iterdir()}

    # Resumed with 2 ranks: the curve (steps 1-5 before the kill, 6-10 after) and the adapter are one process's.
    code, events, stderr = run_train(job(dataset, base, out, 2, resume_from=str(out / "checkpoints")), tmp_path)
    assert code == 0, stderr[-3000:]
    assert events[-1]["resumed_from"] == 5 and events[-1]["processes"] == 2
    assert events[-1]["run_id"] == one_process["events"][-1]["run_id"]  # N is not part of the run's identity
    assert_close_curves({**losses(first), **losses(events)}, want)
    mine, theirs = adapter(out / "adapter"), adapter(one_process["out"] / "adapter")
    assert mine.keys() == theirs.keys()
    worst = max(float((mine[k] - theirs[k]).abs().max()) for k in mine)
    assert worst < WEIGHT_ATOL, f"adapters differ by {worst:.2e}"
    run = json.loads((out / "run.json").read_text())
    assert run["processes"] == 2 and run["loss_path"] == "forward" and "data-parallel" in run["loss_path_reason"]
    assert json.loads((one_process["out"] / "run.json").read_text())["loss_path"] == "direct"

    # The same 2-rank checkpoint resumed by one process continues the same curve.
    alone = tmp_path / "alone"
    code, events, stderr = run_train(job(dataset, base, alone, 1, resume_from=str(checkpoint)), tmp_path)
    assert code == 0, stderr[-3000:]
    assert events[-1]["processes"] == 1
    assert_close_curves(losses(events), {s: v for s, v in want.items() if s > 5})


def test_parallel_bad_input_is_named_before_any_rank_starts(dataset: Path, base: Path, tmp_path: Path) -> None:
    from dougpt_gpu.errors import BadInput
    from dougpt_gpu.train.job import TrainJob

    code, events, stderr = run_train(job(dataset, base, tmp_path / "a", 3), tmp_path)
    assert code == 2 and events == [{"event": "error", "kind": "bad-input", "message": events[-1]["message"]}], stderr[-2000:]
    assert "processes: batch.batch_size 4 is not divisible by the 3 ranks" in events[-1]["message"]
    assert "torch.distributed.run" not in stderr
    cases = {
        "rendezvous: '--nproc-per-node=4' is not one of": job(dataset, base, tmp_path / "b", 2, rendezvous=["--nproc-per-node=4"]),
        "the preference stage": job(dataset, base, tmp_path / "c", 2, stages=["sft", "dpo"]),
        "processes: must be >= 1": job(dataset, base, tmp_path / "d", 0),
        "--nnodes must be a fixed number": job(dataset, base, tmp_path / "e", 2, rendezvous=["--nnodes=1:2"]),
    }
    for expected, bad in cases.items():
        with pytest.raises(BadInput, match=expected.replace("(", r"\(").replace("[", r"\[")):
            TrainJob.from_dict(bad)


def test_launcher_command_passes_rendezvous_through(dataset: Path, base: Path, tmp_path: Path) -> None:
    from dougpt_gpu.train.job import TrainJob
    from dougpt_gpu.train.launch import launcher_argv

    two_hosts = TrainJob.from_dict(job(dataset, base, tmp_path / "o", 2, rendezvous=[
        "--nnodes=2", "--node-rank=1", "--rdzv-backend=c10d", "--rdzv-endpoint=10.0.0.1:29500", "--rdzv-id=run7",
    ]))
    argv = launcher_argv(two_hosts, "job.json", "INFO")
    assert argv[:3] == ["-m", "torch.distributed.run", "--nproc-per-node=2"]
    assert "--standalone" not in argv and "--rdzv-endpoint=10.0.0.1:29500" in argv and "--node-rank=1" in argv
    assert argv[argv.index("-m", 1) :][:3] == ["-m", "dougpt_gpu", "train"]
    # 2 hosts x 2 ranks: the global batch of 4 splits into one row per rank; 2 hosts x 3 ranks does not.
    with pytest.raises(Exception, match="not divisible by the 6 ranks"):
        TrainJob.from_dict(job(dataset, base, tmp_path / "o", 3, rendezvous=["--nnodes=2"]))
    alone = launcher_argv(TrainJob.from_dict(job(dataset, base, tmp_path / "o", 2)), "job.json", "INFO")
    assert "--standalone" in alone
    assert TrainJob.from_dict(job(dataset, base, tmp_path / "o", 2)).config() == TrainJob.from_dict(job(dataset, base, tmp_path / "o", 1)).config()
