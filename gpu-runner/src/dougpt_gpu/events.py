"""JSON lines on stdout: the only thing the TypeScript runner reads. Logs go to stderr."""

from __future__ import annotations

import json
import os
import sys
from typing import Any


def emit(event: str, **fields: Any) -> None:
    """Write one event line and flush, so the runner sees progress as it happens.

    A data-parallel rank other than 0 (train/launch.py) writes its lines to stderr: rank 0 speaks for the job.
    """
    if os.environ.get("RANK", "0") != "0":
        sys.stderr.write(json.dumps({"event": event, "rank": int(os.environ["RANK"]), **fields}) + "\n")
        return
    sys.stdout.write(json.dumps({"event": event, **fields}, separators=(",", ":")) + "\n")
    sys.stdout.flush()
