"""Word times from forced alignment: Whisper says which words were spoken, pocketsphinx's acoustic model says when.

Whisper's word times come from its cross-attention and run late, most of all after a pause (tiny.en: a median of
~110 ms on espeak-ng speech, the first word after a silence often 300 ms or more). Aligning the words Whisper heard
to the audio with the US English acoustic model pocketsphinx ships (it decodes nothing: the text is given) puts
each start within a few frames. Done per stretch of speech between pauses; a stretch keeps Whisper's own times
when one of its words is not in the pronouncing dictionary (names, numbers as digits), when the alignment finds no
path (Whisper misheard too much), or when it would move a word further than `MAX_SHIFT_MS`.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

import numpy as np

from .audio import SAMPLE_RATE
from .words import Segment, Word

log = logging.getLogger("dougpt_gpu.retime")

FRAME_MS = 10
PAUSE_MS = 150
PAD_MS = 500
BEAM = 1e-48
MAX_SHIFT_MS = 1000
_NOT_WORDS = re.compile(r"^(<s>|</s>|<sil>|\[.*\]|\+\+.*\+\+|\+.*\+)$")
_ALTERNATE = re.compile(r"\(\d+\)$")
_EDGES = re.compile(r"^[^\w']+|[^\w']+$")


def dictionary_form(word: str) -> str:
    """The form looked up in the pronouncing dictionary: lower case, punctuation at the edges dropped."""
    return _EDGES.sub("", word.lower())


@dataclass
class RetimeStats:
    pieces: int = 0
    retimed: int = 0
    not_in_dictionary: int = 0
    failed: int = 0

    def as_json(self) -> dict[str, int]:
        return {"pieces": self.pieces, "retimed": self.retimed, "not_in_dictionary": self.not_in_dictionary,
                "failed": self.failed}


class Retimer:
    """One pocketsphinx decoder, made on first use in the process that aligns (it does not pickle)."""

    def __init__(self) -> None:
        self._decoder = None
        self.stats = RetimeStats()

    def __getstate__(self) -> dict:
        return {"_decoder": None, "stats": RetimeStats()}

    def _get_decoder(self):  # noqa: ANN202 - pocketsphinx.Decoder, imported lazily
        if self._decoder is None:
            from pocketsphinx import Decoder

            self._decoder = Decoder(samprate=SAMPLE_RATE, loglevel="FATAL", beam=BEAM, wbeam=BEAM, pbeam=BEAM)
        return self._decoder

    def retime(
        self, samples: np.ndarray, chunk_start_ms: int, words: list[Word], segments: list[Segment]
    ) -> tuple[list[Word], list[Segment]]:
        """`words` and `segments` (times on the audio timeline; `samples` starts at `chunk_start_ms`) re-timed.

        The audio is cut in the middle of each pause Silero VAD finds (`PAUSE_MS` or longer); each word goes to the
        piece its Whisper time falls in, and each piece's words are aligned to that piece's audio.
        """
        from faster_whisper.vad import VadOptions, get_speech_timestamps

        speech = get_speech_timestamps(samples, VadOptions(min_silence_duration_ms=PAUSE_MS, speech_pad_ms=0))
        cuts = [0] + [(a["end"] + b["start"]) // 2 for a, b in zip(speech, speech[1:])] + [len(samples)]
        pieces: dict[int, list[int]] = {}
        for index, word in enumerate(words):
            middle = ((word.start_ms + word.end_ms) / 2 - chunk_start_ms) * SAMPLE_RATE / 1000
            piece = max(0, min(len(cuts) - 2, int(np.searchsorted(cuts, middle, side="right")) - 1))
            pieces.setdefault(piece, []).append(index)
        out = list(words)
        for piece, indexes in pieces.items():
            retimed = self._align(samples[cuts[piece]:cuts[piece + 1]], chunk_start_ms + cuts[piece] * 1000 // SAMPLE_RATE,
                                  [words[i] for i in indexes])
            for i, word in zip(indexes, retimed or []):
                out[i] = word
        # Alignment keeps the order of a piece's words; pieces follow each other, so the whole stays in order.
        by_segment: dict[int, list[Word]] = {}
        for word in out:
            by_segment.setdefault(word.segment, []).append(word)
        new_segments = [
            Segment(s.id, min(w.start_ms for w in by_segment[s.id]), max(w.end_ms for w in by_segment[s.id]), s.text)
            if s.id in by_segment else s
            for s in segments
        ]
        return out, new_segments

    def _align(self, samples: np.ndarray, offset_ms: int, words: list[Word]) -> list[Word] | None:
        self.stats.pieces += 1
        decoder = self._get_decoder()
        forms = [dictionary_form(w.word) for w in words]
        if not all(forms) or any(decoder.lookup_word(form) is None for form in forms):
            self.stats.not_in_dictionary += 1
            return None
        if len(samples) < SAMPLE_RATE // 10:
            self.stats.failed += 1
            return None
        # Quiet padding on both sides: the alignment starts and ends in silence, and a piece cut right at speech
        # otherwise often finds no complete path. Low noise rather than zeros, which the feature front end dislikes.
        pad = np.random.default_rng(0).normal(0.0, 1e-4, PAD_MS * SAMPLE_RATE // 1000)
        pcm = (np.clip(np.concatenate([pad, samples, pad]), -1.0, 1.0) * 32767).astype("<i2").tobytes()
        offset_ms -= PAD_MS
        try:
            decoder.set_align_text(" ".join(forms))
            decoder.start_utt()
            decoder.process_raw(pcm, full_utt=True)
            decoder.end_utt()
            found = [s for s in decoder.seg() if not _NOT_WORDS.match(s.word)] if decoder.hyp() is not None else []
        except RuntimeError as error:
            log.debug("alignment failed: %s", error)
            found = []
        if [_ALTERNATE.sub("", s.word) for s in found] != forms:
            self.stats.failed += 1
            return None
        retimed = []
        for word, seg in zip(words, found):
            start = max(offset_ms + PAD_MS, offset_ms + seg.start_frame * FRAME_MS)
            end = min(offset_ms + PAD_MS + len(samples) * 1000 // SAMPLE_RATE, max(start, offset_ms + (seg.end_frame + 1) * FRAME_MS))
            if abs(start - word.start_ms) > MAX_SHIFT_MS:
                self.stats.failed += 1
                return None
            retimed.append(Word(word.word, start, end, word.confidence, word.segment))
        self.stats.retimed += 1
        return retimed
