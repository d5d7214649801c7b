"""A ready GPU check: LoRA training of a randomly initialised Qwen2.5-1.5B-shaped model through the project's own train
job and preset, then the evaluator's scorer on the GPU; one JSON report on stdout.

    gpu-runner/device-check.sh [--dry-run]              (sets PYTHONPATH, installs carried wheels)
    python -m dougpt_gpu.train.device_check [--dry-run] [--work DIR] [--steps N]

Nothing is downloaded: the tokenizer is trained here on the synthetic sample (byte-level BPE with ChatML's special
tokens and chat template), the base is a random model of Qwen2.5-1.5B's shape saved in bf16, the dataset is the
synthetic sample. The train job runs as `dougpt train` runs it (`python -m dougpt_gpu train`, preset gpu-80gb: bf16
LoRA r64 on all linear layers, gradient checkpointing, fused AdamW) with `processes` 1. `--dry-run` runs the same
steps on CPU at toy size (2 layers of 64) in about a minute, so the script is tested where no GPU is.

Exit 0 when every check holds (the job succeeded, the loss fell, the scorer's figures are finite and the adapter
changes them), else 1; the report says which failed.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

# Qwen2.5-1.5B-Instruct's config.json (the shape; the weights are random).
QWEN25_15B = {
    "hidden_size": 1536, "intermediate_size": 8960, "num_hidden_layers": 28, "num_attention_heads": 12,
    "num_key_value_heads": 2, "vocab_size": 151936, "max_position_embeddings": 32768, "rope_theta": 1000000.0,
    "rms_norm_eps": 1e-6, "tie_word_embeddings": True,
}
TOY = {
    "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2, "num_attention_heads": 4,
    "num_key_value_heads": 2, "vocab_size": 4096, "max_position_embeddings": 2048, "tie_word_embeddings": True,
}
# What the check needs beyond torch (the GPU image has torch, transformers, peft, accelerate, tokenizers).
NEEDED = ("torch", "transformers", "peft", "accelerate", "trl", "datasets", "tokenizers", "safetensors", "gguf")
CHATML = (
    "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)


class CheckFailed(Exception):
    """A step of the check could not run; the report names it."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="device-check.sh", description=__doc__.split("\n\n")[0])
    parser.add_argument("--dry-run", action="store_true", help="toy model on CPU: the same steps, about a minute")
    parser.add_argument("--work", help="scratch folder (default: a temporary one, removed afterwards)")
    parser.add_argument("--steps", type=int, default=None, help="optimizer steps (default 30; 3 with --dry-run)")
    args = parser.parse_args(argv)
    started = time.monotonic()
    report: dict[str, Any] = {"check": "dougpt device check", "dry_run": args.dry_run, "ok": False}
    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="dougpt-device-check-"))
    try:
        report["environment"] = environment(args.dry_run)
        steps = args.steps or (3 if args.dry_run else 30)
        dataset, rows = sample(work / "ds", rows=64 if args.dry_run else 1024, validation=8 if args.dry_run else 32)
        base = make_base(work / "base", rows, TOY if args.dry_run else QWEN25_15B, "cpu" if args.dry_run else "cuda")
        report["model"] = base
        report["train"] = train(work, dataset, Path(base["path"]), steps, args.dry_run)
        report["scorer"] = score(work, dataset, Path(base["path"]), args.dry_run)
        failed = [name for name, ok in checks(report).items() if not ok]
        report["failed_checks"] = failed
        report["ok"] = not failed
    except CheckFailed as error:
        report["error"] = str(error)
    finally:
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)
    report["elapsed_s"] = round(time.monotonic() - started, 1)
    sys.stdout.write(json.dumps(report) + "\n")
    return 0 if report["ok"] else 1


def checks(report: dict[str, Any]) -> dict[str, bool]:
    """The verdicts the report's `ok` is made of (pure)."""
    train, scorer = report["train"], report["scorer"]
    return {
        "train_job_succeeded": train["exit_code"] == 0,
        "loss_fell": bool(train.get("loss_fell")),
        "ran_on_the_gpu": report["dry_run"] or train.get("device") == "cuda",
        "scores_finite": bool(scorer.get("finite")),
        "adapter_changes_scores": bool(scorer.get("adapter_changes_scores")),
    }


