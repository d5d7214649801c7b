"""Dataset rows rendered with their recalled moments: what training with the voice memory reads.

Each row's prompt is rendered again by the prompt spec's twin (dougpt_gpu/prompt_spec.py) with the moments the index
recalls for the row's context, under the same rules as at serving and evaluation: never the row itself, never its
own VOD within the index's exclusion window.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..errors import BadInput
from ..prompt_spec import render_messages
from .index import MemoryIndex, load_memory_index


def dataset_spec(folder: str) -> dict[str, Any]:
    """The dataset's copy of its prompt spec; bad input when it has no memory block."""
    path = Path(folder) / "prompt_spec.json"
    try:
        spec = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise BadInput(f"{path}: unreadable or not JSON ({error})") from error
    if not isinstance(spec, dict) or not isinstance(spec.get("memory"), dict):
        version = spec.get("version") if isinstance(spec, dict) else None
        raise BadInput(f"{path}: prompt spec {version} has no memory block: rebuild the dataset with dougpt-chat/2 or later")
    return spec


def open_memory(path: str, dataset_folder: str, dataset_id: str) -> tuple[MemoryIndex, dict[str, Any]]:
    """The index and the dataset's spec, checked to belong together (another dataset's index could hold this
    dataset's held-out examples)."""
    index = load_memory_index(path)
    if index.dataset_id != dataset_id:
        raise BadInput(f"memory: {path} indexes dataset {index.dataset_id}, not {dataset_id}: build it with "
                       "`dougpt memory build --dataset DIR`")
    return index, dataset_spec(dataset_folder)


def rows_with_memory(rows: list[dict[str, Any]], index: MemoryIndex, spec: dict[str, Any]) -> tuple[list[dict[str, Any]], int]:
    """Copies of SFT rows whose prompt carries the moments recalled for the row; and how many rows recalled any."""
    out, recalled = [], 0
    for row in rows:
        context = row.get("context")
        if not isinstance(context, str):
            raise BadInput(f"row {row.get('pair_id')}: no context field to recall from")
        offset = row.get("offset_ms")
        moments = index.recall(context, row.get("vod_id") or None, float(offset) if isinstance(offset, (int, float)) else None,
                               row.get("pair_id") or None)
        recalled += bool(moments)
        out.append({**row, "prompt": render_messages(spec, context, [(m.entry.context, m.entry.reply) for m in moments])})
    return out, recalled
