"""Progress lines in chunk order while chunks finish in any order.

The runner turns each line into a heartbeat, and a retried attempt resumes after `finished_chunks`; so that
count must only cover chunks whose every predecessor is done too, and it must never go back.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ..events import emit
from .chunks import Chunk


def emit_progress(done_ms: int, total_ms: int, chunk: int, chunks: int, finished: int) -> None:
    emit("progress", done_ms=done_ms, total_ms=total_ms, chunk=chunk, chunks=chunks, finished_chunks=finished)


class OrderedProgress:
    """Reports the first unfinished chunk: its decoding progress, then each chunk as the finished prefix grows.

    `done_ms` never goes back (a chunk starts inside its predecessor's overlap) and `finished_chunks` counts the
    finished prefix.

    >>> lines = []
    >>> progress = OrderedProgress([Chunk(0, 0, 70_000), Chunk(1, 60_000, 130_000)], 130_000, lambda *a: lines.append(a))
    >>> progress.finish(1); lines  # chunk 0 is still running: nothing to report yet
    []
    >>> progress.finish(0); lines  # (done_ms, total_ms, chunk, chunks, finished_chunks)
    [(70000, 130000, 0, 2, 1), (130000, 130000, 1, 2, 2)]
    """

    def __init__(
        self, chunks: Sequence[Chunk], total_ms: int, report: Callable[[int, int, int, int, int], None] = emit_progress
    ) -> None:
        self.chunks = chunks
        self.total_ms = total_ms
        self.report = report
        self.finished_prefix = 0
        self.done_ms = 0
        self._finished: set[int] = set()
        self._latest: dict[int, int] = {}

    def chunk_progress(self, chunk: Chunk, done_ms: int) -> None:
        """Chunk `chunk` has decoded up to `done_ms`; only the first unfinished chunk is reported."""
        self._latest[chunk.index] = max(done_ms, self._latest.get(chunk.index, 0))
        if chunk.index == self.finished_prefix:
            self._line(done_ms, chunk.index)

    def finish(self, index: int) -> None:
        """Chunk `index` is done (decoded and saved, or resumed from its file)."""
        self._finished.add(index)
        if index != self.finished_prefix:
            return
        while self.finished_prefix in self._finished:
            chunk = self.chunks[self.finished_prefix]
            self.finished_prefix += 1
            self._line(chunk.end_ms, chunk.index)
        if self.finished_prefix in self._latest:
            # The new first unfinished chunk was already under way in another worker.
            self._line(self._latest[self.finished_prefix], self.finished_prefix)

    def _line(self, done_ms: int, chunk: int) -> None:
        self.done_ms = max(self.done_ms, done_ms)
        self.report(self.done_ms, self.total_ms, chunk, len(self.chunks), self.finished_prefix)
