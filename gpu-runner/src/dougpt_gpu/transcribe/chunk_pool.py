"""Chunks decoded side by side in worker processes, so a job on a CPU backend uses every core.

Each worker receives the backend once (it must pickle: pocketsphinx's holds only its options), cuts its chunk's
audio with ffmpeg and transcribes it. Progress comes back over a queue; results come back as each chunk finishes,
in any order, and the caller puts them in order. A chunk's words depend only on its own samples (the backends
start each chunk afresh), so the words are the same whichever process decodes a chunk.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

from .audio import decode
from .chunks import Chunk
from .words import ChunkResult


ChunkProgress = Callable[[Chunk, int], None]


def available_cores() -> int:
    """CPU cores this process may run on (its affinity mask, which containers and taskset narrow)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


def transcribe_one(audio: str, chunk: Chunk, backend: Any, on_progress: Callable[[int], None]) -> ChunkResult:
    samples = decode(audio, chunk.start_ms, chunk.end_ms - chunk.start_ms)
    return backend.transcribe(samples, chunk, on_progress)


def transcribe_chunks(
    audio: str, chunks: Sequence[Chunk], backend: Any, workers: int, on_progress: ChunkProgress
) -> Iterator[ChunkResult]:
    """Transcribe `chunks`, yielding each result when it is done: in chunk order with one worker, else as they finish.

    `on_progress(chunk, done_ms)` runs in this process. Closing the iterator early (an error downstream, an
    interrupt) stops the workers.

    >>> for result in transcribe_chunks("a.flac", chunks, SphinxBackend(options), 2, report):  # doctest: +SKIP
    ...     store.save(result)
    """
    if workers <= 1 or len(chunks) <= 1:
        for chunk in chunks:
            yield transcribe_one(audio, chunk, backend, lambda done_ms, chunk=chunk: on_progress(chunk, done_ms))
        return
    # spawn, not fork: a worker starts from a clean interpreter (no copied BLAS or feeder threads); it costs
    # ~0.2 s of imports per worker, once per job.
    context = multiprocessing.get_context("spawn")
    messages = context.Queue()
    by_index = {chunk.index: chunk for chunk in chunks}
    executor = ProcessPoolExecutor(
        max_workers=min(workers, len(chunks)),
        mp_context=context,
        initializer=_start_worker,
        initargs=(backend, messages, os.getpid()),
    )
    futures: dict[int, Future[ChunkResult]] = {}
    remaining = len(chunks)
    try:
        for chunk in chunks:
            future = executor.submit(_work, audio, chunk)
            # Runs in this process (the executor's thread): one queue carries both kinds of news, so the loop
            # below waits on a single blocking read.
            future.add_done_callback(lambda _, index=chunk.index: messages.put(("done", index, 0)))
            futures[chunk.index] = future
        while remaining:
            kind, index, done_ms = messages.get()
            if kind == "progress":
                if not futures[index].done():
                    on_progress(by_index[index], done_ms)
                continue
            remaining -= 1
            yield futures[index].result()
    finally:
        if remaining:
            # The job failed or was stopped: running chunks are not worth finishing. A worker terminated while
            # its feeder held the queue's write lock leaves that lock taken for good, so this process must not
            # wait at exit for its own feeder to flush "done" news nobody reads.
            messages.cancel_join_thread()
            for child in multiprocessing.active_children():
                child.terminate()
        executor.shutdown(wait=not remaining, cancel_futures=True)


_worker: dict[str, Any] = {}


def _start_worker(backend: Any, messages: Any, parent_pid: int) -> None:
    _worker.update(backend=backend, messages=messages, parent_pid=parent_pid)


def _work(audio: str, chunk: Chunk) -> ChunkResult:
    messages, parent_pid = _worker["messages"], _worker["parent_pid"]

    def progress(done_ms: int) -> None:
        # A killed job (SIGKILL leaves no time to stop workers) must not leave its workers decoding for nobody.
        if os.getppid() != parent_pid:
            os._exit(1)
        messages.put(("progress", chunk.index, done_ms))

    return transcribe_one(audio, chunk, _worker["backend"], progress)
