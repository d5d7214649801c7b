"""`precision: auto`: bf16 on a CPU with bf16 instructions, fp32 on one without, and the reason recorded."""

from __future__ import annotations

from pathlib import Path

import pytest

from dougpt_gpu.train import model
from dougpt_gpu.train.job import TrainJob


def _job(tmp_path: Path, **extra: object) -> TrainJob:
    (tmp_path / "ds").mkdir(exist_ok=True)
    return TrainJob.from_dict({"dataset": str(tmp_path / "ds"), "out": str(tmp_path / "out"), "preset": "cpu-smoke", **extra})


@pytest.mark.parametrize(("found", "precision"), [("AMX", "bf16"), ("AVX-512 BF16", "bf16"), (None, "fp32")])
def test_auto_on_cpu_follows_the_cpus_bf16_instructions(found: str | None, precision: str, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(model, "cpu_bf16", lambda: found)
    device, chosen, reason = model.resolve_device(_job(tmp_path, precision="auto"))
    assert (device, chosen) == ("cpu", precision)
    assert reason.startswith("auto: ") and (found or "no bf16") in reason


def test_a_precision_the_job_names_is_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(model, "cpu_bf16", lambda: "AMX")
    assert model.resolve_device(_job(tmp_path, precision="fp32"))[1:] == ("fp32", "precision fp32 (job or preset)")
