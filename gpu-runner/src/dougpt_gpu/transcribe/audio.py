"""Audio in through ffmpeg: probe once, then decode one chunk at a time so hours of audio never sit in memory."""

from __future__ import annotations

import json
import shutil
import subprocess

import numpy as np

from ..errors import BadInput, JobFailed

SAMPLE_RATE = 16_000


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise JobFailed(f"{name} not found on PATH (install ffmpeg)")
    return path


def probe_duration_ms(path: str) -> int:
    """Duration of the file's first audio stream; bad input when it has none or it is empty."""
    proc = subprocess.run(
        [_tool("ffprobe"), "-v", "error", "-select_streams", "a:0", "-show_entries",
         "stream=codec_type,duration:format=duration", "-of", "json", path],
        capture_output=True, text=True, check=False,
    )
    if proc.returncode != 0:
        reason = (proc.stderr.strip().splitlines() or ["ffprobe failed"])[-1]
        raise BadInput(f"{path}: not an audio file ({reason})")
    info = json.loads(proc.stdout or "{}")
    streams = info.get("streams") or []
    if not streams:
        raise BadInput(f"{path}: not an audio file (ffprobe found no audio stream)")
    raw = streams[0].get("duration") or (info.get("format") or {}).get("duration")
    duration_ms = round(float(raw) * 1000) if raw not in (None, "N/A") else None
    if duration_ms is None:
        # Some containers (raw streams, broken headers) carry no duration: count the samples.
        duration_ms = round(len(decode(path, 0, None)) * 1000 / SAMPLE_RATE)
    if duration_ms <= 0:
        raise BadInput(f"{path}: audio is empty (0 ms)")
    return duration_ms


def decode(path: str, start_ms: int, length_ms: int | None) -> np.ndarray:
    """Mono float32 samples at 16 kHz from `start_ms`, `length_ms` long (None: to the end)."""
    command = [_tool("ffmpeg"), "-nostdin", "-v", "error", "-ss", f"{start_ms / 1000:.3f}"]
    if length_ms is not None:
        command += ["-t", f"{length_ms / 1000:.3f}"]
    command += ["-i", path, "-map", "0:a:0", "-ac", "1", "-ar", str(SAMPLE_RATE), "-f", "f32le", "-"]
    proc = subprocess.run(command, capture_output=True, check=False)
    if proc.returncode != 0:
        reason = (proc.stderr.decode(errors="replace").strip().splitlines() or ["ffmpeg failed"])[-1]
        raise JobFailed(f"{path}: ffmpeg could not decode audio at {start_ms} ms ({reason})")
    return np.frombuffer(proc.stdout, dtype=np.float32)