def environment(dry_run: bool) -> dict[str, Any]:
    """Versions of what the check runs on; fails naming every package that is missing."""
    versions: dict[str, Any] = {}
    for name in NEEDED:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    missing = [name for name, version in versions.items() if version is None]
    if missing:
        raise CheckFailed(f"missing Python packages: {', '.join(missing)} (carry them as wheels: docs/distributed-training.md)")
    import torch

    found = {"python": sys.version.split()[0], **versions, "cuda": torch.cuda.is_available()}
    if torch.cuda.is_available():
        found["gpu"] = torch.cuda.get_device_name(0)
        found["gpu_memory_gib"] = round(torch.cuda.get_device_properties(0).total_memory / 2**30, 1)
        found["bf16"] = torch.cuda.is_bf16_supported()
    elif not dry_run:
        raise CheckFailed("torch sees no CUDA GPU (use --dry-run on a machine without one)")
    return found


def sample(folder: Path, rows: int, validation: int) -> tuple[Path, list[dict[str, Any]]]:
    from .data import read_sft
    from .sample_data import write_dataset

    write_dataset(folder, rows=rows, seed=0, validation=validation)
    return folder, read_sft(str(folder), "train") + read_sft(str(folder), "validation")


def make_tokenizer(folder: Path, rows: list[dict[str, Any]], vocab_size: int) -> Any:
    """Byte-level BPE trained on the sample's rendered chats, with ChatML's special tokens and template."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    texts = [m["content"] for row in rows for m in [*row["prompt"], *row["completion"]]]
    bpe.train_from_iterator(texts, trainers.BpeTrainer(
        vocab_size=vocab_size, special_tokens=specials, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    ))
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=bpe, eos_token="<|im_end|>", pad_token="<|endoftext|>", bos_token=None,
        additional_special_tokens=specials[1:],
    )
    tokenizer.chat_template = CHATML
    tokenizer.save_pretrained(str(folder))
    return tokenizer


def make_base(folder: Path, rows: list[dict[str, Any]], shape: dict[str, Any], device: str) -> dict[str, Any]:
    """A randomly initialised Qwen2 of `shape`, in bf16, with the sample's tokenizer, saved as a local base folder."""
    import torch
    from transformers import Qwen2Config, Qwen2ForCausalLM

    started = time.monotonic()
    folder.mkdir(parents=True, exist_ok=True)
    tokenizer = make_tokenizer(folder, rows, vocab_size=min(shape["vocab_size"], 4096))
    config = Qwen2Config(
        **shape, bos_token_id=None, eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id,
        dtype="bfloat16",
    )
    torch.manual_seed(0)
    # Initialised where it trains: 1.5B parameters initialise in seconds on the GPU, minutes on a CPU.
    with torch.device(device):
        model = Qwen2ForCausalLM(config).to(torch.bfloat16)
    model.save_pretrained(str(folder))
    parameters = sum(p.numel() for p in model.parameters())
    del model
    if device == "cuda":
        torch.cuda.empty_cache()
    return {
        "shape": "toy (2 x 64)" if shape is TOY else "Qwen2.5-1.5B",
        "parameters": parameters,
        "path": str(folder),
        "seconds": round(time.monotonic() - started, 1),
    }


def train_job(dataset: Path, base: Path, out: Path, steps: int, dry_run: bool) -> dict[str, Any]:
    """The train job: preset gpu-80gb as it is on a GPU; on CPU (dry run) minus the fused optimizer, at toy batch."""
    job: dict[str, Any] = {
        "dataset": str(dataset), "out": str(out), "preset": "gpu-80gb", "base_model": str(base), "processes": 1,
        # A higher peak than the preset's 1e-4, so that 30 steps move a random model's loss visibly.
        "optim": {"max_steps": steps, "warmup_steps": 1 if dry_run else 3, "learning_rate": 1e-3 if dry_run else 5e-4},
        "checkpoint": {"every_steps": 0 if dry_run else 15, "keep_last": 1},
    }
    if dry_run:
        job.update(device="cpu", threads=2)
        job["optim"]["optimizer"] = "adamw_torch"
        job["batch"] = {"batch_size": 4, "max_length": 256}
    return job


