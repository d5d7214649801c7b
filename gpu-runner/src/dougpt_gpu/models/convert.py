"""GGUF → safetensors folder, once per embedded model, safe when several processes race.

    python -m dougpt_gpu models --prepare

transformers dequantises the GGUF to fp32 and keeps a GGUF quantizer attached, which makes the model
untrainable and `save_pretrained` refuse; it is removed before saving. The folder is written beside its final
place and renamed into it, so a reader sees either nothing or a complete folder.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import time
from pathlib import Path

from ..errors import JobFailed
from .registry import META_FILE, EmbeddedModel, cached_sha256, embedded_gguf, file_sha256

log = logging.getLogger("dougpt_gpu.models")


def convert_embedded(model: EmbeddedModel, hf_dir: Path, gguf_link: Path) -> None:
    """Writes `hf_dir` (config, safetensors, tokenizer, META_FILE) from the package's GGUF unless already there."""
    if (hf_dir / META_FILE).is_file():
        return
    source = embedded_gguf(model)
    if source is None:
        raise JobFailed(f"{model.name}: {model.distribution} is not installed")
    import torch
    import transformers
    from transformers import AutoModelForCausalLM, AutoTokenizer

    started = time.monotonic()
    hf_dir.parent.mkdir(parents=True, exist_ok=True)
    temp = Path(tempfile.mkdtemp(prefix=".hf.", dir=hf_dir.parent))
    try:
        log.info("converting %s (%s) to safetensors in %s", model.name, source, hf_dir)
        tokenizer = AutoTokenizer.from_pretrained(str(source.parent), gguf_file=source.name)
        loaded = AutoModelForCausalLM.from_pretrained(str(source.parent), gguf_file=source.name, dtype=torch.float32)
        quantizer = getattr(loaded, "hf_quantizer", None)
        if quantizer is not None:
            quantizer.remove_quantization_config(loaded)
        loaded.save_pretrained(str(temp), safe_serialization=True)
        tokenizer.save_pretrained(str(temp))
        weights = sorted(temp.glob("*.safetensors"))
        meta = {
            "name": model.name,
            "source": f"{model.distribution}/{model.gguf_name}",
            "sha256": cached_sha256(source),
            "hf_sha256": file_sha256(weights[0]) if len(weights) == 1 else None,
            "gguf": str(gguf_link),
            "transformers": transformers.__version__,
            "torch": torch.__version__,
        }
        (temp / META_FILE).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
        # mkdtemp makes a private folder; the cache is shared by the users of this machine's venv.
        temp.chmod(0o755)
        for path in temp.iterdir():
            path.chmod(0o644)
        try:
            os.rename(temp, hf_dir)
        except OSError:
            # Another process finished first (the target exists and is not empty): keep theirs.
            if not (hf_dir / META_FILE).is_file():
                raise
            log.info("%s was converted by another process meanwhile", model.name)
    finally:
        shutil.rmtree(temp, ignore_errors=True)
    log.info("converted %s in %.1f s", model.name, time.monotonic() - started)
