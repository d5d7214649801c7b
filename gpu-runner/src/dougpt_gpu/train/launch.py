"""A train job with `"processes": N > 1` (or rendezvous options) runs as N data-parallel ranks under torchrun.

    python -m dougpt_gpu train --input job.json        (the runner starts this; it starts the ranks)

This process stays what the runner sees (one child, JSON lines on stdout, SIGTERM to cancel): it starts
`python -m torch.distributed.run --nproc-per-node N … -m dougpt_gpu train --input job.json`, relays rank 0's lines
(the only rank that writes events), and exits as rank 0's last line says. A cancel reaches every rank: SIGTERM goes
to the launcher, which ends its ranks (torchrun's own shutdown); the launcher is started with a parent-death signal,
so it ends when this process is killed outright; and each rank's orphan guard ends it when the launcher is gone.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from . import distributed
from .job import TrainJob

log = logging.getLogger("dougpt_gpu.train")
# Seconds the ranks get to stop after a cancel before the launcher is killed (the runner's own grace is 5 s).
STOP_GRACE_S = 4.0
# Runs the launcher with PR_SET_PDEATHSIG = SIGTERM (kept across exec): it cannot outlive this process.
_WITH_PARENT_DEATH_SIGNAL = (
    "import ctypes, os, signal, sys\n"
    "ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)\n"
    "if os.getppid() != int(sys.argv[1]): sys.exit(1)\n"
    "os.execv(sys.executable, [sys.executable, *sys.argv[2:]])\n"
)


def should_launch(raw: dict[str, Any]) -> bool:
    """True for a job that asks for several processes and is not already one of the ranks."""
    if distributed.is_rank():
        return False
    job = TrainJob.from_dict(raw)
    return job.processes > 1 or bool(job.rendezvous)


def launcher_argv(job: TrainJob, job_file: str, log_level: str) -> list[str]:
    """torchrun's command line for a job (pure).

    launcher_argv(job with processes 2, "job.json", "INFO")
    → ['-m', 'torch.distributed.run', '--nproc-per-node=2', '--standalone', '-m', 'dougpt_gpu', 'train', ...]
    """
    # One host and no rendezvous given: torchrun picks a free port itself (several jobs may run side by side).
    where = list(job.rendezvous) if job.rendezvous else ["--standalone"]
    return [
        "-m", "torch.distributed.run", f"--nproc-per-node={job.processes}", *where,
        "-m", "dougpt_gpu", "train", "--input", job_file, "--log-level", log_level,
    ]


def launch(raw: dict[str, Any], log_level: str) -> int:
    """Runs the job as ranks; returns the exit code (0 result, 2 bad input, 1 failure) after relaying rank 0's lines."""
    job = TrainJob.from_dict(raw)
    with tempfile.TemporaryDirectory(prefix="dougpt-train-") as scratch:
        job_file = Path(scratch) / "job.json"
        job_file.write_text(json.dumps(raw), encoding="utf-8")
        argv = [sys.executable, "-c", _WITH_PARENT_DEATH_SIGNAL, str(os.getpid()), *launcher_argv(job, str(job_file), log_level)]
        env = {k: v for k, v in os.environ.items() if k != "DOUGPT_RUNNER_PID"}
        # torchrun sets one thread per rank when unset; the job's `threads` (per rank) wins inside the ranks.
        env.setdefault("OMP_NUM_THREADS", str(job.threads or 1))
        log.info("starting %d ranks: %s", job.processes, " ".join(argv[4:]))
        child = subprocess.Popen(argv, stdout=subprocess.PIPE, env=env, text=True, bufsize=1)
        try:
            last = _relay(child)
            code = child.wait()
        except KeyboardInterrupt:
            _stop(child)
            raise
    return _exit_code(last, code)


def _relay(child: subprocess.Popen[str]) -> dict[str, Any] | None:
    """Copies rank 0's JSON lines to stdout; anything else on the ranks' stdout goes to stderr. Returns the last event."""
    last = None
    assert child.stdout is not None
    for line in child.stdout:
        try:
            event = json.loads(line)
        except json.JSONDecodeError:
            event = None
        if isinstance(event, dict) and "event" in event:
            sys.stdout.write(line if line.endswith("\n") else line + "\n")
            sys.stdout.flush()
            last = event
        else:
            sys.stderr.write(line)
    return last


def _stop(child: subprocess.Popen[str]) -> None:
    """SIGTERM to the launcher (it ends its ranks), then SIGKILL if it is still there after the grace."""
    if child.poll() is not None:
        return
    child.send_signal(signal.SIGTERM)
    try:
        child.wait(timeout=STOP_GRACE_S)
    except subprocess.TimeoutExpired:
        # The ranks' orphan guards end them once their launcher is gone.
        child.kill()
        child.wait()


def _exit_code(last: dict[str, Any] | None, code: int) -> int:
    if last is not None and last.get("event") == "error":
        # Rank 0 already wrote its error line: exit as it did, without a second line.
        return 2 if last.get("kind") == "bad-input" else 1
    if last is not None and last.get("event") == "result" and code == 0:
        return 0
    raise RanksFailed(f"the training ranks exited with code {code} before rank 0 reported (see the ranks' stderr)")


class RanksFailed(Exception):
    """The ranks ended without rank 0's result or error line (a rank other than 0 failed, or was killed)."""
