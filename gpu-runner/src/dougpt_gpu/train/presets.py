"""Named training defaults. A job names one and overrides any field (`{"preset": "cpu", "optim": {"max_steps": 50}}`).

Estimates are for our data shape (prompts of 40-150 tokens, replies of 3-30) and are rough: memory is the
peak of the training process, time the whole run.

| preset    | base                    | method                | memory        | time                              |
| --------- | ----------------------- | --------------------- | ------------- | --------------------------------- |
| cpu-smoke | smollm2-135m (embedded) | fp32 LoRA r16 q/k/v/o | ~1.5 GB RAM   | ~1-2 min on 2 cores (24 steps)    |
| cpu       | smollm2-135m (embedded) | fp32 LoRA r16 all     | ~2 GB RAM     | ~1 h on 2 cores, ~15 min on 8     |
| gpu-8gb   | 1.5B-class local folder | NF4 QLoRA r16 all     | ~5-6 GB VRAM  | ~20-30 min on an RTX 3060/4060    |
| gpu-24gb  | 7-8B local folder       | NF4 QLoRA r32 all     | ~16-19 GB VRAM| ~1.5-2.5 h on an RTX 3090/4090    |
| gpu-80gb  | 7-8B local folder       | bf16 LoRA r64 all     | ~45-60 GB VRAM| ~40-60 min on an A100/H100 80 GB  |

Every preset trains SFT only (`stages` ["sft"]); `"stages": ["sft", "dpo"]` adds the preference stage after it, with
the preset's `dpo` settings where it has them (cpu-smoke: 8 steps of 4 pairs; cpu: 150 steps of 16 pairs) and the
defaults of `DpoOptions` elsewhere. A DPO step scores two sequences per pair, chosen and rejected.

The gpu presets have no default base (none can be downloaded here): give `base_model`, a local Hugging Face
folder such as Qwen2.5-1.5B-Instruct (gpu-8gb) or Qwen2.5-7B-Instruct / Llama-3.1-8B-Instruct.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

_ALL_LINEAR = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


@dataclass(frozen=True)
class Preset:
    """A preset: its job-JSON defaults and the one-line summary `--help` prints."""

    summary: str
    values: dict[str, Any]


PRESETS: dict[str, Preset] = {
    "cpu-smoke": Preset(
        "embedded SmolLM2-135M, LoRA r16 on attention, 24 steps: ~1-2 min on 2 cores, ~1.5 GB RAM (tests, demo)",
        {
            "base_model": "smollm2-135m",
            "device": "cpu",
            "precision": "fp32",
            "lora": {"r": 16, "alpha": 32, "dropout": 0.0},
            "optim": {"learning_rate": 1e-3, "max_steps": 24, "warmup_steps": 3, "scheduler": "cosine"},
            "batch": {"batch_size": 8, "grad_accum": 1, "max_length": 256},
            "checkpoint": {"every_steps": 8, "keep_last": 2, "validation_rows": 64},
            "dpo": {"beta": 0.1, "learning_rate": 2e-4, "max_steps": 8, "warmup_steps": 0, "batch_size": 4},
        },
    ),
    "cpu": Preset(
        "embedded SmolLM2-135M, LoRA r16 on all linear layers, 600 steps of 16 rows: ~1 h on 2 cores, ~2 GB RAM",
        {
            "base_model": "smollm2-135m",
            "device": "cpu",
            "precision": "fp32",
            "lora": {"r": 16, "alpha": 32, "dropout": 0.05, "target_modules": _ALL_LINEAR},
            "optim": {"learning_rate": 3e-4, "max_steps": 600, "warmup_steps": 20, "scheduler": "cosine"},
            "batch": {"batch_size": 8, "grad_accum": 2, "max_length": 256},
            "checkpoint": {"every_steps": 50, "keep_last": 2, "validation_rows": 256},
            "dpo": {"beta": 0.1, "learning_rate": 5e-5, "max_steps": 100, "warmup_steps": 10, "batch_size": 4, "grad_accum": 4},
        },
    ),
    "gpu-8gb": Preset(
        "4-bit NF4 QLoRA of a 1.5B-class model (base_model: local folder), r16 all linear: ~5-6 GB VRAM, ~20-30 min",
        {
            "base_model": None,
            "device": "cuda",
            "precision": "bf16",
            "gradient_checkpointing": True,
            "quant": {"mode": "nf4", "compute_dtype": "bfloat16", "double_quant": True},
            "lora": {"r": 16, "alpha": 32, "dropout": 0.05, "target_modules": _ALL_LINEAR},
            "optim": {"learning_rate": 2e-4, "max_steps": 1000, "warmup_steps": 30, "optimizer": "paged_adamw_8bit"},
            "batch": {"batch_size": 16, "grad_accum": 1, "max_length": 384},
            "checkpoint": {"every_steps": 100, "keep_last": 2},
        },
    ),
    "gpu-24gb": Preset(
        "4-bit NF4 QLoRA of a 7-8B model (base_model: local folder), r32 all linear: ~16-19 GB VRAM, ~1.5-2.5 h",
        {
            "base_model": None,
            "device": "cuda",
            "precision": "bf16",
            "gradient_checkpointing": True,
            "quant": {"mode": "nf4", "compute_dtype": "bfloat16", "double_quant": True},
            "lora": {"r": 32, "alpha": 64, "dropout": 0.05, "target_modules": _ALL_LINEAR},
            "optim": {"learning_rate": 1.5e-4, "max_steps": 1000, "warmup_steps": 30, "optimizer": "paged_adamw_8bit"},
            "batch": {"batch_size": 8, "grad_accum": 2, "max_length": 384},
            "checkpoint": {"every_steps": 100, "keep_last": 2},
        },
    ),
    "gpu-80gb": Preset(
        "bf16 LoRA of a 7-8B model (base_model: local folder), r64 all linear: ~45-60 GB VRAM, ~40-60 min",
        {
            "base_model": None,
            "device": "cuda",
            "precision": "bf16",
            "gradient_checkpointing": True,
            "quant": {"mode": "none"},
            "lora": {"r": 64, "alpha": 128, "dropout": 0.05, "target_modules": _ALL_LINEAR},
            "optim": {"learning_rate": 1e-4, "max_steps": 1000, "warmup_steps": 30, "optimizer": "adamw_torch_fused"},
            "batch": {"batch_size": 32, "grad_accum": 1, "max_length": 384},
            "checkpoint": {"every_steps": 100, "keep_last": 2},
        },
    ),
}
