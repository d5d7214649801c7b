"""The `transcribe` job's options: one dataclass per concern, defaults and help on every field.

    python -m dougpt_gpu transcribe --input job.json

`TranscribeJob.from_dict` turns the job JSON into these, naming the field that is wrong.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, get_args

from ..errors import BadInput
from ..job_options import build
from ..job_options import help_field as _help

Backend = Literal["auto", "faster-whisper", "pocketsphinx"]
Device = Literal["auto", "cpu", "cuda"]
_LITERALS = ("Backend", "Device")


@dataclass(frozen=True)
class VadOptions:
    """Silero VAD as faster-whisper runs it: skips silence so Whisper does not hallucinate into it."""

    enabled: bool = _help("run the VAD filter before decoding", default=True)
    min_silence_ms: int = _help("silence this long splits speech", default=500)
    speech_pad_ms: int = _help("padding kept around each speech region", default=400)

    def __post_init__(self) -> None:
        if self.min_silence_ms < 0 or self.speech_pad_ms < 0:
            raise BadInput("vad: min_silence_ms and speech_pad_ms must be >= 0")


@dataclass(frozen=True)
class WhisperOptions:
    """faster-whisper (CTranslate2): a model name its cache or hub resolves, or a local model directory."""

    model: str | None = _help(
        "model name (large-v3, small.en, org/repo) or path of a CTranslate2 model dir (null: large-v3 on a GPU, the "
        "embedded tiny.en on a CPU); tiny.en is the embedded model when its wheel is installed",
        default=None,
    )
    device: Device = _help("cpu, cuda, or auto (cuda when CTranslate2 sees a GPU)", default="auto")
    compute_type: str = _help(
        "CTranslate2 compute type: int8, int8_float16, float16, float32, or default (int8 on a CPU, float16 on a GPU)",
        default="default",
    )
    beam_size: int = _help("beam width", default=5)
    temperature: float | None = _help(
        "decode at this temperature only (null: faster-whisper's fallback schedule 0.0 … 1.0, which samples at random "
        "when a window fails its compression or log-prob thresholds)",
        default=None,
    )
    batch_size: int = _help("batched pipeline size on GPU (1 turns batching off)", default=8)
    retime: bool = _help(
        "re-time each segment's words by forced alignment with pocketsphinx's acoustic model (Whisper's own word "
        "times run late, most after pauses); a segment that cannot be aligned keeps Whisper's times",
        default=True,
    )
    language: str | None = _help("language code, or null to detect", default=None)
    cpu_threads: int = _help("CPU threads per process (0: CTranslate2 default)", default=0)
    workers: int = _help(
        "processes decoding chunks side by side, each loading the model (0: one per CPU core on a CPU, one on a GPU); "
        "never changes the words",
        default=0,
    )
    download_root: str | None = _help("where named models are cached (null: the hub cache)", default=None)
    local_files_only: bool = _help("never download: use only cached or local models", default=False)

    def __post_init__(self) -> None:
        if self.model is not None and not self.model:
            raise BadInput("whisper.model: must name a model or a model directory (or be null)")
        if self.device not in get_args(Device):
            raise BadInput(f"whisper.device: {self.device!r} is not one of {', '.join(get_args(Device))}")
        if self.beam_size < 1 or self.batch_size < 1 or self.workers < 0 or self.cpu_threads < 0:
            raise BadInput("whisper: beam_size and batch_size must be >= 1, workers and cpu_threads >= 0")


@dataclass(frozen=True)
class SphinxOptions:
    """pocketsphinx with the US English model its package ships: runs anywhere, no download."""

    beam: float = _help("main search beam (wider: slower, fewer search errors)", default=1e-48)
    word_beam: float = _help("word exit beam", default=7e-29)
    frame_skip: int = _help("score every Nth frame (ds): 2 cuts the cost by ~25% but hurts accuracy", default=1)
    min_silence_ms: int = _help("silence this long ends an utterance (endpointer window)", default=300)
    workers: int = _help(
        "processes decoding chunks side by side (0: one per available CPU core); never changes the words", default=0
    )

    def __post_init__(self) -> None:
        if not (0 < self.beam < 1 and 0 < self.word_beam < 1):
            raise BadInput("pocketsphinx: beam and word_beam must be in (0, 1)")
        if self.frame_skip < 1 or self.min_silence_ms < 0:
            raise BadInput("pocketsphinx: frame_skip must be >= 1, min_silence_ms >= 0")
        if self.workers < 0:
            raise BadInput("pocketsphinx.workers: must be >= 0 (0: one per CPU core)")


# (chunk_s, overlap_s) when the job leaves them null. On a CPU, chunks are decoded one per core, so they are short
# enough that a few minutes of audio already spread over the cores; each extra chunk costs a fresh decoder and its
# re-decoded overlap (~9% at 120/10, 12% at 120/15). One Whisper model on two threads ran 2.4x slower than two
# single-thread workers (tests/bench/transcribe-cpu.bench.ts). On a GPU Whisper runs one model: long chunks cost
# nothing there. The plan depends on the device, never on the core count, so a resume elsewhere finds its chunks.
DEFAULT_CHUNKING: dict[str, tuple[float, float]] = {
    "faster-whisper": (600.0, 30.0),
    "faster-whisper-cpu": (120.0, 15.0),
    "pocketsphinx": (120.0, 10.0),
}


@dataclass(frozen=True)
class ChunkOptions:
    """Long audio is decoded in overlapping chunks, each saved when done, so a lost run resumes."""

    chunk_s: float | None = _help("longest chunk in seconds (null: the backend's default, see DEFAULT_CHUNKING)", default=None)
    overlap_s: float | None = _help(
        "overlap between neighbouring chunks; seams are cut inside it (null: the backend's default)", default=None
    )

    def __post_init__(self) -> None:
        if (self.chunk_s is not None and self.chunk_s <= 0) or (self.overlap_s is not None and self.overlap_s < 0):
            raise BadInput("chunking: need chunk_s > 0 and overlap_s >= 0")
        if self.chunk_s is not None and self.overlap_s is not None and self.overlap_s * 2 >= self.chunk_s:
            raise BadInput("chunking: need 0 <= overlap_s < chunk_s / 2")

    def resolved(self, backend: str) -> ChunkOptions:
        """Both lengths set, the backend's defaults filling the nulls; bad input when the mix is invalid.

        >>> ChunkOptions(overlap_s=5).resolved("pocketsphinx")
        ChunkOptions(chunk_s=120.0, overlap_s=5)
        """
        chunk_s, overlap_s = DEFAULT_CHUNKING[backend]
        return ChunkOptions(
            chunk_s=chunk_s if self.chunk_s is None else self.chunk_s,
            overlap_s=overlap_s if self.overlap_s is None else self.overlap_s,
        )


@dataclass(frozen=True)
class TranscribeJob:
    """One audio file to one Transcript JSON file."""

    audio: str = _help("path of the audio (or video) file; ffmpeg decodes it")
    out: str = _help("path of the Transcript JSON to write")
    backend: Backend = _help(
        "auto: faster-whisper (the configured model on a GPU, the embedded tiny.en on a CPU), else pocketsphinx",
        default="auto",
    )
    whisper: WhisperOptions = _help("faster-whisper options", default_factory=WhisperOptions)
    vad: VadOptions = _help("VAD options (faster-whisper)", default_factory=VadOptions)
    pocketsphinx: SphinxOptions = _help("pocketsphinx options", default_factory=SphinxOptions)
    chunking: ChunkOptions = _help("chunking options", default_factory=ChunkOptions)
    chunk_dir: str | None = _help("directory of per-chunk results, kept for resuming (null: none kept)", default=None)
    resume_from_chunk: int = _help("chunks before this index are taken from chunk_dir when their file matches", default=0)

    def __post_init__(self) -> None:
        if self.backend not in get_args(Backend):
            raise BadInput(f"backend: {self.backend!r} is not one of {', '.join(get_args(Backend))}")
        if not Path(self.audio).is_file():
            raise BadInput(f"{self.audio}: audio file not found")
        if not self.out:
            raise BadInput("out: must be a file path")
        if self.resume_from_chunk < 0:
            raise BadInput("resume_from_chunk: must be >= 0")
        if self.resume_from_chunk > 0 and not self.chunk_dir:
            raise BadInput("resume_from_chunk: needs chunk_dir, where the finished chunks are")
        # Checked here for every backend the job may run, so a bad mix fails before a model loads.
        for name in DEFAULT_CHUNKING if self.backend == "auto" else (self.backend,):
            self.chunking.resolved(name)

    @staticmethod
    def from_dict(raw: dict[str, Any]) -> TranscribeJob:
        """Build from job JSON; unknown or mistyped fields are bad input naming the field."""
        nested = {"whisper": WhisperOptions, "vad": VadOptions, "pocketsphinx": SphinxOptions, "chunking": ChunkOptions}
        for key in ("audio", "out"):
            if not isinstance(raw.get(key), str):
                raise BadInput(f"{key}: required, a path string")
        values: dict[str, Any] = {}
        for key, value in raw.items():
            if key in nested:
                values[key] = build(nested[key], value, key, _LITERALS)
            else:
                values[key] = value
        return build(TranscribeJob, values, "job", _LITERALS)








def describe(job: TranscribeJob) -> dict[str, Any]:
    """The options that shaped the result, as stored in the transcript's `config`."""
    return dataclasses.asdict(job)
