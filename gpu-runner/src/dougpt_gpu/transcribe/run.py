"""The transcribe job: probe, pick the backend, transcribe the chunks (resuming; in parallel on CPU), stitch, write.

    python -m dougpt_gpu transcribe --input job.json
"""

from __future__ import annotations

import json
import logging
import os
import resource
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from ..errors import BadInput
from .audio import probe_duration_ms
from .chunk_pool import available_cores, transcribe_chunks
from .chunk_store import ChunkStore, file_sha256, fingerprint
from .chunks import Chunk, plan_chunks, stitch
from .job import TranscribeJob
from .progress import OrderedProgress
from .resolve import resolve
from .words import ChunkResult

log = logging.getLogger("dougpt_gpu.transcribe")


class Backend(Protocol):
    name: str
    model: str

    def transcribe(self, samples: np.ndarray, chunk: Chunk, on_progress: Any) -> ChunkResult: ...


def pick_backend(job: TranscribeJob) -> Backend:
    """The backend `resolve` names on this machine (`auto`: Whisper on a GPU, the embedded tiny.en on a CPU, else
    pocketsphinx), loaded."""
    resolved = resolve(job.backend, job.whisper, job.vad, job.pocketsphinx)
    log.info("backend %s: %s %s (%s, %s)", job.backend, resolved.backend, resolved.model, resolved.device, resolved.compute_type)
    if resolved.backend == "faster-whisper":
        from .whisper_backend import WhisperBackend

        return WhisperBackend(job.whisper, job.vad, resolved)
    from .sphinx_backend import SphinxBackend

    return SphinxBackend(job.pocketsphinx)


def backend_config(job: TranscribeJob, backend: Backend) -> dict[str, Any]:
    """The options that shaped the words, stored in the transcript and in each chunk's fingerprint.

    `resolved` is what ran: backend, model, the model file's sha256, device, compute type, language and decoding
    options. Chunk lengths appear resolved (the backend's defaults filled in); pocketsphinx's `workers` is left out,
    as it changes only how fast the words come, so a resume on a machine with other cores still finds its chunks.
    """
    config: dict[str, Any] = {"chunking": asdict(job.chunking.resolved(chunking_key(backend)))}
    if backend.name == "faster-whisper":
        resolved = backend.resolved  # type: ignore[attr-defined]
        whisper = {k: v for k, v in asdict(job.whisper).items() if k != "workers"}
        config |= {"whisper": whisper, "vad": asdict(job.vad), "device": resolved.device, "resolved": resolved.as_json()}
    else:
        config |= {
            "pocketsphinx": {k: v for k, v in asdict(job.pocketsphinx).items() if k != "workers"},
            "resolved": resolve("pocketsphinx", job.whisper, job.vad, job.pocketsphinx).as_json(),
        }
    return config


def on_cpu(backend: Backend) -> bool:
    return backend.name == "pocketsphinx" or getattr(backend, "device", "cpu") == "cpu"


def chunking_key(backend: Backend) -> str:
    """Which DEFAULT_CHUNKING entry applies: Whisper on a CPU cuts short chunks, to decode one per core."""
    return "faster-whisper-cpu" if backend.name == "faster-whisper" and on_cpu(backend) else backend.name


def worker_count(job: TranscribeJob, backend: Backend, chunks: int) -> int:
    """Processes to decode `chunks` chunks, never more than chunks: one per core on a CPU (or `workers`), one model on
    a GPU."""
    asked = job.whisper.workers if backend.name == "faster-whisper" else job.pocketsphinx.workers
    return max(1, min(asked or (available_cores() if on_cpu(backend) else 1), chunks))


def run_transcribe(raw: dict[str, Any]) -> dict[str, Any]:
    """Run one job from its JSON; returns the result event's fields. Bad input is found before anything is written."""
    started = time.monotonic()
    job = TranscribeJob.from_dict(raw)
    total_ms = probe_duration_ms(job.audio)
    backend = pick_backend(job)
    config = backend_config(job, backend)
    chunking = job.chunking.resolved(chunking_key(backend))
    chunks = plan_chunks(total_ms, round(chunking.chunk_s * 1000), round(chunking.overlap_s * 1000))
    store = None
    if job.chunk_dir:
        store = ChunkStore(job.chunk_dir, fingerprint(file_sha256(job.audio), backend.name, backend.model, config))

    results: dict[int, ChunkResult] = {}
    for chunk in chunks[: job.resume_from_chunk] if store is not None else []:
        loaded = store.load(chunk)
        if loaded is not None:
            results[chunk.index] = loaded
    resumed = len(results)
    progress = OrderedProgress(chunks, total_ms)
    for index in sorted(results):
        progress.finish(index)
    pending = [chunk for chunk in chunks if chunk.index not in results]
    workers = worker_count(job, backend, len(pending))
    if hasattr(backend, "processes"):
        backend.processes = workers
    if pending:
        log.info("%d chunk(s) to transcribe, %d resumed, %d worker(s)", len(pending), resumed, workers)
    for result in transcribe_chunks(job.audio, pending, backend, workers, progress.chunk_progress):
        if store is not None:
            store.save(result)
        results[result.index] = result
        progress.finish(result.index)

    words, segments = stitch([results[chunk.index] for chunk in chunks])
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
        "workers": workers,
        "elapsed_s": round(elapsed, 3),
        "rtf": round(elapsed / (total_ms / 1000), 4),
        "peak_rss_mb": _peak_rss_mb(resource.RUSAGE_SELF),
        "peak_rss_worker_mb": _peak_rss_mb(resource.RUSAGE_CHILDREN),
        "model_sha256": config["resolved"].get("model_sha256"),
    }


def _peak_rss_mb(who: int) -> float:
    """ru_maxrss is in KiB on Linux: the largest resident set of this process, or of its largest child."""
    return round(resource.getrusage(who).ru_maxrss / 1024, 1)


def _write_json(path: str, value: Any) -> None:
    target = Path(path)
    if target.is_dir():
        raise BadInput(f"{path}: is a directory, need a file path for the transcript")
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    temp.write_text(json.dumps(value, ensure_ascii=False), encoding="utf-8")
    os.replace(temp, target)
