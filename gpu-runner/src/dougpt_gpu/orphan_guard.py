"""Ends a job whose runner died: a job must never outlive the worker that started it.

    python -m dougpt_gpu <job> --input job.json

When the worker is SIGKILLed, its Python child is re-parented and would go on writing into the same run
folder as the retried attempt. A daemon thread notices the parent change and stops the process the way
the runner's cancel does (SIGTERM), so the job ends like a cancelled one.
"""

from __future__ import annotations

import os
import signal
import threading
import time

CHECK_S = 1.0


def start_orphan_guard(check_s: float = CHECK_S) -> threading.Thread:
    # The runner names itself, so a parent that died before this line ran is noticed too.
    named = os.environ.get("DOUGPT_RUNNER_PID", "")
    parent = int(named) if named.isdigit() else os.getppid()

    def watch() -> None:
        while True:
            time.sleep(check_s)
            if os.getppid() != parent:
                os.kill(os.getpid(), signal.SIGTERM)
                time.sleep(30)
                os._exit(1)

    thread = threading.Thread(target=watch, name="orphan-guard", daemon=True)
    thread.start()
    return thread
