"""Loading the base for training, and the Trainer arguments a job translates to.

    python -m dougpt_gpu train --input job.json
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from ..chat_templates import detect_family
from ..errors import BadInput
from ..models.registry import BaseModel
from .job import TrainJob, to_bnb_config

log = logging.getLogger("dougpt_gpu.train")


def resolve_device(job: TrainJob) -> tuple[str, str]:
    """(device, precision) with `auto` decided; bad input when the job asks for a GPU this machine lacks."""
    import torch

    cuda = torch.cuda.is_available()
    device = ("cuda" if cuda else "cpu") if job.device == "auto" else job.device
    if device == "cuda" and not cuda:
        raise BadInput(f"device cuda: torch sees no CUDA GPU (preset {job.preset} needs one; use a cpu preset)")
    if job.quant.mode != "none" and device != "cuda":
        raise BadInput("quant.mode nf4: 4-bit loading needs a CUDA GPU")
    precision = job.precision
    if precision == "auto":
        precision = "bf16" if device == "cuda" and torch.cuda.is_bf16_supported() else "fp32"
    if precision == "fp16" and device != "cuda":
        raise BadInput("precision fp16: needs a CUDA GPU (use fp32 or bf16 on CPU)")
    return device, precision


def load_base(base: BaseModel, job: TrainJob, device: str, precision: str) -> tuple[Any, Any]:
    """Tokenizer and model from the base's Hugging Face folder (4-bit when the job asks)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    dtype = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}[precision]
    bnb = to_bnb_config(job.quant)
    if bnb is not None:
        try:
            import bitsandbytes  # noqa: F401
        except ImportError as error:
            raise BadInput("quant.mode nf4: bitsandbytes is not installed (pip install bitsandbytes)") from error
    tokenizer = AutoTokenizer.from_pretrained(base.hf_dir)
    if tokenizer.chat_template is None:
        raise BadInput(f"{base.hf_dir}: the tokenizer has no chat template")
    # The server renders prompts by hand: a base whose template is not one it reproduces byte for byte would be
    # trained on prompts it is never served (functions/prompt/chat-templates.ts).
    if detect_family(tokenizer, str(base.hf_dir)) == "gemma":
        raise BadInput(f"{base.hf_dir}: a Gemma chat template has no system turn; the trainer does not fold the prompt "
                       "spec's system text into the user turn yet: use a ChatML (SmolLM2, Qwen2.5) or Llama 3 base")
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    model = AutoModelForCausalLM.from_pretrained(
        base.hf_dir,
        dtype=dtype,
        quantization_config=bnb,
        device_map={"": 0} if device == "cuda" else None,
        attn_implementation="sdpa",
    )
    model.config.use_cache = False
    return tokenizer, model


def shared_args(job: TrainJob, output_dir: Path, device: str, precision: str) -> dict[str, Any]:
    """TrainingArguments both stages take alike: the job's schedule shape, precision, seed, checkpoint cadence and
    quiet logging (the job's own progress lines)."""
    every = job.checkpoint.every_steps
    return {
        "output_dir": str(output_dir),
        "lr_scheduler_type": job.optim.scheduler,
        "weight_decay": job.optim.weight_decay,
        "max_grad_norm": job.optim.max_grad_norm,
        "optim": job.optim.optimizer,
        "seed": job.seed,
        "data_seed": job.seed,
        "bf16": precision == "bf16",
        "fp16": precision == "fp16",
        "use_cpu": device == "cpu",
        "gradient_checkpointing": job.gradient_checkpointing,
        "max_length": job.batch.max_length,
        "logging_steps": 1,
        "save_strategy": "steps" if every else "no",
        "save_steps": every or 500,
        "report_to": "none",
        "disable_tqdm": True,
        "dataloader_pin_memory": device == "cuda",
    }


def training_args(job: TrainJob, output_dir: Path, device: str, precision: str, evaluate: bool = False) -> Any:
    """trl.SFTConfig of a job. Checkpoints go to `output_dir`; logs every step (the job's progress lines). With
    `evaluate`, the validation split is scored at every checkpoint step (to keep the best adapter, selection.py)."""
    from trl import SFTConfig

    every = job.checkpoint.every_steps
    return SFTConfig(
        **shared_args(job, output_dir, device, precision),
        max_steps=job.optim.max_steps,
        per_device_train_batch_size=job.batch.batch_size,
        per_device_eval_batch_size=job.batch.batch_size,
        gradient_accumulation_steps=job.batch.grad_accum,
        learning_rate=job.optim.learning_rate,
        warmup_steps=job.optim.warmup_steps,
        train_sampling_strategy="group_by_length" if job.batch.group_by_length else "random",
        padding_free=job.batch.padding_free,
        eval_strategy="steps" if evaluate and every else "no",
        eval_steps=every or None,
    )
