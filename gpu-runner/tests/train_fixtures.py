"""Shared pieces of the training tests: the embedded base, a sample dataset, running the job as the runner does."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def smollm2_dir() -> Path:
    """The embedded SmolLM2 as a safetensors folder (converted on first use); fails, naming what is missing,
    when it cannot be had (only a missing GPU may skip a test)."""
    from dougpt_gpu.errors import BadInput
    from dougpt_gpu.models.registry import resolve_base

    try:
        return Path(resolve_base("smollm2-135m").hf_dir)
    except BadInput as error:
        pytest.fail(f"the embedded base smollm2-135m is missing (run `make setup`): {error}", pytrace=False)


def make_dataset(root: Path, rows: int = 24, validation: int = 4, seed: int = 0, test: int = 0) -> Path:
    from dougpt_gpu.train.sample_data import write_dataset

    write_dataset(root, rows=rows, seed=seed, validation=validation, test=test)
    return root


def run_train(job: dict, tmp_path: Path, timeout: int = 900) -> tuple[int, list[dict], str]:
    """`python -m dougpt_gpu train` in a child process; returns exit code, stdout events, stderr."""
    job_file = tmp_path / f"job-{len(list(tmp_path.glob('job-*.json')))}.json"
    job_file.write_text(json.dumps(job))
    env = {**os.environ, "OMP_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false"}
    proc = subprocess.run(
        [sys.executable, "-m", "dougpt_gpu", "train", "--input", str(job_file)],
        capture_output=True, text=True, timeout=timeout, env=env,
    )
    events = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    return proc.returncode, events, proc.stderr


def trained(job: dict, tmp: Path) -> dict:
    """Runs `job` (which must succeed): the job, its events, its out folder and the scratch folder, for fixtures."""
    code, events, stderr = run_train(job, tmp)
    assert code == 0, stderr[-3000:]
    return {"job": job, "events": events, "out": Path(job["out"]), "tmp": tmp}


def smoke_job(dataset: Path, out: Path, **overrides: object) -> dict:
    """cpu-smoke shrunk to a few one-thread steps of short batches."""
    job: dict = {
        "dataset": str(dataset),
        "out": str(out),
        "preset": "cpu-smoke",
        "threads": 1,
        "optim": {"max_steps": 4, "warmup_steps": 1},
        "batch": {"batch_size": 4, "max_length": 192},
        "checkpoint": {"every_steps": 2, "keep_last": 3},
    }
    for key, value in overrides.items():
        job[key] = {**job[key], **value} if isinstance(value, dict) and isinstance(job.get(key), dict) else value
    return job


def tiny_base(folder: Path, family: str = "qwen2") -> Path:
    """A randomly initialised base at toy size with the SmolLM2 tokenizer (ChatML): `qwen2` (a plain linear head) or
    `gemma2` (a soft-capped head, whose logits are not the head's output)."""
    import torch
    from transformers import AutoTokenizer, Gemma2Config, Gemma2ForCausalLM, Qwen2Config, Qwen2ForCausalLM

    tokenizer = AutoTokenizer.from_pretrained(str(smollm2_dir()))
    torch.manual_seed(0)
    shape = dict(
        vocab_size=len(tokenizer), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=512, tie_word_embeddings=True,
        bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id,
    )
    if family == "qwen2":
        model = Qwen2ForCausalLM(Qwen2Config(**shape))
    elif family == "gemma2":
        # Weights large enough for logits of a few units, and a cap that bends them (Gemma 2 ships 30.0).
        config = Gemma2Config(
            **shape, head_dim=16, final_logit_softcapping=2.0, attn_logit_softcapping=50.0, sliding_window=64,
            initializer_range=0.5,
        )
        model = Gemma2ForCausalLM(config)
    else:
        raise ValueError(f"tiny_base: unknown family {family!r}")
    model.save_pretrained(str(folder))
    tokenizer.save_pretrained(str(folder))
    return folder
