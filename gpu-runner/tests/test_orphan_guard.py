"""A job whose parent dies ends within seconds (python -m dougpt_gpu <job>)."""

import os
import signal
import subprocess
import sys
import time


def test_orphaned_job_stops_itself(tmp_path):
    pid_file = tmp_path / "child.pid"
    # A parent that starts a guarded child, reports its pid, then dies without waiting for it.
    child_code = "import time\nfrom dougpt_gpu.orphan_guard import start_orphan_guard\nstart_orphan_guard(0.2)\ntime.sleep(60)\n"
    parent = (
        "import os, subprocess, sys\n"
        f"child = subprocess.Popen([sys.executable, '-c', {child_code!r}], env={{**os.environ, 'DOUGPT_RUNNER_PID': str(os.getpid())}})\n"
        f"open({str(pid_file)!r}, 'w').write(str(child.pid))\n"
    )
    subprocess.run([sys.executable, "-c", parent], check=True, timeout=30)
    child = int(pid_file.read_text())
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if not _alive(child):
            return
        time.sleep(0.2)
    os.kill(child, signal.SIGKILL)
    raise AssertionError("an orphaned job kept running")


def _alive(pid: int) -> bool:
    """Running (a zombie left for an init that does not reap counts as ended)."""
    try:
        with open(f"/proc/{pid}/status", encoding="utf-8") as status:
            return not any(line.startswith("State:") and "Z" in line.split()[1] for line in status)
    except FileNotFoundError:
        return False
