"""PEFT adapter folder → GGUF LoRA for node-llama-cpp, with llama.cpp's own converter.

    python -m dougpt_gpu train --input job.json

infra/setup.sh puts `convert_lora_to_gguf.py` and its `gguf-py/` under
`<cache>/llama-cpp-convert/<llama-cpp-python version>/` (taken from the llama-cpp-python sdist, no build);
`DOUGPT_LLAMA_CPP_CONVERT` points elsewhere. The converter reads the base's config.json (`--base`).
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

from ..errors import JobFailed
from ..models.registry import cache_dir

LLAMA_CPP_PYTHON_VERSION = "0.3.36"
log = logging.getLogger("dougpt_gpu.train")


def converter_dir() -> Path:
    override = os.environ.get("DOUGPT_LLAMA_CPP_CONVERT")
    return Path(override) if override else cache_dir() / "llama-cpp-convert" / LLAMA_CPP_PYTHON_VERSION


def export_lora_gguf(adapter_dir: Path, base_hf_dir: Path, target: Path, outtype: str = "f16") -> Path:
    """Writes `target` (through a temporary file, renamed when complete) and returns it."""
    tools = converter_dir()
    script = tools / "convert_lora_to_gguf.py"
    if not script.is_file() or not (tools / "gguf-py").is_dir():
        raise JobFailed(f"{script}: llama.cpp's LoRA converter is missing (make setup installs it)")
    temp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(tools / "gguf-py"), os.environ.get("PYTHONPATH")]))}
    argv = [sys.executable, str(script), "--base", str(base_hf_dir), "--outfile", str(temp), "--outtype", outtype, str(adapter_dir)]
    # Its output is log text: keep it off the job's stdout.
    proc = subprocess.run(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False)
    if proc.returncode != 0 or not temp.is_file():
        temp.unlink(missing_ok=True)
        tail = proc.stdout.strip().splitlines()[-1:] or ["no output"]
        raise JobFailed(f"convert_lora_to_gguf.py failed (exit {proc.returncode}): {tail[0]}")
    os.replace(temp, target)
    log.info("GGUF LoRA %s (%d bytes)", target, target.stat().st_size)
    return target
