"""The transcribe job: probe, pick the backend, transcribe chunk by chunk (resuming), stitch, write.

    python -m dougpt_gpu transcribe --input job.json
"""

from __future__ import annotations

import json
import logging
import os
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from ..errors import BadInput
from ..events import emit
from .audio import decode, probe_duration_ms
from .chunk_store import ChunkStore, file_sha256, fingerprint
from .chunks import Chunk, plan_chunks, stitch
from .job import TranscribeJob
from .words import ChunkResult

log = logging.getLogger("dougpt_gpu.transcribe")


class Backend(Protocol):
    name: str
    model: str

    def transcribe(self, samples: np.ndarray, chunk: Chunk, on_progress: Any) -> ChunkResult: ...


def pick_backend(job: TranscribeJob) -> Backend:
    """`auto`: faster-whisper when CTranslate2 sees a GPU and the model is local, else pocketsphinx."""
    name = job.backend
    if name == "auto":
        from .whisper_backend import cuda_device_count, model_is_available

        gpus = cuda_device_count()
        has_model = model_is_available(job.whisper)
        name = "faster-whisper" if gpus and has_model else "pocketsphinx"
        log.info("backend auto: %s (cuda devices: %d, model %s local: %s)", name, gpus, job.whisper.model, has_model)
    if name == "faster-whisper":
        from .whisper_backend import WhisperBackend

        return WhisperBackend(job.whisper, job.vad)
    from .sphinx_backend import SphinxBackend

    return SphinxBackend(job.pocketsphinx)


def backend_config(job: TranscribeJob, backend: Backend) -> dict[str, Any]:
    """The options that shaped the words, stored in the transcript and in each chunk's fingerprint."""
    config: dict[str, Any] = {"chunking": asdict(job.chunking)}
    if backend.name == "faster-whisper":
        config |= {"whisper": asdict(job.whisper), "vad": asdict(job.vad), "device": getattr(backend, "device", None)}
    else:
        config |= {"pocketsphinx": asdict(job.pocketsphinx)}
    return config


def run_transcribe(raw: dict[str, Any]) -> dict[str, Any]:
    """Run one job from its JSON; returns the result event's fields. Bad input is found before anything is written."""
    started = time.monotonic()
    job = TranscribeJob.from_dict(raw)
    total_ms = probe_duration_ms(job.audio)
    backend = pick_backend(job)
    config = backend_config(job, backend)
    chunk_ms = round(job.chunking.chunk_s * 1000)
    chunks = plan_chunks(total_ms, chunk_ms, round(job.chunking.overlap_s * 1000))
    store = None
    if job.chunk_dir:
        store = ChunkStore(job.chunk_dir, fingerprint(file_sha256(job.audio), backend.name, backend.model, config))

    results: list[ChunkResult] = []
    resumed = 0
    for chunk in chunks:
        result = store.load(chunk) if store is not None and chunk.index < job.resume_from_chunk else None
        if result is not None:
            resumed += 1
        else:
            samples = decode(job.audio, chunk.start_ms, chunk.end_ms - chunk.start_ms)

            def progress(done_ms: int, chunk: Chunk = chunk) -> None:
                _progress(done_ms, total_ms, chunk.index, len(chunks), chunk.index)

            result = backend.transcribe(samples, chunk, progress)
            if store is not None:
                store.save(result)
        results.append(result)
        _progress(chunk.end_ms, total_ms, chunk.index, len(chunks), chunk.index + 1)

    words, segments = stitch(results)
    transcript = {
        "words": [{"word": w.word, "start_ms": w.start_ms, "end_ms": w.end_ms, "confidence": w.confidence} for w in words],
        "segments": [asdict(s) for s in segments],
        "backend": backend.name,
        "model": backend.model,
        "config": config,
    }
    _write_json(job.out, transcript)
    elapsed = time.monotonic() - started
    return {
        "out": job.out,
        "backend": backend.name,
        "model": backend.model,
        "words": len(words),
        "segments": len(segments),
        "duration_ms": total_ms,
        "chunks": len(chunks),
        "resumed_chunks": resumed,
        "elapsed_s": round(elapsed, 3),
        "rtf": round(elapsed / (total_ms / 1000), 4),
    }


def _progress(done_ms: int, total_ms: int, chunk: int, chunks: int, finished: int) -> None:
    emit("progress", done_ms=done_ms, total_ms=total_ms, chunk=chunk, chunks=chunks, finished_chunks=finished)


def _write_json(path: str, value: Any) -> None:
    target = Path(path)
    if target.is_dir():
        raise BadInput(f"{path}: is a directory, need a file path for the transcript")
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    temp.write_text(json.dumps(value, ensure_ascii=False), encoding="utf-8")
    os.replace(temp, target)
