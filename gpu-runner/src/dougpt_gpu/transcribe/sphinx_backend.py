"""pocketsphinx backend: the US English model shipped inside the `pocketsphinx` package, CPU only, no download.

Audio is split into utterances by pocketsphinx's own endpointer (one segment each), then decoded with
word segmentation; `prob` from the best path is the word's posterior, used as confidence.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from importlib.metadata import version

import numpy as np

from .audio import SAMPLE_RATE
from .chunks import Chunk
from .job import SphinxOptions
from .words import ChunkResult, Segment, Word

log = logging.getLogger("dougpt_gpu.pocketsphinx")

FRAMES_PER_SECOND = 100
_NOT_WORDS = re.compile(r"^(<s>|</s>|<sil>|\[.*\]|\+\+.*\+\+|\+.*\+)$")
_ALTERNATE = re.compile(r"\(\d+\)$")


class SphinxBackend:
    name = "pocketsphinx"

    def __init__(self, options: SphinxOptions) -> None:
        self.options = options
        self.model = f"pocketsphinx-{version('pocketsphinx')}/en-us"

    def _new_decoder(self):  # noqa: ANN202 - pocketsphinx.Decoder, imported lazily
        from pocketsphinx import Decoder

        o = self.options
        return Decoder(samprate=SAMPLE_RATE, beam=o.beam, wbeam=o.word_beam, ds=o.frame_skip, loglevel="FATAL")

    def transcribe(self, samples: np.ndarray, chunk: Chunk, on_progress: Callable[[int], None]) -> ChunkResult:
        import io

        from pocketsphinx import Segmenter

        # The decoder adapts (live CMN and more) across utterances; a fresh one per chunk makes a chunk's words
        # independent of the chunks before it, so a resumed run gives the same words as an uninterrupted one, and
        # a chunk decoded in a worker process the same words as one decoded here. Kept off `self`: the backend
        # is pickled to those workers.
        decoder = self._new_decoder()
        pcm = (np.clip(samples, -1.0, 1.0) * 32767).astype("<i2").tobytes()
        segmenter = Segmenter(window=max(0.09, self.options.min_silence_ms / 1000), sample_rate=SAMPLE_RATE)
        words: list[Word] = []
        segments: list[Segment] = []
        for utterance in segmenter.segment(io.BytesIO(pcm)):
            offset_ms = chunk.start_ms + round(utterance.start_time * 1000)
            utterance_words = self._decode(decoder, utterance.pcm, offset_ms, chunk, len(segments))
            if utterance_words:
                text = " ".join(w.word for w in utterance_words)
                segments.append(Segment(len(segments), utterance_words[0].start_ms, utterance_words[-1].end_ms, text))
                words.extend(utterance_words)
            on_progress(min(chunk.end_ms, chunk.start_ms + round(utterance.end_time * 1000)))
        return ChunkResult(chunk.index, chunk.start_ms, chunk.end_ms, tuple(words), tuple(segments))

    def _decode(self, decoder, pcm: bytes, offset_ms: int, chunk: Chunk, segment: int) -> list[Word]:  # noqa: ANN001
        decoder.start_utt()
        decoder.process_raw(pcm, full_utt=True)
        decoder.end_utt()
        if decoder.hyp() is None:
            return []
        out: list[Word] = []
        for seg in decoder.seg():
            if _NOT_WORDS.match(seg.word):
                continue
            start = offset_ms + seg.start_frame * 1000 // FRAMES_PER_SECOND
            end = offset_ms + (seg.end_frame + 1) * 1000 // FRAMES_PER_SECOND
            start, end = max(chunk.start_ms, start), min(chunk.end_ms, end)
            out.append(Word(_ALTERNATE.sub("", seg.word), start, max(start, end), min(1.0, max(0.0, seg.prob)), segment))
        return out
