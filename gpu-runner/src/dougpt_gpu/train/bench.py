"""Training throughput: the train job's trainer against plain HF Trainer + PEFT, same model, data and batch size.

    python -m dougpt_gpu.train.bench --rows 96 --steps 6 --rounds 2 --batch-size 8 --threads 1 [--with-ungrouped]

(`npx tsx tests/bench/train.bench.ts` runs it and prints the figures.) Real tokens/s = non-padding tokens trained
on / wall time of the optimizer steps (forward, backward, step; the first step of each run is a warm-up and not
counted). Every side runs on the embedded SmolLM2-135M with the same LoRA (r16 on q/k/v/o), the same token ids and
labels, the same batch size and thread count, alternating round by round so a change in machine load hits all of
them; medians are reported. The baseline is the strongest simple method a user would set up: HF Trainer + PEFT with
length grouping (one flag: `train_sampling_strategy="group_by_length"`, `group_by_length=True` before transformers
5), each batch padded to its longest row, the model's own loss over full logits. `--with-ungrouped` adds what a
user writes first, the same without the flag (random batches). Prints one JSON line on stdout.
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


class StepTimer:
    """Trainer callback: wall time, process CPU time and real tokens of every step after the first.

    CPU time (all threads of this process) is what the step cost; on a shared machine it moves far less with the
    other processes' load than wall time does, so both are reported.
    """

    def __init__(self, tokens: Any) -> None:
        from transformers import TrainerCallback

        timer = self

        class _Callback(TrainerCallback):
            def on_step_begin(self, args, state, control, **kwargs):  # type: ignore[no-untyped-def]
                timer.started, timer.cpu_started, timer.tokens_before = time.perf_counter(), time.process_time(), tokens()

            def on_step_end(self, args, state, control, **kwargs):  # type: ignore[no-untyped-def]
                if state.global_step > 1:
                    timer.seconds += time.perf_counter() - timer.started
                    timer.cpu_seconds += time.process_time() - timer.cpu_started
                    timer.tokens += tokens() - timer.tokens_before

        self.callback = _Callback()
        self.seconds = 0.0
        self.cpu_seconds = 0.0
        self.tokens = 0
        self.started = 0.0
        self.cpu_started = 0.0
        self.tokens_all = 0
        self.tokens_before = 0

    def report(self, positions: int) -> dict[str, float]:
        return {
            "tokens_per_s": self.tokens / self.seconds if self.seconds else 0.0,
            "tokens_per_cpu_s": self.tokens / self.cpu_seconds if self.cpu_seconds else 0.0,
            "seconds": self.seconds,
            "cpu_seconds": self.cpu_seconds,
            "tokens": self.tokens,
            "padding": 1 - (self.tokens_all / positions) if positions else 0.0,
        }


def ours(dataset: Path, steps: int, batch: int, threads: int, work: Path) -> dict[str, float]:
    from ..models.registry import resolve_base
    from .data import read_sft
    from .job import TrainJob
    from .run import build_trainer

    job = TrainJob.from_dict({
        "dataset": str(dataset), "out": str(work / "ours"), "preset": "cpu-smoke", "threads": threads,
        "optim": {"max_steps": steps}, "batch": {"batch_size": batch}, "checkpoint": {"every_steps": 0},
    })
    built = build_trainer(job, resolve_base("smollm2-135m"), read_sft(str(dataset), "train"), [], "bench", lambda *a, **k: None)
    timer = StepTimer(lambda: built.trainer.real_tokens)
    built.trainer.add_callback(timer.callback)
    built.trainer.remove_callback(built.events)
    built.trainer.train()
    timer.tokens_all = built.trainer.real_tokens
    return timer.report(built.trainer.positions)


def hf_trainer(dataset: Path, steps: int, batch: int, threads: int, work: Path, grouped: bool = True) -> dict[str, float]:
    """HF Trainer + PEFT, each batch padded to its longest row, the model's own loss over full logits; with
    `grouped`, batches of similar lengths (the Trainer's length-grouped sampler), else random batches."""
    import torch
    import transformers
    from datasets import Dataset
    from peft import get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer, Trainer, TrainingArguments

    from ..models.registry import resolve_base
    from .data import read_sft, tokenize_rows
    from .job import LoraOptions, to_lora_config
    from .progress import quiet_trainer

    torch.set_num_threads(threads)
    transformers.utils.logging.disable_progress_bar()
    hf_dir = resolve_base("smollm2-135m").hf_dir
    tokenizer = AutoTokenizer.from_pretrained(hf_dir)
    transformers.set_seed(0)
    model = get_peft_model(AutoModelForCausalLM.from_pretrained(hf_dir, dtype=torch.float32), to_lora_config(LoraOptions()))
    tokens = tokenize_rows(tokenizer, read_sft(str(dataset), "train"), 256)
    labels = [[t if m else -100 for t, m in zip(ids, mask)] for ids, mask in zip(tokens.input_ids, tokens.completion_mask)]
    data = Dataset.from_dict({"input_ids": tokens.input_ids, "labels": labels, "length": [len(i) for i in tokens.input_ids]})
    seen = {"tokens": 0, "positions": 0}

    def collate(rows: list[dict[str, Any]]) -> dict[str, Any]:
        longest = max(len(r["input_ids"]) for r in rows)
        pad = tokenizer.pad_token_id
        ids = torch.tensor([r["input_ids"] + [pad] * (longest - len(r["input_ids"])) for r in rows])
        mask = torch.tensor([[1] * len(r["input_ids"]) + [0] * (longest - len(r["input_ids"])) for r in rows])
        lab = torch.tensor([r["labels"] + [-100] * (longest - len(r["labels"])) for r in rows])
        return {"input_ids": ids, "attention_mask": mask, "labels": lab}

    grouping: dict[str, Any] = {}
    if grouped:
        fields = inspect.signature(TrainingArguments).parameters
        flag = {"train_sampling_strategy": "group_by_length"} if "train_sampling_strategy" in fields else {"group_by_length": True}
        grouping = {**flag, "length_column_name": "length"}
    args = TrainingArguments(
        output_dir=str(work / ("grouped" if grouped else "ungrouped")), max_steps=steps, per_device_train_batch_size=batch,
        learning_rate=1e-3, use_cpu=True, report_to="none", disable_tqdm=True, save_strategy="no", logging_steps=1,
        seed=0, remove_unused_columns=False, **grouping,
    )

    class CountingTrainer(Trainer):
        # Counted where the batch is consumed, as ReplyLossTrainer counts (batches are drawn before a step begins).
        def compute_loss(self, model, inputs, *rest, **kwargs):  # type: ignore[no-untyped-def]
            seen["tokens"] += int(inputs["attention_mask"].sum())
            seen["positions"] += int(inputs["input_ids"].numel())
            return super().compute_loss(model, inputs, *rest, **kwargs)

    timer = StepTimer(lambda: seen["tokens"])
    trainer = CountingTrainer(model=model, args=args, train_dataset=data, data_collator=collate, callbacks=[timer.callback])
    sampler = type(trainer._get_train_sampler()).__name__
    if grouped and sampler != "LengthGroupedSampler":
        raise SystemExit(f"train bench: the grouped baseline must group by length, got the {sampler}")
    quiet_trainer(trainer)
    trainer.train()
    timer.tokens_all = seen["tokens"]
    return timer.report(seen["positions"])


def ungrouped(dataset: Path, steps: int, batch: int, threads: int, work: Path) -> dict[str, float]:
    return hf_trainer(dataset, steps, batch, threads, work, grouped=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=96)
    parser.add_argument("--steps", type=int, default=6)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--with-ungrouped", action="store_true", help="also run HF Trainer without length grouping")
    args = parser.parse_args()
    from .sample_data import write_dataset

    sides = [("baseline", hf_trainer), ("ours", ours)] + ([("ungrouped", ungrouped)] if args.with_ungrouped else [])
    real_stdout = sys.stdout
    sys.stdout = sys.stderr
    with tempfile.TemporaryDirectory(prefix="dougpt-train-bench-") as tmp:
        work = Path(tmp)
        write_dataset(work / "ds", rows=args.rows, seed=1, validation=0)
        runs: dict[str, list[dict[str, float]]] = {name: [] for name, _ in sides}
        for _ in range(args.rounds):
            for name, fn in sides:
                runs[name].append(fn(work / "ds", args.steps, args.batch_size, args.threads, work))
                last = runs[name][-1]
                print(f"{name}: {last['tokens_per_s']:.1f} real tokens/s, {last['tokens_per_cpu_s']:.1f} per CPU-s, "
                      f"padding {last['padding']:.0%}", file=sys.stderr)
    sys.stdout = real_stdout
    median = {name: round(statistics.median(r["tokens_per_s"] for r in rs), 1) for name, rs in runs.items()}
    cpu = {name: round(statistics.median(r["tokens_per_cpu_s"] for r in rs), 1) for name, rs in runs.items()}
    print(json.dumps({
        "rows": args.rows, "steps": args.steps, "rounds": args.rounds, "batch_size": args.batch_size,
        "threads": args.threads, "load_avg": os.getloadavg()[0],
        "baseline": "HF Trainer + PEFT, group_by_length",
        "tokens_per_s": median, "tokens_per_cpu_s": cpu,
        "ratio": round(median["ours"] / median["baseline"], 3) if median["baseline"] else None,
        "cpu_ratio": round(cpu["ours"] / cpu["baseline"], 3) if cpu["baseline"] else None,
        "runs": runs,
    }))


if __name__ == "__main__":
    main()
