"""The preference stage (stages ["sft", "dpo"]): TRL's DPOTrainer on the dataset's dpo rows, after SFT, same adapter.

    python -m dougpt_gpu train --input job.json

Each dpo row pairs the real reply to a context (chosen) with a real reply of the same chat to another moment
(rejected), so the loss rewards the adapter for replies that fit what the streamer just said: listening.

The reference of DPO must be the adapter as SFT left it, not the base. The stage loads the SFT adapter onto the base
as a trainable PEFT model and hands it to DPOTrainer with no `ref_model`: TRL then keeps a frozen copy of the loaded
adapter under the name `ref`, and with `precompute_ref_log_probs` scores every pair with that copy once, before the
first step. Training then continues the same LoRA with the DPO loss, so the saved adapter is one PEFT folder that holds
SFT and DPO together (what the GGUF export, the evaluator and the server load), and a step costs one policy forward
and backward of the pairs, with no reference forward. Merging the SFT LoRA into the base and training a second LoRA
would give the same reference but two adapters to fold into one for serving.

The stage trains one pass over `max_steps x batch_size x grad_accum` pairs (drawn with the seed when the split has
more; all of them, repeated, when it has fewer): precomputing the reference for pairs never trained on would cost a
forward pass each.

Rows are tokenized by train/data.py exactly as SFT rows are (chat-template prompt, reply, end-of-turn token), not by
TRL's own preprocessing, which would also train the newline the template puts after the end-of-turn token.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import BadInput
from ..models.registry import BaseModel
from .job import TrainJob

log = logging.getLogger("dougpt_gpu.train")
# PEFT saves every adapter but the default one in a sub-folder named after it: TRL's reference copy lands in `ref/`.
REFERENCE_ADAPTER = "ref"


@dataclass
class PreferenceStage:
    """A DPO trainer ready to train, with what run.json needs from its construction."""

    trainer: Any
    events: Any
    rows: int
    available: int
    dropped_long: int
    validation_rows: int


def build_preference_trainer(
    job: TrainJob,
    base: BaseModel,
    sft_adapter: Path,
    pairs: list[dict[str, Any]],
    validation: list[dict[str, Any]],
    run_id: str,
    sft_record: dict[str, Any],
    device: str,
    precision: str,
    emit: Any,
) -> PreferenceStage:
    """Base + the SFT adapter (trainable), pairs tokenized, reference log-probs computed, callbacks in place."""
    import transformers
    from datasets import Dataset
    from peft import PeftModel

    from .checkpoints import SFT_STAGE
    from .data import tokenize_pairs
    from .model import load_base
    from .progress import JobEvents, quiet_trainer
    from .trainer import PreferenceTrainer

    transformers.set_seed(job.seed)
    tokenizer, model = load_base(base, job, device, precision)
    model = PeftModel.from_pretrained(model, str(sft_adapter), is_trainable=True)
    tokens = tokenize_pairs(tokenizer, pairs, job.batch.max_length)
    if not tokens.prompt_ids:
        raise BadInput(f"every dpo row of split {job.split} is longer than batch.max_length {job.batch.max_length} tokens")
    available = len(tokens.prompt_ids)
    tokens = _draw(tokens, job.dpo.max_steps * job.dpo.batch_size * job.dpo.grad_accum, job.seed)
    val_tokens = tokenize_pairs(tokenizer, validation, job.batch.max_length) if validation else None
    val_set = _to_dataset(Dataset, val_tokens) if val_tokens and val_tokens.prompt_ids else None
    log.info(
        "dpo: %d of %d preference pairs (%d longer than %d tokens left out), %d validation pairs, beta %s",
        len(tokens.prompt_ids), available, tokens.dropped_long, job.batch.max_length,
        len(val_tokens.prompt_ids) if val_tokens else 0, job.dpo.beta,
    )
    checkpoint_dir = Path(job.out) / "checkpoints"
    trainer = PreferenceTrainer(
        model=model,
        ref_model=None,
        args=preference_args(job, checkpoint_dir, device, precision),
        train_dataset=_to_dataset(Dataset, tokens),
        eval_dataset=val_set,
        processing_class=tokenizer,
    )
    # The reference copy only served the precomputation: it must never reach the optimizer.
    frozen = 0
    for name, param in trainer.model.named_parameters():
        if f".{REFERENCE_ADAPTER}." in name:
            param.requires_grad_(False)
            frozen += 1
    trainable = [name for name, param in trainer.model.named_parameters() if param.requires_grad]
    if not frozen or not trainable or any(f".{REFERENCE_ADAPTER}." in name for name in trainable):
        raise RuntimeError(f"dpo: expected a frozen '{REFERENCE_ADAPTER}' copy of the SFT adapter beside the trained one")
    quiet_trainer(trainer)
    events = JobEvents(
        emit, run_id, checkpoint_dir, job.checkpoint.keep_last, lambda: trainer.real_tokens,
        stage="dpo", step_offset=int(sft_record["steps"]), extra_files={SFT_STAGE: json.dumps(sft_record, indent=1)},
    )
    trainer.add_callback(events)
    validation_rows = len(val_tokens.prompt_ids) if val_tokens else 0
    return PreferenceStage(trainer, events, len(tokens.prompt_ids), available, tokens.dropped_long, validation_rows)


def preference_args(job: TrainJob, output_dir: Path, device: str, precision: str) -> Any:
    """trl.DPOConfig of a job: the dpo options, the job's schedule, precision and checkpoint cadence."""
    from trl import DPOConfig

    from .model import shared_args

    return DPOConfig(
        **shared_args(job, output_dir, device, precision),
        beta=job.dpo.beta,
        loss_type=["sigmoid"],
        precompute_ref_log_probs=True,
        precompute_ref_batch_size=job.dpo.batch_size,
        max_steps=job.dpo.max_steps,
        per_device_train_batch_size=job.dpo.batch_size,
        per_device_eval_batch_size=job.dpo.batch_size,
        gradient_accumulation_steps=job.dpo.grad_accum,
        learning_rate=job.dpo.learning_rate,
        warmup_steps=job.dpo.warmup_steps,
        eval_strategy="no",
    )


def _draw(tokens: Any, needed: int, seed: int) -> Any:
    """The pairs the stage will train on: all of them when the steps go through them at least once, else `needed`
    drawn with the seed. The reference log-probs are computed for every pair the stage holds, so a split larger than
    the stage's steps would cost a forward pass per pair that is never trained on."""
    import dataclasses
    import random

    count = len(tokens.prompt_ids)
    if count <= needed:
        return tokens
    order = list(range(count))
    random.Random(seed).shuffle(order)
    keep = sorted(order[:needed])
    return dataclasses.replace(
        tokens,
        prompt_ids=[tokens.prompt_ids[i] for i in keep],
        chosen_ids=[tokens.chosen_ids[i] for i in keep],
        rejected_ids=[tokens.rejected_ids[i] for i in keep],
    )


def _to_dataset(dataset_cls: Any, tokens: Any) -> Any:
    return dataset_cls.from_dict(
        {"prompt_ids": tokens.prompt_ids, "chosen_ids": tokens.chosen_ids, "rejected_ids": tokens.rejected_ids}
    )
