"""Trainer callback that turns steps and saves into the job's JSON lines.

    python -m dougpt_gpu train --input job.json

`progress` after every optimizer step (stage, step, max_steps, loss, learning_rate, grad_norm, tokens_per_s, eta_s;
the dpo stage adds reward_accuracy and reward_margin) and `checkpoint` (step, stage, stage_step, path) once a
checkpoint is sealed, so the TypeScript activity can upload it. A progress line counts the steps of its stage; a
checkpoint's `step` is the run's (all stages: its folder's `step-N`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from transformers import TrainerCallback

from . import checkpoints, distributed

Emit = Callable[..., None]


class JobEvents(TrainerCallback):
    """Reports each step and seals each checkpoint. `losses` keeps (step, loss) for run.json."""

    def __init__(
        self,
        emit: Emit,
        run_id: str,
        checkpoint_dir: Path,
        keep_last: int,
        tokens: Callable[[], int],
        stage: str = "sft",
        step_offset: int = 0,
        extra_files: dict[str, str] | None = None,
    ) -> None:
        """`step_offset`: the run's steps before this stage; `extra_files`: name → text added to each checkpoint."""
        self.emit = emit
        self.run_id = run_id
        self.stage = stage
        self.step_offset = step_offset
        self.extra_files = dict(extra_files or {})
        # (step, {reward_accuracy, reward_margin}) of the dpo stage's steps.
        self.rewards: list[tuple[int, dict[str, float]]] = []
        self.checkpoint_dir = checkpoint_dir
        self.keep_last = keep_last
        self.tokens = tokens
        self.losses: list[tuple[int, float]] = []
        self.saved: list[tuple[int, str]] = []
        self.train_seconds = 0.0
        self.train_tokens = 0
        self._step_started = 0.0
        self._tokens_at_start = 0
        self._first_step: int | None = None

    def on_step_begin(self, args, state, control, **kwargs):  # type: ignore[no-untyped-def]
        self._step_started = time.monotonic()
        self._tokens_at_start = self.tokens()
        if self._first_step is None:
            self._first_step = state.global_step

    def on_step_end(self, args, state, control, **kwargs):  # type: ignore[no-untyped-def]
        # Timed from the step's first forward to the optimizer step: logging and saving stay out of tokens/s.
        self.train_seconds += time.monotonic() - self._step_started
        self.train_tokens += self.tokens() - self._tokens_at_start

    def on_log(self, args, state, control, logs=None, **kwargs):  # type: ignore[no-untyped-def]
        if not logs or "loss" not in logs:
            return
        step = state.global_step
        loss = float(logs["loss"])
        self.losses.append((step, loss))
        done = step - (self._first_step or 0)
        per_step = self.train_seconds / done if done else 0.0
        rewards = _rewards(logs)
        if rewards:
            self.rewards.append((step, rewards))
        self.emit(
            "progress",
            stage=self.stage,
            step=step,
            max_steps=state.max_steps,
            loss=loss,
            learning_rate=float(logs.get("learning_rate", 0.0)),
            grad_norm=round(float(logs["grad_norm"]), 6) if logs.get("grad_norm") is not None else None,
            tokens_per_s=round(self.tokens_per_s(), 1),
            eta_s=round(per_step * (state.max_steps - step), 1),
            **rewards,
        )

    def on_save(self, args, state, control, **kwargs):  # type: ignore[no-untyped-def]
        # Every rank writes its RNG state into the folder: all must be done before rank 0 hashes and renames it.
        distributed.barrier()
        if not state.is_world_process_zero:
            return
        step = state.global_step
        written = self.checkpoint_dir / f"checkpoint-{step}"
        if not written.is_dir():
            return
        for name, text in self.extra_files.items():
            (written / name).write_text(text, encoding="utf-8")
        run_step = self.step_offset + step
        sealed = checkpoints.seal(written, self.run_id, run_step, self.stage, step)
        checkpoints.prune(self.checkpoint_dir, self.keep_last)
        self.saved.append((run_step, str(sealed)))
        self.emit("checkpoint", step=run_step, stage=self.stage, stage_step=step, path=str(sealed))

    def seconds_per_step(self, last_step: int) -> float | None:
        """Mean time of the steps run in this process (from the first forward to the optimizer step)."""
        done = last_step - (self._first_step or 0)
        return self.train_seconds / done if done > 0 else None

    def tokens_per_s(self) -> float:
        return self.train_tokens / self.train_seconds if self.train_seconds else 0.0


def _rewards(logs: dict[str, Any]) -> dict[str, float]:
    """TRL's DPO reward metrics of a step (absent on SFT steps): the share of pairs whose chosen reply gained more
    log-probability over the reference than the rejected one, and the mean gap (both times beta)."""
    found = {}
    for key, name in (("rewards/accuracies", "reward_accuracy"), ("rewards/margins", "reward_margin")):
        if logs.get(key) is not None:
            found[name] = round(float(logs[key]), 6)
    return found


def quiet_trainer(trainer: Any) -> None:
    """Trainer prints its logs to stdout when tqdm is off and draws bars otherwise: stdout is the job's protocol."""
    from transformers.trainer_callback import PrinterCallback, ProgressCallback

    trainer.remove_callback(PrinterCallback)
    trainer.remove_callback(ProgressCallback)