def train(work: Path, dataset: Path, base: Path, steps: int, dry_run: bool) -> dict[str, Any]:
    """Runs `python -m dougpt_gpu train` as the runner does; its figures from the events and run.json."""
    out = work / "run"
    job_file = work / "train-job.json"
    job_file.write_text(json.dumps(train_job(dataset, base, out, steps, dry_run)), encoding="utf-8")
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "dougpt_gpu", "train", "--input", str(job_file)],
        capture_output=True, text=True, env={**os.environ, "TOKENIZERS_PARALLELISM": "false"}, check=False,
    )
    events = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    losses = [e["loss"] for e in events if e.get("event") == "progress"]
    figures: dict[str, Any] = {"exit_code": proc.returncode, "seconds": round(time.monotonic() - started, 1)}
    if proc.returncode != 0:
        figures["error"] = (events[-1].get("message") if events else None) or proc.stderr.strip().splitlines()[-1:]
        raise CheckFailed(f"train job failed (exit {proc.returncode}): {figures['error']}")
    run = json.loads((out / "run.json").read_text(encoding="utf-8"))
    k = max(1, len(losses) // 5)
    figures.update(
        steps=run["steps"], device=run["device"], precision=run["precision"], loss_path=run.get("loss_path"),
        tokens_per_s=run["tokens_per_s"], train_seconds=run["train_seconds"],
        peak_gpu_memory_gib=run.get("peak_gpu_memory_gib"),
        loss_first=losses[0] if losses else None, loss_last=losses[-1] if losses else None,
        # The mean of the last fifth of the steps against the first fifth: one noisy step proves nothing.
        loss_fell=bool(losses) and sum(losses[-k:]) / k < sum(losses[:k]) / k,
        losses=[round(x, 4) for x in losses],
        adapter_gguf_bytes=run["adapter_gguf_bytes"],
        out=str(out),
    )
    return figures


def score(work: Path, dataset: Path, base: Path, dry_run: bool) -> dict[str, Any]:
    """The evaluator's scorer on the validation rows: each context with its own reply and another's, base and
    adapter, plus a ranking pass of every validation reply after the first context; contexts per second and whether the figures make sense."""
    import torch

    from ..evaluate.job import EvalJob
    from ..evaluate.scoring import ResolvedBase, Scorer
    from .data import read_sft

    started = time.monotonic()
    job = EvalJob(dataset=str(dataset), adapter=str(work / "run"), device="cpu" if dry_run else "cuda",
                  dtype="float32" if dry_run else "bfloat16", threads=2 if dry_run else 0, batch_size=16)
    scorer = Scorer(job, ResolvedBase("check", str(base), None, None), {"adapter": work / "run" / "adapter"})
    loaded = time.monotonic()
    rows = read_sft(str(dataset), "validation")
    prompts = [scorer.prompt_ids(r["prompt"]) for r in rows]
    replies = [scorer.reply_ids(r["completion"][0]["content"]) for r in rows]
    continuations = [[replies[i], replies[(i + 1) % len(replies)]] for i in range(len(replies))]
    sums: dict[str, list[list[float]]] = {}
    for side in ("base", "adapter"):
        with scorer.use(side):
            sums[side] = scorer.run(prompts, continuations, batch_size=job.batch_size)[0]
            ranked = scorer.mean_logliks(prompts[0], replies, per_pass=16)
    if not dry_run:
        torch.cuda.synchronize()
    seconds = time.monotonic() - loaded
    values = [v for side in sums.values() for row in side for v in row] + ranked
    return {
        "contexts": len(prompts),
        "head": "direct" if scorer.head_reason is None else f"forward ({scorer.head_reason})",
        "load_seconds": round(loaded - started, 1),
        "score_seconds": round(seconds, 2),
        "contexts_per_s": round(2 * len(prompts) / seconds, 1),
        "finite": all(math.isfinite(v) and v < 0 for v in values),
        "adapter_changes_scores": any(abs(a - b) > 1e-3 for ra, rb in zip(sums["adapter"], sums["base"]) for a, b in zip(ra, rb)),
        "peak_gpu_memory_gib": None if dry_run else round(torch.cuda.max_memory_allocated() / 2**30, 3),
    }


if __name__ == "__main__":
    sys.exit(main())
