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
from .distributed import local_rank, world_size
from .job import TrainJob, to_bnb_config

log = logging.getLogger("dougpt_gpu.train")


def resolve_device(job: TrainJob) -> tuple[str, str, str]:
    """(device, precision, why that precision) with `auto` decided; bad input when the job asks for a GPU this machine
    lacks. `auto` is bf16 on a bf16 GPU, bf16 on a CPU with bf16 instructions (AVX-512 BF16 or AMX: bf16 weights, fp32
    LoRA weights, bf16 autocast), fp32 elsewhere."""
    import torch

    cuda = torch.cuda.is_available()
    device = ("cuda" if cuda else "cpu") if job.device == "auto" else job.device
    if device == "cuda" and not cuda:
        raise BadInput(f"device cuda: torch sees no CUDA GPU (preset {job.preset} needs one; use a cpu preset)")
    if job.quant.mode != "none" and device != "cuda":
        raise BadInput("quant.mode nf4: 4-bit loading needs a CUDA GPU")
    precision, reason = job.precision, f"precision {job.precision} (job or preset)"
    if precision == "auto" and device == "cuda":
        bf16 = torch.cuda.is_bf16_supported()
        precision, reason = ("bf16", "auto: the GPU supports bf16") if bf16 else ("fp32", "auto: the GPU lacks bf16")
    elif precision == "auto":
        found = cpu_bf16()
        precision, reason = ("bf16", f"auto: the CPU has {found}") if found else ("fp32", "auto: the CPU has no bf16 instructions")
    if precision == "fp16" and device != "cuda":
        raise BadInput("precision fp16: needs a CUDA GPU (use fp32 or bf16 on CPU)")
    return device, precision, reason


def cpu_bf16() -> str | None:
    """The bf16 matrix instructions this CPU gives torch's kernels (None: none, bf16 would be emulated and slow)."""
    import torch

    if torch.cpu._is_amx_tile_supported():
        return "AMX"
    if torch.cpu._is_avx512_bf16_supported():
        return "AVX-512 BF16"
    return None


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
    detect_family(tokenizer, str(base.hf_dir))
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    model = AutoModelForCausalLM.from_pretrained(
        base.hf_dir,
        dtype=dtype,
        quantization_config=bnb,
        # One GPU per rank: a data-parallel rank's local rank is its GPU (0 alone).
        device_map={"": local_rank()} if device == "cuda" else None,
        attn_implementation=attention_of(base.hf_dir),
    )
    model.config.use_cache = False
    return tokenizer, model


def attention_of(hf_dir: str) -> str:
    """PyTorch's fused attention (sdpa) where the architecture has it, else the reference one (Gemma 2 here)."""
    from transformers import AutoConfig, AutoModelForCausalLM

    config = AutoConfig.from_pretrained(hf_dir)
    model_class = AutoModelForCausalLM._model_mapping.get(type(config), None)
    return "sdpa" if model_class is None or getattr(model_class, "_supports_sdpa", False) else "eager"


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
        **parallel_args(device),
    }


def parallel_args(device: str) -> dict[str, Any]:
    """TrainingArguments of a data-parallel run (none alone). The loader yields the global batch and each rank takes
    its slice (split_batches), so the rows, their order and every step's batch are what one process trains on."""
    if world_size() == 1:
        return {}
    return {
        "ddp_backend": "nccl" if device == "cuda" else "gloo",
        # LoRA trains every adapter weight on every step: no unused parameters to look for.
        "ddp_find_unused_parameters": False,
        "accelerator_config": {"split_batches": True},
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
