"""Reading a dataset folder (docs/model-layer.md): the split's SFT rows, the prompt spec copy, viewers.json."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import BadInput


@dataclass(frozen=True)
class Example:
    """One held-out (context → real reply) row."""

    prompt: list[dict[str, str]]
    reply: str
    context: str
    vod_id: str
    offset_ms: float
    pair_id: str
    #: the pair's evidence tier from alignment (0 background … 2 strong), None when the row has none
    tier: int | None = None


@dataclass(frozen=True)
class TrainReply:
    """A training reply and where it was sent: the pool of ranking distractors."""

    text: str
    vod_id: str
    offset_ms: float


@dataclass(frozen=True)
class EvalDataset:
    dataset_id: str
    split: str
    examples: list[Example]
    spec: dict[str, Any]
    viewer_salt: str
    viewer_hashes: frozenset[str]
    train_replies: list[str]
    train_rows: list[TrainReply]


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise BadInput(f"{path}: not found (is this a dataset folder?)") from error
    except json.JSONDecodeError as error:
        raise BadInput(f"{path}: not JSON ({error.msg} at line {error.lineno})") from error


def read_sft(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        raise BadInput(f"{path}: split file not found")
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError as error:
            raise BadInput(f"{path}:{number}: not JSON ({error.msg})") from error
    return rows


def _example(row: dict[str, Any], where: str) -> Example:
    prompt, completion = row.get("prompt"), row.get("completion")
    if not isinstance(prompt, list) or not prompt or not all(isinstance(m, dict) and "content" in m for m in prompt):
        raise BadInput(f"{where}: prompt must be a list of chat messages")
    if not isinstance(completion, list) or len(completion) != 1 or not isinstance(completion[0].get("content"), str):
        raise BadInput(f"{where}: completion must hold one assistant message")
    return Example(
        prompt=prompt,
        reply=completion[0]["content"],
        context=str(row.get("context", "")),
        vod_id=str(row.get("vod_id", "")),
        offset_ms=float(row.get("offset_ms") or 0),
        pair_id=str(row.get("pair_id", "")),
        tier=row["tier"] if isinstance(row.get("tier"), int) and not isinstance(row.get("tier"), bool) else None,
    )


def spread(n: int, limit: int | None) -> list[int]:
    """`limit` indexes spread evenly over range(n) (all of them when limit is None or >= n).

    >>> spread(10, 3)
    [0, 3, 6]
    """
    if limit is None or limit >= n:
        return list(range(n))
    return [i * n // limit for i in range(limit)]


def load_dataset(folder: str | Path, split: str, limit: int | None) -> EvalDataset:
    root = Path(folder)
    summary = _read_json(root / "dataset.json")
    spec = _read_json(root / "prompt_spec.json")
    viewers = _read_json(root / "viewers.json")
    if not isinstance(viewers, dict) or not isinstance(viewers.get("salt"), str) or not isinstance(viewers.get("sha256"), list):
        raise BadInput(f"{root / 'viewers.json'}: needs {{salt, sha256: [...]}}")
    rows = read_sft(root / "sft" / f"{split}.jsonl")
    examples = [_example(row, f"{root}/sft/{split}.jsonl:{i + 1}") for i, row in enumerate(rows)]
    examples = [examples[i] for i in spread(len(examples), limit)]
    if len(examples) < 2:
        raise BadInput(f"{root}/sft/{split}.jsonl: needs at least 2 examples, has {len(examples)}")
    train_path = root / "sft" / "train.jsonl"
    train_rows = read_sft(train_path) if train_path.is_file() else []
    train = [
        TrainReply(str(row["completion"][0]["content"]), str(row.get("vod_id", "")), float(row.get("offset_ms") or 0))
        for row in train_rows
        if row.get("completion")
    ]
    return EvalDataset(
        dataset_id=str(summary.get("dataset_id", root.name)),
        split=split,
        examples=examples,
        spec=spec,
        viewer_salt=viewers["salt"],
        viewer_hashes=frozenset(viewers["sha256"]),
        train_replies=[row.text for row in train],
        train_rows=train,
    )


def empty_context_prompt(spec: dict[str, Any], prompt: list[dict[str, str]]) -> list[dict[str, str]]:
    """`prompt` with its streamer turn emptied: the prompt spec's rendering of a context with no speech (the
    reply server sends the same when the streamer is silent). The no-context reference of ranking."""
    empty = str((spec.get("context") or {}).get("empty", ""))
    turn = str(spec.get("user_template", "{context}")).replace("{context}", empty)
    last_user = max((i for i, m in enumerate(prompt) if m.get("role") == "user"), default=len(prompt) - 1)
    return [{**m, "content": turn} if i == last_user else dict(m) for i, m in enumerate(prompt)]
