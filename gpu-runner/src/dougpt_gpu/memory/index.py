"""Voice memory in Python: reads the `memory.json` a dataset build writes and retrieves as the TypeScript side does.

The twin of functions/memory/memory-index.ts (the reply server and the simulator); the trainer and the evaluator use
this one. Both must return the same moments with the same scores, bit for bit: words are ASCII runs, the IDF values
and the mean length come from the file, and a score is the same sequence of IEEE operations in both languages
(query words in order of first appearance), ties broken by the entry's position. tests/unit/memory and
gpu-runner/tests/test_memory.py compare the two on shared fixtures.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import BadInput

MEMORY_RULE = "dougpt-memory/1"
_WORD = re.compile(r"[a-z0-9]+")
_FIELDS = {"pair_id": str, "vod_id": str, "offset_ms": (int, float), "context": str, "reply": str}


def memory_words(text: str) -> list[str]:
    """Runs of ASCII letters and digits, lower-cased (only A-Z: JavaScript's toLowerCase maps the same ASCII).

    >>> memory_words("Okay CHAT, we're at 2-1!")
    ['okay', 'chat', 'we', 're', 'at', '2', '1']
    """
    return _WORD.findall(text.translate(_ASCII_LOWER))


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


@dataclass(frozen=True)
class MemoryEntry:
    pair_id: str
    vod_id: str
    offset_ms: float
    context: str
    reply: str


@dataclass(frozen=True)
class Recalled:
    """One retrieved moment: the entry, its position in the index file and its BM25 score."""

    entry: MemoryEntry
    index: int
    score: float


class MemoryIndex:
    """A loaded index: the file's parameters and entries, with postings per word for queries."""

    def __init__(self, raw: Any, sha256: str, where: str) -> None:
        if not isinstance(raw, dict) or raw.get("rule") != MEMORY_RULE:
            raise BadInput(f"{where}: not a {MEMORY_RULE} memory index")
        try:
            self.dataset_id = str(raw["dataset_id"])
            self.k1, self.b, self.avgdl = float(raw["k1"]), float(raw["b"]), float(raw["avgdl"])
            self.k, self.exclude_ms = int(raw["k"]), int(raw["exclude_ms"])
            self.idf = {str(w): float(v) for w, v in raw["idf"]}
            entries = raw["entries"]
        except (KeyError, TypeError, ValueError) as error:
            raise BadInput(f"{where}: malformed memory index ({error!r})") from error
        self.entries: list[MemoryEntry] = []
        for i, e in enumerate(entries):
            if not isinstance(e, dict) or any(not isinstance(e.get(f), t) for f, t in _FIELDS.items()):
                raise BadInput(f"{where}: entries[{i}]: needs pair_id, vod_id, offset_ms, context, reply")
            self.entries.append(MemoryEntry(e["pair_id"], e["vod_id"], e["offset_ms"], e["context"], e["reply"]))
        if raw.get("n") != len(self.entries):
            raise BadInput(f"{where}: n is {raw.get('n')} but it holds {len(self.entries)} entries")
        self.sha256 = sha256
        self.postings: dict[str, list[tuple[int, int]]] = {}
        self.lengths: list[int] = []
        for i, e in enumerate(self.entries):
            counts: dict[str, int] = {}
            for w in memory_words(e.context):
                counts[w] = counts.get(w, 0) + 1
            for w, tf in counts.items():
                self.postings.setdefault(w, []).append((i, tf))
            self.lengths.append(sum(counts.values()))

    def recall(self, context: str, vod_id: str | None = None, offset_ms: float | None = None,
               pair_id: str | None = None, k: int | None = None) -> list[Recalled]:
        """The `k` train moments most like `context` (BM25), best first; never the example itself (`pair_id`),
        never a moment of `vod_id` within `exclude_ms` of `offset_ms` (anywhere in it when the offset is None),
        never a second moment with the same context text, only moments sharing a word with the query."""
        k = self.k if k is None else k
        k1, b, avgdl = self.k1, self.b, self.avgdl
        scores: dict[int, float] = {}
        seen: set[str] = set()
        for w in memory_words(context):
            if w in seen:
                continue
            seen.add(w)
            postings, idf = self.postings.get(w), self.idf.get(w)
            if postings is None or idf is None:
                continue
            for i, tf in postings:
                dl = self.lengths[i]
                # The same operations, in the same order, as memory-index.ts's `recall`: parity is bit for bit.
                scores[i] = scores.get(i, 0.0) + (idf * (tf * (k1 + 1))) / (tf + k1 * (1 - b + (b * dl) / avgdl))
        ranked = sorted((i for i, s in scores.items() if s > 0), key=lambda i: (-scores[i], i))
        out: list[Recalled] = []
        contexts: set[str] = set()
        for i in ranked:
            if len(out) >= k:
                break
            e = self.entries[i]
            if pair_id and e.pair_id == pair_id:
                continue
            if vod_id and e.vod_id == vod_id and (offset_ms is None or abs(e.offset_ms - offset_ms) <= self.exclude_ms):
                continue
            if e.context in contexts:
                continue
            contexts.add(e.context)
            out.append(Recalled(e, i, scores[i]))
        return out


def load_memory_index(path: str | Path) -> MemoryIndex:
    """Reads an index file (a dataset's `memory.json`); its sha256 is the memory's version."""
    file = Path(path)
    try:
        data = file.read_bytes()
    except OSError as error:
        raise BadInput(f"{file}: cannot read the memory index ({error.strerror})") from error
    try:
        raw = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise BadInput(f"{file}: not JSON ({error})") from error
    return MemoryIndex(raw, hashlib.sha256(data).hexdigest(), str(file))
