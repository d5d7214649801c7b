"""Finished chunks on disk, so a resumed run skips them. Each file names the inputs it came from
(audio checksum, backend, model, options, chunk bounds); a file that does not match is recomputed."""

from __future__ import annotations

import hashlib
import json
import logging
import os
from dataclasses import asdict
from pathlib import Path
from typing import Any

from .chunks import Chunk
from .words import ChunkResult, Segment, Word

log = logging.getLogger("dougpt_gpu.chunks")


def file_sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fingerprint(audio_sha256: str, backend: str, model: str | None, options: dict[str, Any]) -> str:
    text = json.dumps({"audio": audio_sha256, "backend": backend, "model": model, "options": options}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


class ChunkStore:
    """`<dir>/chunk-00003.json` per finished chunk, written atomically (temp file + rename)."""

    def __init__(self, directory: str, fingerprint: str) -> None:
        self.directory = Path(directory)
        self.fingerprint = fingerprint
        self.directory.mkdir(parents=True, exist_ok=True)

    def _path(self, index: int) -> Path:
        return self.directory / f"chunk-{index:05d}.json"

    def save(self, result: ChunkResult) -> None:
        body = {"fingerprint": self.fingerprint, **asdict(result)}
        temp = self._path(result.index).with_suffix(".tmp")
        temp.write_text(json.dumps(body, separators=(",", ":")), encoding="utf-8")
        os.replace(temp, self._path(result.index))

    def load(self, chunk: Chunk) -> ChunkResult | None:
        """The saved result for this chunk, or None (missing, from other inputs, or unreadable)."""
        path = self._path(chunk.index)
        try:
            body = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            log.warning("%s: missing, chunk %d will be transcribed again", path, chunk.index)
            return None
        except (OSError, json.JSONDecodeError) as error:
            log.warning("%s: unreadable (%s), chunk %d will be transcribed again", path, error, chunk.index)
            return None
        if body.get("fingerprint") != self.fingerprint or (body.get("start_ms"), body.get("end_ms")) != (
            chunk.start_ms,
            chunk.end_ms,
        ):
            log.warning("%s: made from other inputs, chunk %d will be transcribed again", path, chunk.index)
            return None
        return ChunkResult(
            index=chunk.index,
            start_ms=chunk.start_ms,
            end_ms=chunk.end_ms,
            words=tuple(Word(**w) for w in body["words"]),
            segments=tuple(Segment(**s) for s in body["segments"]),
        )
