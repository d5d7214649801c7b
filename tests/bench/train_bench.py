"""Training throughput: the train job's trainer against plain HF Trainer + PEFT with length grouping, the strongest
simple method a user would set up (one flag: `train_sampling_strategy="group_by_length"`, `group_by_length=True`
before transformers 5), same model, data, batch size and threads.

    PYTHONPATH=gpu-runner/src .venv/bin/python tests/bench/train_bench.py --rows 96 --steps 6 --rounds 2 --batch-size 8 --threads 1 [--with-ungrouped]

The measuring (StepTimer: real tokens over the wall and CPU time of every optimizer step after the first) and the
train job's side (`ours`) are the package's own (dougpt_gpu.train.bench); `--with-ungrouped` adds that module's
first-try baseline (random batches) as a third side. Sides alternate round by round so a change in machine load
hits all of them; medians are reported. Prints one JSON line on stdout.
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

from dougpt_gpu.train.bench import StepTimer, naive, ours


def grouped(dataset: Path, steps: int, batch: int, threads: int, work: Path) -> dict[str, float]:
    """HF Trainer + PEFT, batches of similar lengths (the Trainer's length-grouped sampler), each padded to its
    longest row, the model's own loss over full logits."""
    import torch
    import transformers
    from datasets import Dataset
    from peft import get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer, Trainer, TrainingArguments

    from dougpt_gpu.models.registry import resolve_base
    from dougpt_gpu.train.data import read_sft, tokenize_rows
    from dougpt_gpu.train.job import LoraOptions, to_lora_config
    from dougpt_gpu.train.progress import quiet_trainer

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

    fields = inspect.signature(TrainingArguments).parameters
    grouping = {"train_sampling_strategy": "group_by_length"} if "train_sampling_strategy" in fields else {"group_by_length": True}
    args = TrainingArguments(
        output_dir=str(work / "grouped"), max_steps=steps, per_device_train_batch_size=batch, learning_rate=1e-3,
        use_cpu=True, report_to="none", disable_tqdm=True, save_strategy="no", logging_steps=1, seed=0,
        remove_unused_columns=False, length_column_name="length", **grouping,
    )

    class CountingTrainer(Trainer):
        # Counted where the batch is consumed, as the train job's trainer counts.
        def compute_loss(self, model, inputs, *rest, **kwargs):  # type: ignore[no-untyped-def]
            seen["tokens"] += int(inputs["attention_mask"].sum())
            seen["positions"] += int(inputs["input_ids"].numel())
            return super().compute_loss(model, inputs, *rest, **kwargs)

    timer = StepTimer(lambda: seen["tokens"])
    trainer = CountingTrainer(model=model, args=args, train_dataset=data, data_collator=collate, callbacks=[timer.callback])
    sampler = type(trainer._get_train_sampler()).__name__
    if sampler != "LengthGroupedSampler":
        raise SystemExit(f"train_bench.py: the baseline must group by length, got the {sampler}")
    quiet_trainer(trainer)
    trainer.train()
    timer.tokens_all = seen["tokens"]
    return timer.report(seen["positions"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=96)
    parser.add_argument("--steps", type=int, default=6)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--with-ungrouped", action="store_true", help="also run the ungrouped first-try baseline")
    args = parser.parse_args()
    from dougpt_gpu.train.sample_data import write_dataset

    sides = [("baseline", grouped), ("ours", ours)] + ([("ungrouped", naive)] if args.with_ungrouped else [])
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
