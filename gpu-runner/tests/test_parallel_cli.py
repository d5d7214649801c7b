"""`python -m dougpt_gpu transcribe` with pocketsphinx decoding chunks in several worker processes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from conftest import run_job
from speech import TEXT, words_of, wer


def _job(speech_wav: Path, tmp_path: Path, name: str, workers: int, **extra: object) -> dict:
    return {"audio": str(speech_wav), "out": str(tmp_path / f"{name}.json"), "backend": "pocketsphinx",
            "chunking": {"chunk_s": 4, "overlap_s": 1}, "pocketsphinx": {"workers": workers}, **extra}


def _progress(events: list[dict]) -> list[dict]:
    return [e for e in events if e["event"] == "progress"]


def test_parallel_and_sequential_give_the_same_transcript(speech_wav: Path, tmp_path: Path) -> None:
    runs = {}
    for workers in (1, 2, 3):
        code, events, stderr = run_job(_job(speech_wav, tmp_path, f"w{workers}", workers), tmp_path)
        assert code == 0, stderr
        assert f"{workers} worker(s)" in stderr
        progress = _progress(events)
        finished, done = [e["finished_chunks"] for e in progress], [e["done_ms"] for e in progress]
        assert finished == sorted(finished) and done == sorted(done)
        assert finished[-1] == events[-1]["chunks"] >= 3 and done[-1] == events[-1]["duration_ms"]
        runs[workers] = json.loads((tmp_path / f"w{workers}.json").read_text())
    # Exact equality, not a tolerance: every chunk gets a fresh decoder and the same samples in any process.
    assert runs[1]["words"] and runs[1]["words"] == runs[2]["words"] == runs[3]["words"]
    assert runs[1]["segments"] == runs[2]["segments"] == runs[3]["segments"]
    # Worker count shapes only the speed: the recorded options (and so the chunk fingerprints) are the same.
    assert runs[1]["config"] == runs[2]["config"] and "workers" not in runs[1]["config"]["pocketsphinx"]
    assert wer(words_of(TEXT), [w["word"] for w in runs[2]["words"]]) < 0.8


def test_resume_with_parallel_workers(speech_wav: Path, tmp_path: Path) -> None:
    chunk_dir = tmp_path / "chunks"
    code, events, stderr = run_job(_job(speech_wav, tmp_path, "a", 2, chunk_dir=str(chunk_dir)), tmp_path)
    assert code == 0, stderr
    chunks = events[-1]["chunks"]
    assert chunks >= 3 and len(list(chunk_dir.glob("chunk-*.json"))) == chunks
    # An interrupted parallel run can leave a later chunk saved and an earlier one missing: resume takes the
    # saved ones before resume_from_chunk and decodes the rest (here chunk 1 and the last chunk) in parallel.
    (chunk_dir / "chunk-00001.json").unlink()
    resumed = _job(speech_wav, tmp_path, "b", 2, chunk_dir=str(chunk_dir), resume_from_chunk=chunks - 1)
    code, events, stderr = run_job(resumed, tmp_path)
    assert code == 0, stderr
    assert events[-1]["resumed_chunks"] == chunks - 2 and "2 worker(s)" in stderr
    finished = [e["finished_chunks"] for e in _progress(events)]
    assert finished[0] == 1 and finished == sorted(finished) and finished[-1] == chunks
    a, b = json.loads((tmp_path / "a.json").read_text()), json.loads((tmp_path / "b.json").read_text())
    assert a["words"] == b["words"] and a["segments"] == b["segments"]
    # A resume with one worker reads the chunk files the parallel run wrote.
    code, events, stderr = run_job({**resumed, "out": str(tmp_path / "c.json"), "resume_from_chunk": chunks,
                                    "pocketsphinx": {"workers": 1}}, tmp_path)
    assert code == 0, stderr
    assert events[-1]["resumed_chunks"] == chunks
    assert json.loads((tmp_path / "c.json").read_text())["words"] == a["words"]


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
        except (OSError, IndexError, ValueError):
            continue
    return found


def _start_long_job(speech_wav: Path, tmp_path: Path) -> tuple[subprocess.Popen, list[int]]:
    """A parallel job on eight copies of the clip in chunks of ~33 s, each taking a worker several seconds, far
    longer than stopping (the job exiting and its workers gone) may take; returns it and its worker pids."""
    long_audio = tmp_path / "long.wav"
    subprocess.run(["ffmpeg", "-v", "error", "-stream_loop", "7", "-i", str(speech_wav), "-c", "copy", str(long_audio)],
                   check=True)
    job_file = tmp_path / "job.json"
    job_file.write_text(json.dumps({**_job(long_audio, tmp_path, "t", 2), "chunking": {"chunk_s": 40, "overlap_s": 1}}))
    proc = subprocess.Popen([sys.executable, "-m", "dougpt_gpu", "transcribe", "--input", str(job_file)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    assert json.loads(proc.stdout.readline())["event"] == "progress"
    workers = _children(proc.pid)
    assert workers, "the job runs its chunks in child processes"
    return proc, workers


def _wait_gone(workers: list[int], since: float, limit_s: float) -> tuple[list[int], float]:
    while [pid for pid in workers if _state(pid) != "Z"] and time.monotonic() < since + limit_s:
        time.sleep(0.05)
    return [pid for pid in workers if _state(pid) != "Z"], time.monotonic() - since


def test_sigterm_stops_the_workers(speech_wav: Path, tmp_path: Path) -> None:
    proc, workers = _start_long_job(speech_wav, tmp_path)
    try:
        os.kill(proc.pid, signal.SIGTERM)
        stopped = time.monotonic()
        out, _ = proc.communicate(timeout=60)
        running, took = _wait_gone(workers, stopped, 3)
    finally:
        proc.kill()
    assert not running and took < 3, f"workers kept decoding after the job was stopped ({took:.1f} s)"
    assert proc.returncode == 1
    assert json.loads(out.splitlines()[-1]) == {"event": "error", "kind": "failed", "message": "interrupted"}
    assert not (tmp_path / "t.json").exists()


def test_killed_job_leaves_no_workers(speech_wav: Path, tmp_path: Path) -> None:
    proc, workers = _start_long_job(speech_wav, tmp_path)
    try:
        proc.kill()  # SIGKILL: the job gets no chance to stop its workers; they notice at their next utterance
        stopped = time.monotonic()
        proc.communicate(timeout=60)
        running, took = _wait_gone(workers, stopped, 3)
    finally:
        for pid in workers:
            if _state(pid) != "Z":
                os.kill(pid, signal.SIGKILL)
    assert not running and took < 3, f"orphaned workers kept decoding ({took:.1f} s)"


def _state(pid: int) -> str:
    """The process state letter; Z (zombie) also for a process already gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "Z"
