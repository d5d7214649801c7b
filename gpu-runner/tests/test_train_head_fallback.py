"""The reply-only loss and the scorer call the decoder and the head themselves only where the logits are the head's
output; on a soft-capped head (a tiny random Gemma 2) both fall back to the model's own forward and agree with it."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from train_fixtures import make_dataset, tiny_base

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_dataset(tmp_path_factory.mktemp("ds"), rows=8, validation=0)


@pytest.fixture(scope="module")
def bases(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return {family: tiny_base(tmp_path_factory.mktemp(family), family) for family in ("qwen2", "gemma2")}


def test_direct_head_only_where_it_holds(bases: dict[str, Path]) -> None:
    from transformers import AutoModelForCausalLM

    from dougpt_gpu.train.head import direct_head_ok

    qwen2 = AutoModelForCausalLM.from_pretrained(str(bases["qwen2"]))
    gemma2 = AutoModelForCausalLM.from_pretrained(str(bases["gemma2"]))
    assert direct_head_ok(qwen2, processes=1) is None
    assert "data-parallel" in direct_head_ok(qwen2, processes=2)
    assert "gemma2" in direct_head_ok(gemma2, processes=1)
    # A family we know, with a transform set anyway, or a head that is not one linear layer.
    qwen2.config.final_logit_softcapping = 30.0
    assert "final_logit_softcapping" in direct_head_ok(qwen2, processes=1)
    qwen2.config.final_logit_softcapping = None
    qwen2.lm_head = torch.nn.Sequential(qwen2.lm_head)
    assert "Sequential" in direct_head_ok(qwen2, processes=1)


def _trainer_and_batch(dataset: Path, base: Path, out: Path) -> tuple:
    from dougpt_gpu.models.registry import resolve_base
    from dougpt_gpu.train.data import read_sft
    from dougpt_gpu.train.job import TrainJob
    from dougpt_gpu.train.run import build_trainer

    job = TrainJob.from_dict({
        "dataset": str(dataset), "out": str(out), "preset": "cpu-smoke", "base_model": str(base), "threads": 1,
        "batch": {"batch_size": 4, "max_length": 192},
    })
    built = build_trainer(job, resolve_base(str(base)), read_sft(str(dataset), "train"), [], "test", lambda *a, **k: None)
    trainer = built.trainer
    batch = next(iter(trainer.get_train_dataloader()))
    return trainer, batch


@pytest.mark.parametrize("family", ["qwen2", "gemma2"])
def test_reply_loss_equals_the_models_own_loss(family: str, bases: dict[str, Path], dataset: Path, tmp_path: Path) -> None:
    trainer, batch = _trainer_and_batch(dataset, bases[family], tmp_path / "out")
    model = trainer.model
    assert trainer.loss_path == ("direct" if family == "qwen2" else "forward")
    # The model's own loss: its forward (soft-capping included) and its shifted cross-entropy over the reply labels.
    with torch.no_grad():
        reference = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"], labels=batch["labels"]).loss
    loss = trainer.compute_loss(model, batch)
    assert float(loss) == pytest.approx(float(reference), rel=1e-5)
    # Gradients reach the adapter through whichever path.
    loss.backward()
    grads = [p.grad for n, p in model.named_parameters() if "lora_B" in n]
    assert grads and all(g is not None and g.abs().sum() > 0 for g in grads)
    model.zero_grad()
    if family == "gemma2":
        # The shortcut would score the head's raw output, which the soft cap changes: the check is what keeps it away.
        trainer.loss_path = "direct"
        with torch.no_grad():
            shortcut = trainer.compute_loss(model, batch)
        assert abs(float(shortcut) - float(reference)) > 0.1


def test_scorer_on_a_soft_capped_head_scores_the_models_logits(bases: dict[str, Path], dataset: Path, tmp_path: Path) -> None:
    from dougpt_gpu.evaluate.job import EvalJob
    from dougpt_gpu.evaluate.scoring import ResolvedBase, Scorer
    from dougpt_gpu.train.data import read_sft

    job = EvalJob(dataset=str(dataset), adapter=str(tmp_path), threads=1)
    scorer = Scorer(job, ResolvedBase("gemma2", str(bases["gemma2"]), None, None), {})
    assert scorer.head_reason is not None
    rows = read_sft(str(dataset), "train")[:3]
    prompts = [scorer.prompt_ids(r["prompt"]) for r in rows]
    replies = [scorer.reply_ids(r["completion"][0]["content"]) for r in rows]

    def full_forward(prompt: list[int], reply: list[int]) -> float:
        ids = torch.tensor([prompt + reply])
        logprobs = scorer.model(input_ids=ids).logits[0].float().log_softmax(-1)
        return sum(float(logprobs[pos - 1, ids[0, pos]]) for pos in range(len(prompt), ids.shape[1]))

    sums, _, _ = scorer.run(prompts, [[r] for r in replies], batch_size=3)
    ranked = scorer.mean_logliks(prompts[0], replies, per_pass=2)
    with torch.inference_mode():
        full = [full_forward(p, r) for p, r in zip(prompts, replies)]
    assert [s[0] for s in sums] == pytest.approx(full, abs=1e-3)
    assert ranked == pytest.approx([full_forward(prompts[0], r) / len(r) for r in replies], abs=1e-4)
    # The head alone (no cap) gives other numbers: scoring it would have been wrong.
    scorer.head_reason = None
    shortcut, _, _ = scorer.run(prompts, [[r] for r in replies], batch_size=3)
    assert abs(shortcut[0][0] - full[0]) > 1.0
