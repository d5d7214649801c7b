"""Chunk planning and seam stitching: pure functions, no audio, no models.

Chunks overlap so no word is lost at a boundary. At each seam the stitcher cuts inside the overlap, at the
silence nearest its middle (far from both chunk edges, where words get clipped), takes the left chunk's words
before the cut and the right chunk's after it, and drops any right word that repeats the last kept left word.
"""

from __future__ import annotations

from dataclasses import dataclass

from .words import ChunkResult, Segment, Word


@dataclass(frozen=True)
class Chunk:
    index: int
    start_ms: int
    end_ms: int


def plan_chunks(total_ms: int, chunk_ms: int, overlap_ms: int) -> list[Chunk]:
    """The fewest chunks of at most `chunk_ms` that cover the audio, all of one length, neighbours sharing `overlap_ms`.

    Equal lengths keep parallel workers evenly loaded (no short last chunk), and the plan depends only on the
    audio's length and the options, never on the machine, so every run of a job cuts the same seams.

    >>> [(c.start_ms, c.end_ms) for c in plan_chunks(25_000, 10_000, 2_000)]
    [(0, 9666), (7666, 17333), (15333, 25000)]
    """
    if total_ms <= 0 or chunk_ms <= 0 or not 0 <= overlap_ms * 2 < chunk_ms:
        raise ValueError("need total_ms > 0, chunk_ms > 0 and 0 <= overlap_ms < chunk_ms / 2")
    span = total_ms - overlap_ms
    count = max(1, -(-span // (chunk_ms - overlap_ms)))
    if count == 1:
        return [Chunk(0, 0, total_ms)]
    # Integer steps: the same bounds on every platform, so saved chunk files keep matching.
    starts = [i * span // count for i in range(count)]
    ends = [start + overlap_ms for start in starts[1:]] + [total_ms]
    return [Chunk(i, start, end) for i, (start, end) in enumerate(zip(starts, ends))]


def choose_cut(left: list[Word], right: list[Word], lo_ms: int, hi_ms: int) -> int:
    """A point in [lo_ms, hi_ms] that no word of either chunk spans, nearest the middle; else the middle."""
    middle = (lo_ms + hi_ms) // 2
    spans = sorted((w.start_ms, w.end_ms) for w in [*left, *right] if w.end_ms > lo_ms and w.start_ms < hi_ms)
    gaps: list[tuple[int, int]] = []
    cursor = lo_ms
    for start, end in spans:
        if start > cursor:
            gaps.append((cursor, start))
        cursor = max(cursor, end)
    if cursor < hi_ms:
        gaps.append((cursor, hi_ms))
    if not gaps:
        return middle
    return min(((a + b) // 2 for a, b in gaps), key=lambda point: (abs(point - middle), point))


def stitch(results: list[ChunkResult]) -> tuple[list[Word], list[Segment]]:
    """Join chunk results (in chunk order) into one word list without seam duplicates, plus segments.

    Segment ids in the words become global; a segment whose words were partly dropped at a seam gets its
    text rebuilt from the words kept.
    """
    kept: list[tuple[int, Word]] = []
    for position, result in enumerate(results):
        words = sorted(result.words, key=lambda w: (w.start_ms, w.end_ms))
        if position > 0:
            previous = results[position - 1]
            lo, hi = result.start_ms, previous.end_ms
            cut = choose_cut([w for _, w in kept if w.end_ms > lo], words, lo, max(lo, hi))
            kept = [(c, w) for c, w in kept if w.start_ms < cut]
            last_end = max((w.end_ms for _, w in kept), default=-1)
            # Continuous speech leaves no silent cut: a word straddling it may come from both chunks.
            words = [w for w in words if w.start_ms >= cut and (w.start_ms + w.end_ms) / 2 >= last_end]
        kept.extend((result.index, w) for w in words)
    originals: dict[tuple[int, int], int] = {}
    for result in results:
        for word in result.words:
            originals[(result.index, word.segment)] = originals.get((result.index, word.segment), 0) + 1
    sources = {(r.index, s.id): s for r in results for s in r.segments}
    return _renumber(kept, sources, originals)


def _renumber(
    kept: list[tuple[int, Word]], sources: dict[tuple[int, int], Segment], originals: dict[tuple[int, int], int]
) -> tuple[list[Word], list[Segment]]:
    groups: list[tuple[tuple[int, int], list[Word]]] = []
    for chunk_index, word in kept:
        key = (chunk_index, word.segment)
        if groups and groups[-1][0] == key:
            groups[-1][1].append(word)
        else:
            groups.append((key, [word]))
    out_words: list[Word] = []
    out_segments: list[Segment] = []
    for new_id, (key, words) in enumerate(groups):
        source = sources.get(key)
        # The backend's own text (punctuation, spacing) only when the seam kept every word of the segment.
        text = source.text.strip() if source is not None and originals[key] == len(words) else " ".join(w.word for w in words)
        out_segments.append(Segment(new_id, words[0].start_ms, max(w.end_ms for w in words), text))
        out_words.extend(Word(w.word, w.start_ms, w.end_ms, w.confidence, new_id) for w in words)
    return out_words, out_segments
