"""Reading a dataset folder (docs/model-layer.md) and turning its rows into token ids: SFT rows with a reply mask,
DPO rows as prompt, chosen and rejected ids.

    python -m dougpt_gpu train --input job.json

The prompt is the tokenizer's chat template applied to the row's `prompt` messages with the generation prompt
opened (exactly what the reply server sends); the completion is the reply followed by the end-of-turn token.
Only completion tokens are learned. A DPO pair's chosen and rejected replies are tokenized exactly as an SFT
completion is, after the same prompt. Rows longer than `max_length` are left out, never cut: a cut prompt is a
prompt the server never sends, a cut reply teaches the model to stop mid-message.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..chat_templates import family_of, prompt_text
from ..errors import BadInput


@dataclass(frozen=True)
class DatasetInfo:
    """What a run records about its dataset."""

    path: str
    dataset_id: str
    prompt_spec: dict[str, Any] | None
    splits: dict[str, int]


def read_info(folder: str) -> DatasetInfo:
    """dataset.json's identity; bad input when the folder is not a dataset."""
    root = Path(folder)
    summary_path = root / "dataset.json"
    try:
        summary = json.loads(summary_path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise BadInput(f"{summary_path}: not found (not a dataset folder)") from error
    except (OSError, json.JSONDecodeError) as error:
        raise BadInput(f"{summary_path}: unreadable or not JSON ({error})") from error
    if not isinstance(summary, dict) or not isinstance(summary.get("dataset_id"), str) or not summary["dataset_id"]:
        raise BadInput(f"{summary_path}: needs a dataset_id string")
    spec = summary.get("prompt_spec")
    splits = summary.get("splits")
    return DatasetInfo(
        path=str(root.resolve()),
        dataset_id=summary["dataset_id"],
        prompt_spec=spec if isinstance(spec, dict) else None,
        splits={k: v for k, v in splits.items() if isinstance(v, int)} if isinstance(splits, dict) else {},
    )


def read_sft(folder: str, split: str) -> list[dict[str, Any]]:
    """The rows of `sft/<split>.jsonl`, each checked for its prompt and completion messages."""
    return _read_rows(Path(folder) / "sft" / f"{split}.jsonl", _check_row)


def read_dpo(folder: str, split: str) -> list[dict[str, Any]]:
    """The rows of `dpo/<split>.jsonl`, each checked for its prompt and its chosen and rejected replies."""
    return _read_rows(Path(folder) / "dpo" / f"{split}.jsonl", _check_pair)


def _read_rows(path: Path, check: Any) -> list[dict[str, Any]]:
    if not path.is_file():
        raise BadInput(f"{path}: split file not found")
    rows: list[dict[str, Any]] = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as error:
                raise BadInput(f"{path}:{number}: not JSON ({error.msg})") from error
            check(row, f"{path}:{number}")
            rows.append(row)
    return rows


def _check_row(row: Any, where: str) -> None:
    _check_prompt(row, where)
    _check_reply(row, "completion", where)


def _check_pair(row: Any, where: str) -> None:
    _check_prompt(row, where)
    _check_reply(row, "chosen", where)
    _check_reply(row, "rejected", where)


def _check_prompt(row: Any, where: str) -> None:
    if not isinstance(row, dict):
        raise BadInput(f"{where}: a row must be an object")
    prompt = row.get("prompt")
    if not isinstance(prompt, list) or not prompt or not all(_is_message(m) for m in prompt):
        raise BadInput(f"{where}: prompt must be a non-empty list of {{role, content}} messages")
    if prompt[-1]["role"] != "user":
        raise BadInput(f"{where}: the prompt must end with the user turn")


def _check_reply(row: dict[str, Any], key: str, where: str) -> None:
    reply = row.get(key)
    if not isinstance(reply, list) or len(reply) != 1 or not _is_message(reply[0]) or reply[0]["role"] != "assistant":
        raise BadInput(f"{where}: {key} must be one assistant message")


def _is_message(message: Any) -> bool:
    return (
        isinstance(message, dict)
        and message.get("role") in ("system", "user", "assistant")
        and isinstance(message.get("content"), str)
    )


@dataclass(frozen=True)
class Tokenized:
    """Token ids of the kept rows; `completion_mask` is 1 on the reply and its end-of-turn token."""

    input_ids: list[list[int]]
    completion_mask: list[list[int]]
    dropped_long: int
    end_token: str
    # The chat template family the prompts were rendered in (dougpt_gpu/chat_templates.py), recorded in run.json.
    chat_template: str = "chatml"


def tokenize_rows(tokenizer: Any, rows: list[dict[str, Any]], max_length: int) -> Tokenized:
    """Prompt ids from the chat template, then the reply and the end-of-turn token, masked for the loss."""
    end_token = end_of_turn(tokenizer)
    input_ids: list[list[int]] = []
    masks: list[list[int]] = []
    dropped = 0
    for row in rows:
        prompt_ids = _prompt_ids(tokenizer, row["prompt"])
        reply_ids = _reply_ids(tokenizer, row["completion"], end_token)
        if len(prompt_ids) + len(reply_ids) > max_length:
            dropped += 1
            continue
        input_ids.append(prompt_ids + reply_ids)
        masks.append([0] * len(prompt_ids) + [1] * len(reply_ids))
    return Tokenized(input_ids=input_ids, completion_mask=masks, dropped_long=dropped, end_token=end_token,
                     chat_template=family_of(tokenizer))


@dataclass(frozen=True)
class TokenizedPairs:
    """Token ids of the kept preference pairs: one prompt, two replies (each ending in the end-of-turn token)."""

    prompt_ids: list[list[int]]
    chosen_ids: list[list[int]]
    rejected_ids: list[list[int]]
    dropped_long: int


def tokenize_pairs(tokenizer: Any, rows: list[dict[str, Any]], max_length: int) -> TokenizedPairs:
    """DPO rows as TRL's preference collator takes them; a pair whose longer side passes `max_length` is left out."""
    end_token = end_of_turn(tokenizer)
    prompts: list[list[int]] = []
    chosen: list[list[int]] = []
    rejected: list[list[int]] = []
    dropped = 0
    for row in rows:
        prompt_ids = _prompt_ids(tokenizer, row["prompt"])
        chosen_ids = _reply_ids(tokenizer, row["chosen"], end_token)
        rejected_ids = _reply_ids(tokenizer, row["rejected"], end_token)
        if len(prompt_ids) + max(len(chosen_ids), len(rejected_ids)) > max_length:
            dropped += 1
            continue
        prompts.append(prompt_ids)
        chosen.append(chosen_ids)
        rejected.append(rejected_ids)
    return TokenizedPairs(prompt_ids=prompts, chosen_ids=chosen, rejected_ids=rejected, dropped_long=dropped)


def _prompt_ids(tokenizer: Any, messages: list[dict[str, str]]) -> list[int]:
    return list(tokenizer(prompt_text(tokenizer, messages), add_special_tokens=False)["input_ids"])


def _reply_ids(tokenizer: Any, reply: list[dict[str, str]], end_token: str) -> list[int]:
    return list(tokenizer(reply[0]["content"] + end_token, add_special_tokens=False)["input_ids"])


def end_of_turn(tokenizer: Any) -> str:
    """The token that ends an assistant turn in the chat template (`<|im_end|>` for ChatML models)."""
    probe = tokenizer.apply_chat_template(
        [{"role": "user", "content": "a"}, {"role": "assistant", "content": "PROBE"}], tokenize=False
    )
    after = probe.split("PROBE", 1)[1]
    for token in sorted(tokenizer.all_special_tokens, key=len, reverse=True):
        if token and after.startswith(token):
            return token
    if tokenizer.eos_token and after.lstrip().startswith(tokenizer.eos_token):
        return tokenizer.eos_token
    raise BadInput(f"cannot find the end-of-turn token in the base's chat template (after the reply: {after[:20]!r})")
