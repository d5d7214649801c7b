"""TRL's SFTTrainer with a loss that projects only the reply tokens through the LM head; TRL's DPOTrainer for our rows.

    python -m dougpt_gpu train --input job.json

The LM head of a small model is a large share of its compute (SmolLM2-135M: 576 x 49152, about a fifth of a
forward pass) and most tokens of a chat-reply row are prompt. TRL's fused head scores only labelled positions on
Triton devices but every position elsewhere (CPU); here the backbone's hidden states are gathered at the labelled
positions first, everywhere, so the head, the softmax and their backward run on the reply tokens alone. The loss
is the same mean next-token cross-entropy over reply tokens.

That shortcut calls the decoder and the head itself, past `model.forward`: it holds only where the model's forward
is exactly `head(decoder(x))` and nothing wraps that forward. `direct_head_ok` says where: one process (DDP all-reduces
gradients from hooks its own forward sets up) and a plain linear head of a family whose forward does nothing else
(no logit soft-capping as in Gemma 2, no logit scale). Elsewhere the loss runs through the model's own forward, with
the head computed only at the positions some row of the batch has a reply label at (`logits_to_keep`).
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from trl import DPOTrainer, SFTTrainer

from .head import direct_head_ok

# Collator keys the attention kernels read; the backbone takes them as keyword arguments.
_BACKBONE_KEYS = ("input_ids", "attention_mask", "position_ids", "cu_seq_lens_q", "cu_seq_lens_k", "max_length_q", "max_length_k")


class ReplyLossTrainer(SFTTrainer):
    """SFTTrainer whose loss scores only the labelled (reply) positions, and which counts real tokens.

    `real_tokens` is the number of non-padding tokens trained on so far (padding-free batches have none), `positions`
    the number of positions computed (padding included). `loss_path` is "direct" (decoder and head called here) or
    "forward" (the model's own forward), with `loss_path_reason` saying why not direct.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.real_tokens = 0
        self.positions = 0
        causal_lm = self.accelerator.unwrap_model(self.model)
        if hasattr(causal_lm, "get_base_model"):
            causal_lm = causal_lm.get_base_model()
        self.loss_path_reason = direct_head_ok(causal_lm, self.accelerator.num_processes)
        self.loss_path = "direct" if self.loss_path_reason is None else "forward"

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):  # type: ignore[override]
        labels = inputs["labels"]
        target = labels[:, 1:]
        mask = target != -100
        forward = {k: inputs[k] for k in _BACKBONE_KEYS if k in inputs}
        if self.loss_path == "direct":
            causal_lm = self.accelerator.unwrap_model(model)
            if hasattr(causal_lm, "get_base_model"):
                causal_lm = causal_lm.get_base_model()
            hidden = causal_lm.get_decoder()(**forward, use_cache=False).last_hidden_state
            head = causal_lm.get_output_embeddings()
            logits = head(hidden[:, :-1][mask].to(head.weight.device)).float()
            picked = target[mask]
        else:
            # Through `model` itself (the DDP-wrapped module under data parallelism), the head only where some row
            # has a reply label: hidden position p predicts label p + 1.
            keep = mask.any(dim=0).nonzero().squeeze(1)
            out = model(**forward, use_cache=False, logits_to_keep=keep)
            kept = mask[:, keep]
            logits = out.logits[kept].float()
            picked = target[:, keep][kept]
        total = F.cross_entropy(logits, picked.to(logits.device), reduction="sum")
        count = num_items_in_batch if num_items_in_batch is not None else mask.sum().clamp(min=1)
        loss = total / torch.as_tensor(count, device=total.device)
        if self.args.average_tokens_across_devices and num_items_in_batch is not None and self.accelerator.num_processes > 1:
            # `count` is every rank's reply tokens and DDP averages gradients over ranks: scaled back, the gradient
            # is that of the global batch's mean loss (what Trainer.compute_loss does for its own losses).
            loss = loss * self.accelerator.num_processes
        if self.model.training:
            self.positions += int(inputs["input_ids"].numel())
            if "attention_mask" in inputs:
                self.real_tokens += int(inputs["attention_mask"].sum())
            else:
                self.real_tokens += int(inputs["input_ids"].numel())
        if return_outputs:
            return loss, {"loss": loss}
        return loss


class PreferenceTrainer(DPOTrainer):
    """DPOTrainer that takes pairs tokenized by train/data.py as they are, and counts the real tokens it trains on.

    `real_tokens`: non-padding tokens of the chosen and rejected sequences trained on so far.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.real_tokens = 0
        super().__init__(*args, **kwargs)

    def _prepare_dataset(self, dataset, processing_class, args, dataset_name):  # type: ignore[override]
        # Already `prompt_ids`, `chosen_ids`, `rejected_ids`: TRL's own tokenization would re-render the chat.
        if "prompt_ids" in dataset.column_names:
            return dataset
        return super()._prepare_dataset(dataset, processing_class, args, dataset_name)

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):  # type: ignore[override]
        if self.model.training:
            self.real_tokens += int(inputs["attention_mask"].sum())
        return super().compute_loss(model, inputs, return_outputs=return_outputs, num_items_in_batch=num_items_in_batch)
