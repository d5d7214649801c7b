"""Test speech: espeak-ng renders known text, ffmpeg makes it 16 kHz mono; word error rate against it."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

TEXT = (
    "we are going to play a video game tonight with chat. thank you so much for the subscription. "
    "welcome back everybody. what do you think we should do next"
)


def needs_speech_tools() -> None:
    missing = [tool for tool in ("espeak-ng", "ffmpeg", "ffprobe") if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"needs {', '.join(missing)}")


def render(text: str, path: Path, voice: str = "en-us", speed: int = 150) -> Path:
    raw = path.with_suffix(".raw.wav")
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(raw), text], check=True)
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(raw), "-ac", "1", "-ar", "16000", str(path)], check=True)
    raw.unlink()
    return path


def words_of(text: str) -> list[str]:
    return re.sub(r"[^a-z' ]+", " ", text.lower()).split()


def wer(reference: list[str], hypothesis: list[str]) -> float:
    """Word error rate: (substitutions + deletions + insertions) / reference length (Levenshtein on words)."""
    row = list(range(len(hypothesis) + 1))
    for i, ref in enumerate(reference, 1):
        diagonal, row[0] = row[0], i
        for j, hyp in enumerate(hypothesis, 1):
            diagonal, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, diagonal + (ref != hyp))
    return row[-1] / len(reference)
