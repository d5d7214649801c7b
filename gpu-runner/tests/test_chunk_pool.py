"""Parallel chunk decoding in worker processes, with a stand-in backend whose timing the test controls."""

from __future__ import annotations

import multiprocessing
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from dougpt_gpu.errors import JobFailed
from dougpt_gpu.transcribe.chunk_pool import transcribe_chunks
from dougpt_gpu.transcribe.chunks import Chunk, plan_chunks
from dougpt_gpu.transcribe.words import ChunkResult, Segment, Word


@dataclass(frozen=True)
class StandInBackend:
    """Chunk 0 is slow; one word per chunk, named after the samples it got (so wrong audio shows)."""

    slow_s: float = 0.0
    fail_chunk: int | None = None
    name = "stand-in"
    model = "stand-in"

    def transcribe(self, samples: np.ndarray, chunk: Chunk, on_progress) -> ChunkResult:  # noqa: ANN001
        if chunk.index == self.fail_chunk:
            raise JobFailed(f"chunk {chunk.index} broke")
        if chunk.index == 0:
            time.sleep(self.slow_s)
        on_progress(chunk.start_ms + 100)
        word = Word(f"c{chunk.index}n{len(samples)}", chunk.start_ms, chunk.start_ms + 100, 1.0, 0)
        return ChunkResult(chunk.index, chunk.start_ms, chunk.end_ms, (word,), (Segment(0, word.start_ms, word.end_ms, word.word),))


def _chunks(speech_wav: Path) -> list[Chunk]:
    from dougpt_gpu.transcribe.audio import probe_duration_ms

    return plan_chunks(probe_duration_ms(str(speech_wav)), 4_000, 1_000)


def test_workers_finish_out_of_order_with_the_same_results(speech_wav: Path) -> None:
    chunks = _chunks(speech_wav)
    assert len(chunks) >= 3
    backend = StandInBackend(slow_s=3.0)
    progress: list[tuple[int, int]] = []
    sequential = list(transcribe_chunks(str(speech_wav), chunks, backend, 1, lambda c, ms: progress.append((c.index, ms))))
    assert [r.index for r in sequential] == [c.index for c in chunks]
    assert sorted(progress) == [(c.index, c.start_ms + 100) for c in chunks]

    progress.clear()
    parallel = list(transcribe_chunks(str(speech_wav), chunks, backend, 2, lambda c, ms: progress.append((c.index, ms))))
    # The second worker got through the other chunks while the first slept on chunk 0.
    assert parallel[-1].index == 0 and [r.index for r in parallel] != [c.index for c in chunks]
    assert sorted(parallel, key=lambda r: r.index) == sequential
    # Progress of a chunk is dropped once it is done, never reported for another chunk.
    assert set(progress) <= {(c.index, c.start_ms + 100) for c in chunks}
    assert multiprocessing.active_children() == []


def test_worker_error_stops_the_pool(speech_wav: Path) -> None:
    chunks = _chunks(speech_wav)
    with pytest.raises(JobFailed, match="chunk 1 broke"):
        list(transcribe_chunks(str(speech_wav), chunks, StandInBackend(slow_s=30.0, fail_chunk=1), 2, lambda c, ms: None))
    # The worker asleep on chunk 0 was stopped, not left to finish.
    deadline = time.monotonic() + 10
    while multiprocessing.active_children() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert multiprocessing.active_children() == []
