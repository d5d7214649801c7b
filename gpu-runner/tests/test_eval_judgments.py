"""Blind human judgments reach the next evaluation report (python -m dougpt_gpu eval)."""

import json

from dougpt_gpu.evaluate.judgments import summarize_judgments
from dougpt_gpu.evaluate.report import _judgments_line


def _write(path, rows):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows) + '{"cut short', encoding="utf-8")


def test_latest_verdict_per_reviewer_and_pair_counts(tmp_path):
    row = {"eval_id": "eval-1", "run_id": "r", "reviewer": "ana", "rating": 2}
    _write(tmp_path / "eval-1" / "judgments.jsonl", [
        {**row, "pair_id": "p1", "picked_real": False, "judged_at": "2026-01-01T00:00:00Z"},
        {**row, "pair_id": "p1", "picked_real": True, "judged_at": "2026-01-02T00:00:00Z", "rating": 4},
        {**row, "pair_id": "p2", "picked_real": False, "judged_at": "2026-01-01T00:00:00Z"},
    ])
    _write(tmp_path / "eval-2" / "judgments.jsonl", [
        {**row, "eval_id": "eval-2", "reviewer": "bo", "pair_id": "p1", "picked_real": True, "judged_at": "2026-01-03T00:00:00Z"},
    ])
    summary = summarize_judgments(tmp_path)
    assert summary == {"judged": 3, "correct_share": round(2 / 3, 4), "mean_rating": round((4 + 2 + 2) / 3, 3), "evals": ["eval-1", "eval-2"]}
    assert "67%" in _judgments_line(summary)


def test_no_judgments(tmp_path):
    assert summarize_judgments(tmp_path) is None
    assert "none yet" in _judgments_line(None)
