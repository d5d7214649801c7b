"""What the model is trained on: the prompt the server sends, then only the reply and its end-of-turn token."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch
from train_fixtures import make_dataset, smollm2_dir

from dougpt_gpu.errors import BadInput
from dougpt_gpu.train.data import read_info, read_sft, tokenize_rows

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def tokenizer():
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(smollm2_dir()))


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_dataset(tmp_path_factory.mktemp("ds"), rows=16, validation=2)


def test_dataset_folder_is_read_per_contract(dataset: Path) -> None:
    info = read_info(str(dataset))
    assert info.dataset_id.startswith("ds-") and info.prompt_spec and info.prompt_spec["version"]
    rows = read_sft(str(dataset), "train")
    assert len(rows) == 16 and rows[0]["split"] == "train" and rows[0]["dataset_id"] == info.dataset_id
    assert read_sft(str(dataset), "test") == []


def test_bad_rows_are_bad_input(tmp_path: Path) -> None:
    root = make_dataset(tmp_path / "ds", rows=4, validation=0)
    with pytest.raises(BadInput, match="split file not found"):
        read_sft(str(root), "nope")
    (root / "sft" / "train.jsonl").write_text('{"prompt": [], "completion": []}\n')
    with pytest.raises(BadInput, match="train.jsonl:1: prompt"):
        read_sft(str(root), "train")
    (root / "dataset.json").write_text("{}")
    with pytest.raises(BadInput, match="dataset_id"):
        read_info(str(root))


def test_batch_labels_are_the_reply_and_end_of_turn_only(dataset: Path, tokenizer) -> None:
    from trl.trainer.sft_trainer import DataCollatorForLanguageModeling

    from dougpt_gpu.train.run import _to_dataset

    rows = read_sft(str(dataset), "train")[:6]
    tokens = tokenize_rows(tokenizer, rows, max_length=512)
    assert tokens.end_token == "<|im_end|>" and tokens.dropped_long == 0 and tokens.chat_template == "chatml"
    examples = list(_to_dataset(__import__("datasets").Dataset, tokens))
    batch = DataCollatorForLanguageModeling(pad_token_id=tokenizer.pad_token_id)(examples)
    assert batch["labels"].shape == batch["input_ids"].shape and batch["labels"].shape[0] == 6
    for i, row in enumerate(rows):
        labels = batch["labels"][i]
        learned = tokenizer.decode(labels[labels != -100])
        assert learned == row["completion"][0]["content"] + "<|im_end|>"
        # The learned tokens are one contiguous run right after the prompt the server sends.
        prompt = tokenizer.apply_chat_template(row["prompt"], tokenize=False, add_generation_prompt=True)
        n_prompt = len(tokenizer(prompt, add_special_tokens=False)["input_ids"])
        unmasked = (labels != -100).nonzero().flatten().tolist()
        assert unmasked == list(range(n_prompt, n_prompt + len(unmasked)))
        assert tokenizer.decode(batch["input_ids"][i][:n_prompt]) == prompt
        # Prompt + reply is the chat template's rendering of the whole conversation, up to its end-of-turn.
        full = tokenizer.apply_chat_template(row["prompt"] + row["completion"], tokenize=False)
        assert full.startswith(tokenizer.decode(batch["input_ids"][i][: n_prompt + len(unmasked)]))


def test_long_rows_are_left_out_not_cut(dataset: Path, tokenizer) -> None:
    rows = read_sft(str(dataset), "train")
    lengths = [len(ids) for ids in tokenize_rows(tokenizer, rows, 10_000).input_ids]
    limit = sorted(lengths)[len(lengths) // 2]
    kept = tokenize_rows(tokenizer, rows, limit)
    assert kept.dropped_long == sum(n > limit for n in lengths)
    assert all(len(ids) <= limit for ids in kept.input_ids)


def test_reply_only_loss_equals_the_models_own_loss(dataset: Path, tokenizer) -> None:
    """The trainer's loss (LM head on labelled positions only) is the model's mean next-token loss on the replies."""
    from transformers import AutoModelForCausalLM
    from trl.trainer.sft_trainer import DataCollatorForLanguageModeling

    from dougpt_gpu.train.run import _to_dataset
    from dougpt_gpu.train.trainer import ReplyLossTrainer

    model = AutoModelForCausalLM.from_pretrained(str(smollm2_dir()), dtype=torch.float32).eval()
    rows = read_sft(str(dataset), "train")[:4]
    examples = list(_to_dataset(__import__("datasets").Dataset, tokenize_rows(tokenizer, rows, 512)))
    batch = DataCollatorForLanguageModeling(pad_token_id=tokenizer.pad_token_id)(examples)

    class Stub:
        accelerator = type("A", (), {"unwrap_model": staticmethod(lambda m: m), "num_processes": 1})()
        args = type("Args", (), {"average_tokens_across_devices": False})()
        real_tokens = 0

    Stub.model = model
    with torch.no_grad():
        theirs = model(**batch).loss
        # Both loss paths: the direct decoder + head (one process, plain head) and the model's own forward.
        for path in ("direct", "forward"):
            Stub.loss_path = path
            ours = ReplyLossTrainer.compute_loss(Stub(), model, dict(batch))
            assert torch.allclose(ours, theirs, rtol=1e-5, atol=1e-5), (path, ours.item(), theirs.item())
    # A mean cross-entropy: finite, positive, and under the uniform guess's ln(vocabulary) for a trained model.
    loss = float(ours)
    assert math.isfinite(loss) and 0 < loss < math.log(model.config.vocab_size), loss


def test_a_gemma_base_trains_on_prompts_with_the_system_text_in_the_user_turn(dataset: Path, tokenizer) -> None:
    import copy

    from test_chat_templates import _template

    from dougpt_gpu.chat_templates import render_chat_template

    gemma = copy.deepcopy(tokenizer)
    gemma.chat_template = _template("gemma.jinja")
    gemma.add_special_tokens({"bos_token": "<bos>", "additional_special_tokens": ["<start_of_turn>", "<end_of_turn>"]})
    rows = read_sft(str(dataset), "train")[:3]
    tokens = tokenize_rows(gemma, rows, max_length=512)
    assert tokens.chat_template == "gemma" and tokens.end_token == "<end_of_turn>"
    prompt = gemma.decode(tokens.input_ids[0][: tokens.completion_mask[0].index(1)])
    assert prompt == render_chat_template("gemma", rows[0]["prompt"], True, "<bos>")
    assert prompt.startswith("<bos><start_of_turn>user\n" + rows[0]["prompt"][0]["content"] + "\n\n")
