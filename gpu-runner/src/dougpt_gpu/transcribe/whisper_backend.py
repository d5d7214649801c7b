"""faster-whisper backend: CTranslate2 Whisper with word timestamps and the Silero VAD filter.

On a GPU with batch_size > 1 the batched pipeline decodes several VAD regions at once.
"""

from __future__ import annotations

import logging
import os
from dataclasses import replace
from collections.abc import Callable

import numpy as np

from ..errors import BadInput, JobFailed
from .chunk_pool import available_cores
from .chunks import Chunk
from .job import VadOptions, WhisperOptions
from .resolve import Resolved, model_file_sha256
from .retime import Retimer
from .words import ChunkResult, Segment, Word

log = logging.getLogger("dougpt_gpu.whisper")


def cuda_device_count() -> int:
    import ctranslate2

    try:
        return ctranslate2.get_cuda_device_count()
    except RuntimeError:
        return 0


def _looks_like_path(model: str) -> bool:
    """Hub ids are `name` or `org/repo`; anything else (absolute, ./, ~, deeper) is a directory."""
    return os.path.exists(model) or model.startswith(("/", ".", "~")) or model.count("/") > 1


def local_model_dir(model: str) -> str | None:
    """The local folder of a model (a path holding model.bin, or a named model already in the hub cache), or None.

    A path without model.bin is bad input: it can only be a mistake.
    """
    expanded = os.path.expanduser(model)
    if _looks_like_path(expanded):
        if not os.path.isfile(os.path.join(expanded, "model.bin")):
            raise BadInput(f"{model}: model directory not found or has no model.bin (a CTranslate2 Whisper model)")
        return expanded
    try:
        return resolve_model(WhisperOptions(model=model), local_only=True)
    except BadInput:
        return None


def resolve_model(options: WhisperOptions, local_only: bool) -> str:
    """Local directory of the model: a given path, or a named model from the cache (downloading unless local_only)."""
    from faster_whisper.utils import available_models, download_model

    model = os.path.expanduser(options.model or "")
    if _looks_like_path(model):
        if not os.path.isfile(os.path.join(model, "model.bin")):
            raise BadInput(f"{options.model}: model directory not found or has no model.bin (a CTranslate2 Whisper model)")
        return model
    if model not in available_models() and "/" not in model:
        raise BadInput(f"{options.model}: unknown model name (one of {', '.join(available_models())}, or org/repo)")
    try:
        return download_model(model, local_files_only=local_only or options.local_files_only, cache_dir=options.download_root)
    except Exception as error:  # noqa: BLE001 - hub errors have many types; the message says which
        if local_only or options.local_files_only:
            raise BadInput(f"{options.model}: model not in the local cache ({type(error).__name__})") from error
        raise JobFailed(f"{options.model}: model download failed ({type(error).__name__}: {error})") from error


class WhisperBackend:
    name = "faster-whisper"

    def __init__(self, options: WhisperOptions, vad: VadOptions, resolved: Resolved) -> None:
        path = resolved.path
        if path is None:  # named and not local yet: fetched now, as a user who asked for it by name expects
            path = resolve_model(replace(options, model=resolved.model), local_only=False)
            resolved = replace(resolved, path=path, model_sha256=model_file_sha256(path))
        self.resolved = resolved
        self.options = replace(options, language=resolved.language)
        self.vad = vad
        self.model = resolved.model
        self.device = resolved.device or "cpu"
        self.path = path
        self._retimer = Retimer() if options.retime else None
        self._model = None
        self._pipeline = None
        #: processes decoding side by side (set by the job before the chunks go out): they share the cores.
        self.processes = 1
        # Loaded on first use: in the process that decodes (each chunk worker loads its own; this one, none then).

    def _load(self) -> None:
        """Load the model in this process (again in each chunk worker: a loaded model does not pickle)."""
        from faster_whisper import BatchedInferencePipeline, WhisperModel

        options, resolved = self.options, self.resolved
        # Side-by-side workers share the cores rather than each taking all of them.
        processes = self.processes
        threads = options.cpu_threads or (max(1, available_cores() // processes) if processes > 1 else 0)
        log.info("loading %s from %s on %s (%s)", resolved.model, self.path, self.device, resolved.compute_type)
        try:
            self._model = WhisperModel(
                self.path, device=self.device, compute_type=resolved.compute_type or "default", cpu_threads=threads
            )
        except (RuntimeError, ValueError) as error:
            raise JobFailed(f"{resolved.model}: could not load model ({error})") from error
        batched = self.device == "cuda" and options.batch_size > 1
        self._pipeline = BatchedInferencePipeline(self._model) if batched else None

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_model": None, "_pipeline": None}

    def transcribe(self, samples: np.ndarray, chunk: Chunk, on_progress: Callable[[int], None]) -> ChunkResult:
        if self._model is None:
            self._load()
        options = self.options
        vad_parameters = {"min_silence_duration_ms": self.vad.min_silence_ms, "speech_pad_ms": self.vad.speech_pad_ms}
        if self._pipeline is not None:
            # The batched pipeline always cuts by VAD: it is how it finds regions to batch.
            found, _ = self._pipeline.transcribe(
                samples, language=options.language, beam_size=options.beam_size, batch_size=options.batch_size,
                word_timestamps=True, vad_filter=True, vad_parameters=vad_parameters,
            )
        else:
            found, _ = self._model.transcribe(
                samples, language=options.language, beam_size=options.beam_size, word_timestamps=True,
                vad_filter=self.vad.enabled, vad_parameters=vad_parameters if self.vad.enabled else None,
                **({} if options.temperature is None else {"temperature": options.temperature}),
                # A hallucinated phrase otherwise feeds the next window's prompt and repeats for minutes.
                condition_on_previous_text=False,
            )
        words: list[Word] = []
        segments: list[Segment] = []

        def clamp(seconds: float) -> int:
            return min(chunk.end_ms, max(chunk.start_ms, chunk.start_ms + round(seconds * 1000)))

        for found_segment in found:
            segment_words = []
            for word in found_segment.words or []:
                text = word.word.strip()
                if not text:
                    continue
                start = clamp(word.start)
                end = max(start, clamp(word.end))
                confidence = None if word.probability is None else min(1.0, max(0.0, float(word.probability)))
                segment_words.append(Word(text, start, end, confidence, len(segments)))
            if segment_words:
                text = found_segment.text.strip() or " ".join(w.word for w in segment_words)
                segments.append(
                    Segment(len(segments), segment_words[0].start_ms, max(w.end_ms for w in segment_words), text)
                )
                words.extend(segment_words)
            on_progress(clamp(found_segment.end))
        if self._retimer is not None and words:
            words, segments = self._retimer.retime(samples, chunk.start_ms, words, segments)
            log.info("chunk %d: word times from forced alignment %s", chunk.index, self._retimer.stats.as_json())
        return ChunkResult(chunk.index, chunk.start_ms, chunk.end_ms, tuple(words), tuple(segments))
