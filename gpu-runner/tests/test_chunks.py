from __future__ import annotations

import pytest

from dougpt_gpu.transcribe.chunks import choose_cut, plan_chunks, stitch
from dougpt_gpu.transcribe.words import ChunkResult, Segment, Word


def test_plan_covers_audio_with_equal_overlapping_chunks() -> None:
    chunks = plan_chunks(25_000, 10_000, 2_000)
    assert [(c.start_ms, c.end_ms) for c in chunks] == [(0, 9_666), (7_666, 17_333), (15_333, 25_000)]
    assert [(c.start_ms, c.end_ms) for c in plan_chunks(5_000, 10_000, 2_000)] == [(0, 5_000)]
    assert [(c.start_ms, c.end_ms) for c in plan_chunks(10_000, 10_000, 2_000)] == [(0, 10_000)]
    with pytest.raises(ValueError):
        plan_chunks(10_000, 4_000, 2_000)


@pytest.mark.parametrize("total_ms", [1, 9_999, 10_001, 153_822, 3_600_000, 21_600_123])
@pytest.mark.parametrize(("chunk_ms", "overlap_ms"), [(120_000, 10_000), (600_000, 30_000), (5_000, 1_000), (10_000, 0)])
def test_plan_invariants(total_ms: int, chunk_ms: int, overlap_ms: int) -> None:
    chunks = plan_chunks(total_ms, chunk_ms, overlap_ms)
    assert chunks[0].start_ms == 0 and chunks[-1].end_ms == total_ms
    assert [c.index for c in chunks] == list(range(len(chunks)))
    assert all(c.end_ms - c.start_ms <= chunk_ms for c in chunks)
    assert all(b.start_ms > a.start_ms and a.end_ms - b.start_ms == overlap_ms for a, b in zip(chunks, chunks[1:]))
    # The fewest chunks that fit, and no chunk much shorter than another (workers stay evenly loaded).
    assert len(chunks) == max(1, -(-(total_ms - overlap_ms) // (chunk_ms - overlap_ms)))
    lengths = [c.end_ms - c.start_ms for c in chunks]
    assert max(lengths) - min(lengths) <= 1


def _chunk(index: int, start: int, end: int, words: list[tuple[str, int, int]], segment_text: str | None = None) -> ChunkResult:
    ws = tuple(Word(w, s, e, 0.9, 0) for w, s, e in words)
    text = segment_text if segment_text is not None else " ".join(w for w, _, _ in words)
    return ChunkResult(index, start, end, ws, (Segment(0, ws[0].start_ms, ws[-1].end_ms, text),) if ws else ())


def test_seam_cut_at_silence_keeps_each_word_once() -> None:
    # Both chunks hear the words in the overlap [8000, 10000]; the right chunk also times them a bit differently.
    left = _chunk(0, 0, 10_000, [("a", 7_000, 7_400), ("b", 8_200, 8_600), ("c", 9_300, 9_700), ("d", 9_900, 10_000)])
    right = _chunk(1, 8_000, 18_000, [("b", 8_220, 8_610), ("c", 9_310, 9_690), ("d", 9_900, 10_200), ("e", 11_000, 11_300)])
    words, _ = stitch([left, right])
    assert [w.word for w in words] == ["a", "b", "c", "d", "e"]
    starts = [w.start_ms for w in words]
    assert starts == sorted(starts)


def test_continuous_speech_straddling_word_not_duplicated() -> None:
    # No silence anywhere in the overlap: the cut falls mid-word and the word is heard by both chunks.
    left_words = [(f"w{i}", 8_000 + i * 500, 8_000 + (i + 1) * 500) for i in range(4)]
    right_words = [(f"w{i}", 8_000 + i * 500 + 30, 8_000 + (i + 1) * 500 + 30) for i in range(6)]
    words, _ = stitch([_chunk(0, 0, 10_000, left_words), _chunk(1, 8_000, 18_000, right_words)])
    assert [w.word for w in words] == [f"w{i}" for i in range(6)]


def test_choose_cut_prefers_silence_nearest_middle() -> None:
    left = [Word("x", 8_000, 8_900, None, 0), Word("y", 9_100, 10_000, None, 0)]
    assert choose_cut(left, [], 8_000, 10_000) == 9_000
    assert choose_cut([Word("z", 8_000, 10_000, None, 0)], [], 8_000, 10_000) == 9_000


def test_segments_rebuilt_and_renumbered_across_seam() -> None:
    left = _chunk(0, 0, 10_000, [("Hello", 1_000, 1_500), ("there.", 9_500, 9_800)], segment_text="Hello, there.")
    right = _chunk(1, 8_000, 18_000, [("there.", 9_500, 9_800), ("Bye", 12_000, 12_300)], segment_text="there. Bye")
    words, segments = stitch([left, right])
    assert [w.word for w in words] == ["Hello", "there.", "Bye"]
    assert [s.id for s in segments] == list(range(len(segments)))
    assert all(w.segment < len(segments) for w in words)
    # The cut falls in the silence before "there." (nearest the overlap's middle): the left segment lost it and
    # is rebuilt from the kept word; the right segment kept every word, so the backend's own text stays.
    assert [s.text for s in segments] == ["Hello", "there. Bye"]
