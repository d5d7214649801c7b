"""The word and segment records every backend produces and the stitcher joins."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Word:
    """A recognised word; times in ms on the whole audio's timeline. `segment` groups words into segments."""

    word: str
    start_ms: int
    end_ms: int
    confidence: float | None
    segment: int


@dataclass(frozen=True)
class Segment:
    """A backend's segment (Whisper segment, pocketsphinx utterance), same timeline as its words."""

    id: int
    start_ms: int
    end_ms: int
    text: str


@dataclass(frozen=True)
class ChunkResult:
    """One chunk's words and segments; `segment` ids are local to the chunk."""

    index: int
    start_ms: int
    end_ms: int
    words: tuple[Word, ...]
    segments: tuple[Segment, ...]
