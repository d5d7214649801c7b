"""Whether a causal LM's logits are exactly its output head applied to its decoder's last hidden states.

    python -m dougpt_gpu train --input job.json
    python -m dougpt_gpu eval --input job.json

The training loss (train/trainer.py) and the evaluator's scorer (evaluate/scoring.py) call the decoder and the head
themselves, to put only reply positions through the head. That bypasses `model.forward`, which is only safe where the
forward does nothing else: one process (DDP all-reduces gradients from hooks its wrapped forward sets up) and a plain
linear head of a family whose forward adds no transform (Gemma 2 soft-caps its logits, Cohere scales them, Granite
divides them). Elsewhere both fall back to the model's own forward.
"""

from __future__ import annotations

from typing import Any

# Families whose causal-LM forward is `lm_head(model(...))` and nothing more (transformers' modeling files).
PLAIN_HEAD_FAMILIES = frozenset({"llama", "qwen2", "qwen3", "mistral"})
# Config fields by which other families change the logits after the head.
_LOGIT_TRANSFORMS = ("final_logit_softcapping", "logit_scale", "logits_scaling", "output_multiplier_scale")


def direct_head_ok(causal_lm: Any, processes: int) -> str | None:
    """None when the loss may call the decoder and the head directly; else why not (the plain forward is used).

    >>> direct_head_ok(qwen2_model, processes=2)  # doctest: +SKIP
    'data-parallel (2 processes): gradients are all-reduced by the wrapped forward'
    """
    if processes > 1:
        return f"data-parallel ({processes} processes): gradients are all-reduced by the wrapped forward"
    config = getattr(causal_lm, "config", None)
    family = getattr(config, "model_type", None)
    if family not in PLAIN_HEAD_FAMILIES:
        return f"model type {family!r}: its forward is not known to be head(decoder(x))"
    for name in _LOGIT_TRANSFORMS:
        if getattr(config, name, None) not in (None, 1, 1.0):
            return f"{name} is set: the logits are not the head's output"
    import torch

    head = causal_lm.get_output_embeddings() if hasattr(causal_lm, "get_output_embeddings") else None
    if type(head) is not torch.nn.Linear:
        return f"output head is {type(head).__name__}, not one linear layer"
    return None
