from __future__ import annotations

from dougpt_gpu.transcribe.chunks import Chunk, plan_chunks
from dougpt_gpu.transcribe.progress import OrderedProgress


def _progress(chunks: list[Chunk], total_ms: int) -> tuple[OrderedProgress, list[tuple[int, int, int, int, int]]]:
    lines: list[tuple[int, int, int, int, int]] = []
    return OrderedProgress(chunks, total_ms, lambda *line: lines.append(line)), lines


def test_chunks_finishing_out_of_order_are_reported_in_order() -> None:
    chunks = plan_chunks(300_000, 120_000, 10_000)
    assert len(chunks) == 3
    progress, lines = _progress(chunks, 300_000)
    progress.chunk_progress(chunks[1], 150_000)  # a later chunk's progress is held back
    progress.chunk_progress(chunks[0], 40_000)
    progress.finish(2)
    progress.finish(1)
    assert lines == [(40_000, 300_000, 0, 3, 0)]
    progress.chunk_progress(chunks[0], 60_000)
    progress.finish(0)
    assert [line[4] for line in lines] == [0, 0, 1, 2, 3]
    assert [line[2] for line in lines] == [0, 0, 0, 1, 2]
    assert lines[-1][0] == 300_000


def test_done_ms_and_finished_chunks_never_go_back() -> None:
    chunks = plan_chunks(300_000, 120_000, 10_000)
    progress, lines = _progress(chunks, 300_000)
    progress.finish(0)
    # Chunk 1 starts inside chunk 0's overlap: its first progress is before chunk 0's end.
    progress.chunk_progress(chunks[1], chunks[0].end_ms - 5_000)
    progress.chunk_progress(chunks[2], 290_000)
    progress.finish(1)
    progress.finish(2)
    done, finished = [line[0] for line in lines], [line[4] for line in lines]
    assert done == sorted(done) and finished == sorted(finished)
    assert finished[-1] == 3 and done[-1] == 300_000


def test_resumed_prefix_and_running_successor() -> None:
    chunks = plan_chunks(400_000, 120_000, 10_000)
    progress, lines = _progress(chunks, 400_000)
    progress.chunk_progress(chunks[2], 250_000)  # a worker is on chunk 2 while chunk 1 still runs
    for index in (0, 1):
        progress.finish(index)
    # After chunk 1 the first unfinished chunk is 2, already under way: its progress is reported at once.
    assert lines[-1] == (250_000, 400_000, 2, 4, 2)
