"""Blind human judgments (`dougpt judge`) of earlier evaluations of an adapter, for the next report.

    python -m dougpt_gpu eval --input job.json

`dougpt judge <eval dir>` appends one line per verdict to `<eval dir>/judgments.jsonl`:
{judgment_id, eval_id, run_id, pair_id, picked_real, rating, reviewer, judged_at}. The latest verdict of
a reviewer on a pair counts.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def summarize_judgments(eval_root: Path) -> dict[str, Any] | None:
    """{judged, correct_share, mean_rating, evals} over every `*/judgments.jsonl` under `eval_root`, or None."""
    latest: dict[tuple[str, str], dict[str, Any]] = {}
    evals: set[str] = set()
    for path in sorted(eval_root.glob("*/judgments.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                continue  # a line cut short by a crash: the next verdict is written whole
            if not isinstance(row, dict) or not isinstance(row.get("picked_real"), bool):
                continue
            key = (str(row.get("reviewer")), str(row.get("pair_id")))
            if key not in latest or str(row.get("judged_at")) >= str(latest[key].get("judged_at")):
                latest[key] = row
            evals.add(str(row.get("eval_id")))
    if not latest:
        return None
    rows = list(latest.values())
    ratings = [r["rating"] for r in rows if isinstance(r.get("rating"), int)]
    return {
        "judged": len(rows),
        "correct_share": round(sum(1 for r in rows if r["picked_real"]) / len(rows), 4),
        "mean_rating": round(sum(ratings) / len(ratings), 3) if ratings else None,
        "evals": sorted(evals),
    }
