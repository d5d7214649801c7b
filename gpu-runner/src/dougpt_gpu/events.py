"""JSON lines on stdout: the only thing the TypeScript runner reads. Logs go to stderr."""

from __future__ import annotations

import json
import sys
from typing import Any


def emit(event: str, **fields: Any) -> None:
    """Write one event line and flush, so the runner sees progress as it happens."""
    sys.stdout.write(json.dumps({"event": event, **fields}, separators=(",", ":")) + "\n")
    sys.stdout.flush()
