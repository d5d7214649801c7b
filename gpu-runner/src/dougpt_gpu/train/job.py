"""The `train` job's options: one dataclass per concern, defaults and help on every field.

    python -m dougpt_gpu train --input job.json

`TrainJob.from_dict` lays the job JSON over its preset (train/presets.py) and builds these, naming the field
that is wrong. The translators (`to_lora_config`, `to_bnb_config`) are pure: they import their library and
build its config object, nothing else.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, get_args

from ..errors import BadInput
from ..job_options import build, check_type
from ..job_options import help_field as _help
from .presets import PRESETS

Device = Literal["auto", "cpu", "cuda"]
Precision = Literal["auto", "fp32", "bf16", "fp16"]
QuantMode = Literal["none", "nf4"]
Scheduler = Literal["cosine", "linear", "constant_with_warmup"]
Optimizer = Literal["adamw_torch", "adamw_torch_fused", "paged_adamw_8bit"]
# The stages a run may have, in the order they run: supervised fine-tuning, then the preference stage.
STAGE_ORDERS = (("sft",), ("sft", "dpo"))
_LITERALS = {"Device": Device, "Precision": Precision, "QuantMode": QuantMode, "Scheduler": Scheduler, "Optimizer": Optimizer}


@dataclass(frozen=True)
class LoraOptions:
    """The LoRA adapter: which linear layers get low-rank updates, and how large."""

    r: int = _help("rank of the update matrices", default=16)
    alpha: int = _help("scaling numerator (the update is scaled by alpha / r)", default=32)
    dropout: float = _help("dropout on the adapter's input", default=0.0)
    target_modules: tuple[str, ...] = _help(
        "module names to adapt (q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj)",
        default=("q_proj", "k_proj", "v_proj", "o_proj"),
    )

    def __post_init__(self) -> None:
        if self.r < 1 or self.alpha < 1:
            raise BadInput("lora: r and alpha must be >= 1")
        if not 0 <= self.dropout < 1:
            raise BadInput("lora.dropout: must be in [0, 1)")
        if not self.target_modules or not all(isinstance(m, str) and m for m in self.target_modules):
            raise BadInput("lora.target_modules: need at least one module name")


@dataclass(frozen=True)
class QuantOptions:
    """Loading the frozen base in 4 bits (QLoRA, bitsandbytes, CUDA only)."""

    mode: QuantMode = _help("none (base in `precision`) or nf4 (4-bit NormalFloat, QLoRA)", default="none")
    compute_dtype: Literal["bfloat16", "float16"] = _help("dtype the 4-bit weights are computed in", default="bfloat16")
    double_quant: bool = _help("quantise the quantisation constants too (~0.4 bit/param less)", default=True)

    def __post_init__(self) -> None:
        if self.mode not in get_args(QuantMode):
            raise BadInput(f"quant.mode: {self.mode!r} is not one of {', '.join(get_args(QuantMode))}")
        if self.compute_dtype not in ("bfloat16", "float16"):
            raise BadInput("quant.compute_dtype: bfloat16 or float16")


@dataclass(frozen=True)
class OptimOptions:
    """Optimizer and learning-rate schedule."""

    learning_rate: float = _help("peak learning rate", default=2e-4)
    max_steps: int = _help("optimizer steps to run", default=30)
    warmup_steps: int = _help("linear warm-up steps", default=3)
    scheduler: Scheduler = _help("decay after warm-up", default="cosine")
    weight_decay: float = _help("AdamW weight decay on the adapter", default=0.0)
    max_grad_norm: float = _help("gradient clipping norm", default=1.0)
    optimizer: Optimizer = _help("adamw_torch, adamw_torch_fused (GPU) or paged_adamw_8bit (bitsandbytes)", default="adamw_torch")

    def __post_init__(self) -> None:
        if not self.learning_rate > 0 or self.max_steps < 1 or self.warmup_steps < 0:
            raise BadInput("optim: need learning_rate > 0, max_steps >= 1, warmup_steps >= 0")
        if self.scheduler not in get_args(Scheduler):
            raise BadInput(f"optim.scheduler: {self.scheduler!r} is not one of {', '.join(get_args(Scheduler))}")
        if self.optimizer not in get_args(Optimizer):
            raise BadInput(f"optim.optimizer: {self.optimizer!r} is not one of {', '.join(get_args(Optimizer))}")
        if self.weight_decay < 0 or self.max_grad_norm <= 0:
            raise BadInput("optim: need weight_decay >= 0 and max_grad_norm > 0")


@dataclass(frozen=True)
class BatchOptions:
    """How rows become batches. Length grouping keeps padding low without mixing rows in one sequence."""

    batch_size: int = _help("rows per forward pass", default=8)
    grad_accum: int = _help("forward passes per optimizer step", default=1)
    max_length: int = _help("rows longer than this (prompt + reply tokens) are left out, never cut", default=256)
    group_by_length: bool = _help("batch rows of similar length together (less padding)", default=True)
    padding_free: bool = _help(
        "concatenate each batch into one sequence (no padding at all); worth it with flash attention on GPU", default=False
    )

    def __post_init__(self) -> None:
        if self.batch_size < 1 or self.grad_accum < 1 or self.max_length < 16:
            raise BadInput("batch: need batch_size >= 1, grad_accum >= 1, max_length >= 16")


@dataclass(frozen=True)
class CheckpointOptions:
    """Checkpoints (adapter + optimizer + scheduler + RNG) under OUT/checkpoints/step-N/."""

    every_steps: int = _help("save every N optimizer steps (0: none); the last step is always saved when > 0", default=10)
    keep_last: int = _help("checkpoints kept (older ones are removed)", default=2)
    validation_rows: int = _help(
        "validation rows scored at each checkpoint to choose the kept step: a seeded sample, the same at every "
        "checkpoint, when the split is larger (0: every row)",
        default=0,
    )

    def __post_init__(self) -> None:
        if self.every_steps < 0 or self.keep_last < 1 or self.validation_rows < 0:
            raise BadInput("checkpoint: need every_steps >= 0, keep_last >= 1 and validation_rows >= 0")


@dataclass(frozen=True)
class DpoOptions:
    """The preference stage (stages ["sft", "dpo"]): DPO on the dataset's dpo config, after SFT, on the same adapter.

    Each dpo row pairs the real reply (chosen) with a real reply of the same chat to another moment (rejected), so
    the stage rewards replies that fit what the streamer just said. The reference is the adapter as SFT left it:
    its log-probabilities of every pair are computed once before the stage, then the same LoRA trains on.
    """

    beta: float = _help("DPO temperature: how far the adapter may move from its SFT state (higher: less far)", default=0.1)
    learning_rate: float = _help("peak learning rate of the stage", default=5e-5)
    max_steps: int = _help("optimizer steps of the stage", default=100)
    warmup_steps: int = _help("linear warm-up steps of the stage", default=5)
    batch_size: int = _help("preference pairs per forward pass (each pair is two sequences)", default=8)
    grad_accum: int = _help("forward passes per optimizer step", default=1)

    def __post_init__(self) -> None:
        if not self.beta > 0:
            raise BadInput("dpo.beta: must be > 0")
        if not self.learning_rate > 0 or self.max_steps < 1 or self.warmup_steps < 0:
            raise BadInput("dpo: need learning_rate > 0, max_steps >= 1, warmup_steps >= 0")
        if self.batch_size < 1 or self.grad_accum < 1:
            raise BadInput("dpo: need batch_size >= 1 and grad_accum >= 1")


_NESTED: dict[str, type] = {
    "lora": LoraOptions,
    "quant": QuantOptions,
    "optim": OptimOptions,
    "batch": BatchOptions,
    "checkpoint": CheckpointOptions,
    "dpo": DpoOptions,
}
# Fields that say where things are or how fast they go, not what is trained: left out of the run's identity.
# The number of processes is one of them: N data-parallel ranks train the same global batch on the same schedule, so a
# run's identity (and its checkpoints) are the same for any N.
_NOT_CONFIG = ("dataset", "out", "resume_from", "force", "replace", "threads", "processes", "rendezvous", "memory")
# The launcher's (torch.distributed.run) options a job may pass through, for several hosts; the process count per host
# is `processes`.
RENDEZVOUS_OPTIONS = (
    "--nnodes", "--node-rank", "--rdzv-backend", "--rdzv-endpoint", "--rdzv-id", "--rdzv-conf",
    "--master-addr", "--master-port", "--max-restarts", "--monitor-interval",
)


@dataclass(frozen=True)
class TrainJob:
    """One LoRA run on one dataset folder. Every field but dataset and out has a preset value."""

    dataset: str = _help("dataset folder (dataset.json, sft/train.jsonl, ...), see docs/model-layer.md")
    out: str = _help("run folder to write: adapter/, adapter.gguf, run.json, checkpoints/")
    preset: str = _help(f"named defaults: {', '.join(PRESETS)}", default="cpu-smoke")
    base_model: str | None = _help("embedded model name (smollm2-135m) or local Hugging Face folder", default=None)
    seed: int = _help("seed of initialisation, dropout and data order", default=0)
    split: str = _help("dataset split to train on", default="train")
    device: Device = _help("cpu, cuda, or auto (cuda when torch sees a GPU)", default="auto")
    precision: Precision = _help(
        "weights/compute dtype: auto (bf16 on a bf16 GPU or a CPU with AVX-512 BF16 or AMX, else fp32), fp32, bf16, fp16",
        default="auto",
    )
    threads: int = _help("torch CPU threads (0: torch's default)", default=0)
    gradient_checkpointing: bool = _help("recompute activations in backward: less memory, ~30% slower", default=False)
    lora: LoraOptions = _help("LoRA options", default_factory=LoraOptions)
    quant: QuantOptions = _help("4-bit loading (QLoRA)", default_factory=QuantOptions)
    optim: OptimOptions = _help("optimizer options", default_factory=OptimOptions)
    batch: BatchOptions = _help("batching options", default_factory=BatchOptions)
    checkpoint: CheckpointOptions = _help("checkpoint options", default_factory=CheckpointOptions)
    stages: tuple[str, ...] = _help('stages in order: ["sft"] or ["sft", "dpo"] (the preference stage after SFT)', default=("sft",))
    dpo: DpoOptions = _help("preference stage options (used when stages has dpo)", default_factory=DpoOptions)
    processes: int = _help(
        "data-parallel processes on this host (torch.distributed.run ranks; gloo on CPU, NCCL on GPUs, one GPU each); "
        "the global batch (batch.batch_size x batch.grad_accum) and schedule are the same for any number",
        default=1,
    )
    rendezvous: tuple[str, ...] = _help(
        "torch.distributed.run options for several hosts, passed through: --nnodes=2 --node-rank=0 "
        "--rdzv-backend=c10d --rdzv-endpoint=HOST:PORT --rdzv-id=ID (docs/distributed-training.md)",
        default=(),
    )
    resume_from: str | None = _help("checkpoints folder (newest step-N is used) or one step-N folder", default=None)
    force: bool = _help("train again even when OUT already holds this run", default=False)
    replace: bool = _help(
        "OUT is a scratch folder (a worker's): another run in it is cleared instead of refused (this run, finished, "
        "is still reused)",
        default=False,
    )
    memory: str | None = _help(
        "voice memory index (the dataset's memory.json): every SFT row is rendered with its recalled moments; the "
        "index's sha256 joins the run's identity (null: no memory)",
        default=None,
    )

    def __post_init__(self) -> None:
        if self.preset not in PRESETS:
            raise BadInput(f"preset: unknown preset {self.preset!r} (one of {', '.join(PRESETS)})")
        if not Path(self.dataset).is_dir():
            raise BadInput(f"{self.dataset}: dataset folder not found")
        if not self.out:
            raise BadInput("out: must be a folder path")
        if not self.base_model:
            raise BadInput(f"base_model: preset {self.preset} has no default base; give a local Hugging Face folder")
        for name, kinds in (("device", Device), ("precision", Precision)):
            if getattr(self, name) not in get_args(kinds):
                raise BadInput(f"{name}: {getattr(self, name)!r} is not one of {', '.join(get_args(kinds))}")
        if self.threads < 0:
            raise BadInput("threads: must be >= 0")
        if tuple(self.stages) not in STAGE_ORDERS:
            orders = " or ".join(json.dumps(list(order)) for order in STAGE_ORDERS)
            raise BadInput(f"stages: {json.dumps(list(self.stages))} is not {orders}")
        if self.resume_from is not None and not Path(self.resume_from).exists():
            raise BadInput(f"{self.resume_from}: checkpoint folder not found")
        if self.memory is not None and not Path(self.memory).is_file():
            raise BadInput(f"memory: {self.memory}: file not found")
        if self.memory is not None and "dpo" in self.stages:
            raise BadInput("memory: the preference stage does not render recalled moments yet; train with stages [\"sft\"]")
        if self.quant.mode != "none" and self.device == "cpu":
            raise BadInput("quant.mode nf4 needs a CUDA GPU (device cpu given)")
        self._check_parallel()

    def _check_parallel(self) -> None:
        if self.processes < 1:
            raise BadInput("processes: must be >= 1")
        for option in self.rendezvous:
            if option.split("=", 1)[0] not in RENDEZVOUS_OPTIONS:
                raise BadInput(f"rendezvous: {option!r} is not one of {', '.join(RENDEZVOUS_OPTIONS)} (as --name=value)")
        if self.processes == 1 and not self.rendezvous:
            return
        # Each optimizer step's global batch is split across the ranks (accelerate's split_batches), so every rank
        # sees the rows one process would, in the same order.
        world = self.processes * self.hosts()
        if self.batch.batch_size % world:
            raise BadInput(f"processes: batch.batch_size {self.batch.batch_size} is not divisible by the {world} ranks")
        if "dpo" in self.stages:
            raise BadInput("processes: the preference stage (stages sft,dpo) runs in one process; use processes 1")

    def hosts(self) -> int:
        """Hosts the ranks run on (the rendezvous' --nnodes, a fixed number)."""
        for option in self.rendezvous:
            name, _, value = option.partition("=")
            if name == "--nnodes":
                if not value.isdigit() or int(value) < 1:
                    raise BadInput(f"rendezvous: --nnodes must be a fixed number of hosts, got {value!r}")
                return int(value)
        return 1

    @staticmethod
    def from_dict(raw: dict[str, Any]) -> TrainJob:
        """The job JSON laid over its preset; unknown or mistyped fields are bad input naming the field."""
        for key in ("dataset", "out"):
            if not isinstance(raw.get(key), str):
                raise BadInput(f"{key}: required, a path string")
        preset = raw.get("preset", "cpu-smoke")
        if not isinstance(preset, str) or preset not in PRESETS:
            raise BadInput(f"preset: unknown preset {preset!r} (one of {', '.join(PRESETS)})")
        merged = _merge(PRESETS[preset].values, raw)
        values: dict[str, Any] = {}
        top = {f.name: f for f in dataclasses.fields(TrainJob)}
        unknown = sorted(set(merged) - set(top))
        if unknown:
            raise BadInput(f"job: unknown field {unknown[0]!r}")
        for key, value in merged.items():
            if key in _NESTED:
                values[key] = build(_NESTED[key], value, key, _LITERALS)
            else:
                check_type(top[key].type, value, key, _LITERALS)
                values[key] = tuple(value) if isinstance(value, list) and str(top[key].type).startswith("tuple[") else value
        return TrainJob(**values)

    def config(self) -> dict[str, Any]:
        """What shapes the adapter (everything but paths, resume and thread count): hashed into the run id.

        An SFT-only run leaves `stages` and `dpo` out: they do not shape its adapter, and its run id stays what it
        was before the preference stage existed. An uncapped validation (`checkpoint.validation_rows` 0) is left out
        the same way.
        """
        config = {k: v for k, v in dataclasses.asdict(self).items() if k not in _NOT_CONFIG}
        if "dpo" not in self.stages:
            del config["stages"], config["dpo"]
        else:
            config["stages"] = list(self.stages)
        if not self.checkpoint.validation_rows:
            # Every row scored, as before the cap existed: the run id stays what it was.
            del config["checkpoint"]["validation_rows"]
        return config


def config_hash(config: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(config, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def run_id_of(dataset_id: str, base_sha256: str, config: dict[str, Any], seed: int) -> str:
    """Short hash of everything that decides the adapter; equal inputs give the same id (and reuse the run)."""
    key = json.dumps([dataset_id, base_sha256, config_hash(config), seed], separators=(",", ":"))
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    return merged








def to_lora_config(lora: LoraOptions) -> Any:
    """peft.LoraConfig for a causal LM.

    >>> to_lora_config(LoraOptions(r=8)).r  # doctest: +SKIP
    8
    """
    from peft import LoraConfig

    return LoraConfig(
        task_type="CAUSAL_LM",
        r=lora.r,
        lora_alpha=lora.alpha,
        lora_dropout=lora.dropout,
        target_modules=list(lora.target_modules),
        bias="none",
    )


def to_bnb_config(quant: QuantOptions) -> Any:
    """transformers.BitsAndBytesConfig for 4-bit NF4 loading, or None when the base loads unquantised."""
    if quant.mode == "none":
        return None
    import torch
    from transformers import BitsAndBytesConfig

    return BitsAndBytesConfig(
        load_in_4bit=True,
        bnb_4bit_quant_type="nf4",
        bnb_4bit_compute_dtype=getattr(torch, quant.compute_dtype),
        bnb_4bit_use_double_quant=quant.double_quant,
    )
