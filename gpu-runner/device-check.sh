#!/usr/bin/env bash
# The GPU check: bf16 LoRA training of a random Qwen2.5-1.5B-shaped model for 30 steps through the project's train job
# (preset gpu-80gb, processes 1), then the evaluator's scorer on the GPU. Prints one JSON report; exit 0 when every
# check holds. Needs no network; runs in a few minutes on one GPU.
#
#   gpu-runner/device-check.sh [--dry-run] [--wheels DIR] [--work DIR] [--steps N]
#
#   --dry-run     the same steps on CPU at toy size (about a minute): the test suite runs this
#   --wheels DIR  install these wheels first (no index) into a scratch folder: what the GPU image lacks
#                 (docs/distributed-training.md lists them); also LLAMA_CPP_CONVERT=DIR for the GGUF LoRA converter
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$here")"
python="${DOUGPT_PYTHON:-}"
if [[ -z "$python" ]]; then
  if [[ -x "$repo/.venv/bin/python" ]]; then python="$repo/.venv/bin/python"; else python="python3"; fi
fi

args=()
wheels=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --wheels) wheels="${2:?--wheels needs a folder}"; shift 2 ;;
    --wheels=*) wheels="${1#--wheels=}"; shift ;;
    -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) args+=("$1"); shift ;;
  esac
done

if [[ -n "$wheels" ]]; then
  site="$(mktemp -d -t dougpt-check-site-XXXXXX)"
  trap 'rm -rf "$site"' EXIT
  "$python" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --target "$site" "$wheels"/*.whl >&2
  export PYTHONPATH="$site${PYTHONPATH:+:$PYTHONPATH}"
fi
if [[ -n "${LLAMA_CPP_CONVERT:-}" ]]; then export DOUGPT_LLAMA_CPP_CONVERT="$LLAMA_CPP_CONVERT"; fi
export PYTHONPATH="$here/src${PYTHONPATH:+:$PYTHONPATH}"
export PYTHONUNBUFFERED=1
"$python" -m dougpt_gpu.train.device_check "${args[@]}"
