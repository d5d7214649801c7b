"""CPU training choices measured through the train job itself, in one run each: precision and processes.

    python -m dougpt_gpu.train.cpu_bench precision [--steps 30] [--rows 128] [--eval-limit 16]
    python -m dougpt_gpu.train.cpu_bench processes [--steps 12] [--rows 64]

`precision`: the `cpu` preset (SmolLM2-135M, LoRA r16 on all linear layers, batch 8 x 2) shortened to `--steps`, in
fp32 and in bf16 (bf16 weights, fp32 LoRA weights, bf16 autocast), same data and seed; then `python -m dougpt_gpu eval`
of both adapters on the validation split. `processes`: the same job as 1 process x 2 threads and as 2 gloo ranks x 1
thread. Each prints one JSON line: tokens/s (real tokens over the optimizer steps' wall time, run.json), the CPU
seconds the job's processes used, the loss curves and, for precision, the evaluation's figures. Runs alternate
nothing: on a shared machine say how loaded it was (the line carries the load average before and after).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dougpt_gpu.train.cpu_bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("compare", choices=["precision", "processes"])
    parser.add_argument("--steps", type=int, default=None, help="optimizer steps per run (precision 30, processes 12)")
    parser.add_argument("--rows", type=int, default=None, help="training rows of the synthetic sample (128 / 64)")
    parser.add_argument("--eval-limit", type=int, default=16, help="validation examples the evaluation scores")
    parser.add_argument("--work", help="scratch folder (default: a temporary one)")
    args = parser.parse_args(argv)
    from .sample_data import write_dataset

    work = Path(args.work or tempfile.mkdtemp(prefix="dougpt-cpu-bench-"))
    rows = args.rows or (128 if args.compare == "precision" else 64)
    write_dataset(work / "ds", rows=rows, seed=0, validation=max(args.eval_limit, 8))
    load_before = os.getloadavg()[0]
    if args.compare == "precision":
        steps = args.steps or 30
        sides = {name: train(work, name, steps, precision=name) for name in ("fp32", "bf16")}
        for name, side in sides.items():
            side["eval"] = evaluate(work, name, args.eval_limit)
        report: dict[str, Any] = {"compare": "precision", "preset": "cpu", "steps": steps, "runs": sides}
        report["bf16_speedup"] = round(sides["bf16"]["tokens_per_s"] / sides["fp32"]["tokens_per_s"], 2)
    else:
        steps = args.steps or 12
        sides = {
            "1x2": train(work, "1x2", steps, precision="fp32", processes=1, threads=2),
            "2x1": train(work, "2x1", steps, precision="fp32", processes=2, threads=1),
        }
        report = {"compare": "processes", "preset": "cpu", "steps": steps, "runs": sides}
        report["two_processes_speedup"] = round(sides["2x1"]["tokens_per_s"] / sides["1x2"]["tokens_per_s"], 2)
    report["load_average"] = {"before": round(load_before, 1), "after": round(os.getloadavg()[0], 1), "cpus": os.cpu_count()}
    sys.stdout.write(json.dumps(report) + "\n")
    return 0


def _job(work: Path, name: str, steps: int, precision: str, processes: int, threads: int) -> dict[str, Any]:
    return {
        "dataset": str(work / "ds"), "out": str(work / name), "preset": "cpu", "precision": precision,
        "threads": threads, "processes": processes, "force": True,
        "optim": {"max_steps": steps, "warmup_steps": 2},
        # Validation loss once, at the end (no checkpoints: they are not what is measured).
        "checkpoint": {"every_steps": 0},
    }


def train(work: Path, name: str, steps: int, precision: str, processes: int = 1, threads: int = 2) -> dict[str, Any]:
    job_file = work / f"{name}.json"
    job_file.write_text(json.dumps(_job(work, name, steps, precision, processes, threads)), encoding="utf-8")
    seconds, cpu, proc = _timed([sys.executable, "-m", "dougpt_gpu", "train", "--input", str(job_file)])
    if proc.returncode != 0:
        raise SystemExit(f"train {name} failed: {proc.stderr.strip().splitlines()[-1:]}")
    run = json.loads((work / name / "run.json").read_text(encoding="utf-8"))
    return {
        "precision": run["precision"], "processes": run["processes"], "threads": threads,
        "tokens_per_s": run["tokens_per_s"], "train_seconds": run["train_seconds"],
        "job_seconds": round(seconds, 1), "job_cpu_seconds": round(cpu, 1),
        "loss_first": run["loss_first"], "loss_last": run["loss_last"], "validation_loss": run["validation_loss"],
        "losses": [round(x["loss"], 4) for x in run["losses"]],
    }


def evaluate(work: Path, name: str, limit: int) -> dict[str, Any]:
    job = {
        "dataset": str(work / "ds"), "adapter": str(work / name), "split": "validation", "limit": limit,
        "out": str(work / f"eval-{name}"), "threads": 2, "ranking_candidates": 20, "classifier_folds": 2,
        "dtype": "float32",
    }
    job_file = work / f"eval-{name}.json"
    job_file.write_text(json.dumps(job), encoding="utf-8")
    seconds, _, proc = _timed([sys.executable, "-m", "dougpt_gpu", "eval", "--input", str(job_file)])
    if proc.returncode != 0:
        raise SystemExit(f"eval {name} failed: {proc.stderr.strip().splitlines()[-1:]}")
    result = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")][-1]
    report = json.loads(Path(result["eval_json"]).read_text(encoding="utf-8"))
    figures, ranking = report["adapter"], report["adapter"].get("ranking") or {}
    return {
        "seconds": round(seconds, 1),
        "n_examples": report["n_examples"],
        "perplexity": figures.get("perplexity"),
        "contextual_lift": figures.get("contextual_lift"),
        "ranking_mrr": ranking.get("mrr"),
        "ranking_r_at_5": ranking.get("r_at_5"),
        "lift_vs_base": report.get("lift_vs_base"),
    }


def _timed(argv: list[str]) -> tuple[float, float, subprocess.CompletedProcess[str]]:
    """Wall seconds, CPU seconds of the child and its children, and the finished process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    env = {**os.environ, "TOKENIZERS_PARALLELISM": "false"}
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, check=False)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return time.monotonic() - started, cpu, proc


if __name__ == "__main__":
    sys.exit(main())
