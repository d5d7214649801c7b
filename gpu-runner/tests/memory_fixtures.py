"""A memory index file for tests, in the layout functions/memory/memory-index.ts writes (the builder is TypeScript;
test_memory.py checks that both sides recall the same from a file it built)."""

from __future__ import annotations

import json
import math
from pathlib import Path

from dougpt_gpu.memory.index import memory_words


def write_memory_index(path: Path, dataset_id: str, entries: list[dict], exclude_ms: int = 300_000, k: int = 3) -> Path:
    df: dict[str, int] = {}
    total = 0
    for e in entries:
        ws = memory_words(e["context"])
        total += len(ws)
        for w in set(ws):
            df[w] = df.get(w, 0) + 1
    n = len(entries)
    idf = [[w, math.log(1 + (n - d + 0.5) / (d + 0.5))] for w, d in sorted(df.items())]
    path.write_text(json.dumps({"rule": "dougpt-memory/1", "dataset_id": dataset_id, "k1": 1.2, "b": 0.75, "k": k,
                                "exclude_ms": exclude_ms, "n": n, "avgdl": total / n if n else 0, "idf": idf,
                                "entries": entries}))
    return path
