from __future__ import annotations

from pathlib import Path

import pytest

from dougpt_gpu.errors import BadInput
from dougpt_gpu.transcribe.job import TranscribeJob


def test_defaults_and_nested(tmp_path: Path) -> None:
    audio = tmp_path / "a.wav"
    audio.write_bytes(b"x")
    job = TranscribeJob.from_dict({"audio": str(audio), "out": str(tmp_path / "o.json"), "whisper": {"model": "small.en"}})
    assert job.whisper.model == "small.en" and job.whisper.beam_size == 5
    assert job.chunking.chunk_s == 600.0 and job.chunking.overlap_s == 30.0


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"backend": "kaldi"}, "backend"),
        ({"whisper": {"beam_size": "5"}}, "whisper.beam_size"),
        ({"chunking": {"chunk_s": 60, "overlap_s": 30}}, "chunking"),
        ({"colour": 1}, "colour"),
        ({"resume_from_chunk": 2}, "resume_from_chunk"),
    ],
)
def test_bad_fields_are_named(tmp_path: Path, patch: dict, field: str) -> None:
    audio = tmp_path / "a.wav"
    audio.write_bytes(b"x")
    with pytest.raises(BadInput, match=field):
        TranscribeJob.from_dict({"audio": str(audio), "out": str(tmp_path / "o.json"), **patch})
