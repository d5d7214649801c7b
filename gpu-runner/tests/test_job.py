from __future__ import annotations

from pathlib import Path

import pytest

from dougpt_gpu.errors import BadInput
from dougpt_gpu.transcribe.job import ChunkOptions, TranscribeJob


def test_defaults_and_nested(tmp_path: Path) -> None:
    audio = tmp_path / "a.wav"
    audio.write_bytes(b"x")
    job = TranscribeJob.from_dict({"audio": str(audio), "out": str(tmp_path / "o.json"), "whisper": {"model": "small.en"}})
    assert job.whisper.model == "small.en" and job.whisper.beam_size == 5
    assert job.chunking.resolved("faster-whisper") == ChunkOptions(600.0, 30.0)
    assert job.chunking.resolved("pocketsphinx") == ChunkOptions(120.0, 10.0)
    assert job.pocketsphinx.workers == 0
    given = TranscribeJob.from_dict({"audio": str(audio), "out": str(tmp_path / "o.json"), "chunking": {"overlap_s": 5}})
    assert given.chunking.resolved("pocketsphinx") == ChunkOptions(120.0, 5)


def test_chunking_mix_checked_against_each_backend_default(tmp_path: Path) -> None:
    audio = tmp_path / "a.wav"
    audio.write_bytes(b"x")
    base = {"audio": str(audio), "out": str(tmp_path / "o.json"), "chunking": {"overlap_s": 100}}
    # 100 s of overlap fits whisper's 600 s chunks but not pocketsphinx's 120 s ones.
    assert TranscribeJob.from_dict({**base, "backend": "faster-whisper"}).chunking.overlap_s == 100
    for backend in ("pocketsphinx", "auto"):
        with pytest.raises(BadInput, match="chunking"):
            TranscribeJob.from_dict({**base, "backend": backend})


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"backend": "kaldi"}, "backend"),
        ({"whisper": {"beam_size": "5"}}, "whisper.beam_size"),
        ({"chunking": {"chunk_s": 60, "overlap_s": 30}}, "chunking"),
        ({"colour": 1}, "colour"),
        ({"resume_from_chunk": 2}, "resume_from_chunk"),
        ({"pocketsphinx": {"workers": -1}}, "pocketsphinx.workers"),
        ({"pocketsphinx": {"workers": 1.5}}, "pocketsphinx.workers"),
    ],
)
def test_bad_fields_are_named(tmp_path: Path, patch: dict, field: str) -> None:
    audio = tmp_path / "a.wav"
    audio.write_bytes(b"x")
    with pytest.raises(BadInput, match=field):
        TranscribeJob.from_dict({"audio": str(audio), "out": str(tmp_path / "o.json"), **patch})
