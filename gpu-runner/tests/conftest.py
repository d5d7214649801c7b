from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from speech import TEXT, needs_speech_tools, render  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
TINY_WHISPER = REPO / "tests" / "fixtures" / "transcribe" / "tiny-whisper-ct2"


def run_job(job: dict, tmp_path: Path) -> tuple[int, list[dict], str]:
    """Runs `python -m dougpt_gpu transcribe` as the runner does; returns exit code, stdout events, stderr."""
    job_file = tmp_path / f"job-{len(list(tmp_path.glob('job-*.json')))}.json"
    job_file.write_text(json.dumps(job))
    proc = subprocess.run(
        [sys.executable, "-m", "dougpt_gpu", "transcribe", "--input", str(job_file)],
        capture_output=True, text=True, timeout=600,
    )
    events = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    return proc.returncode, events, proc.stderr


@pytest.fixture(scope="session")
def speech_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    needs_speech_tools()
    return render(TEXT, tmp_path_factory.mktemp("speech") / "speech.wav", speed=130)
