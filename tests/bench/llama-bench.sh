#!/usr/bin/env bash
# The engine's own reference: llama.cpp's `llama-bench` on the shipped SmolLM2-135M Q4_1, at 1 and 2 threads.
# Not part of `make setup`: it builds llama.cpp (a few minutes on two cores) into the cache.
#
#   bash tests/bench/llama-bench.sh [--threads 1,2] [--prompt 64] [--gen 32] [--reps 5] [--model FILE.gguf]
#
# Source, first found: the llama.cpp tree inside the llama-cpp-python 0.3.36 sdist (LLAMA_CPP_SDIST=FILE, or a
# llama_cpp_python-0.3.36.tar.gz under ~/.cache or pip's cache dir); else the llama.cpp tree node-llama-cpp
# ships as a git bundle (node_modules/node-llama-cpp/llama/gitRelease.bundle) — the engine `dougpt serve` runs.
# The script prints which one it used, and its commit where known. Then the reply engine's library (node-llama-cpp)
# on the same model, measured the same way (tests/bench/engine-speed.ts), for the table beside llama-bench's.
#
# Build: AVX-512 flags spelled out, AMX off, no -march=native (a native build dies with an illegal instruction
# on a CPU that reports AMX it cannot run in this VM). Prints llama-bench's markdown table: pp = prompt
# processing, tg = generation, tokens per second, mean ± sd over --reps runs.
set -euo pipefail
cd "$(dirname "$0")/../.."

threads=1,2 prompt=64 gen=32 reps=5 model=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --threads) threads=$2; shift 2 ;;
    --prompt) prompt=$2; shift 2 ;;
    --gen) gen=$2; shift 2 ;;
    --reps) reps=$2; shift 2 ;;
    --model) model=$2; shift 2 ;;
    -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "llama-bench.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done

version=0.3.36
cache="${DOUGPT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dougpt}/llama-bench"
python=.venv/bin/python

if [[ -z "$model" ]]; then
  model=$(PYTHONPATH=gpu-runner/src "$python" -m dougpt_gpu models --json | "$python" -c \
    'import json, sys; print(next(m["gguf"] for m in json.load(sys.stdin) if m["name"] == "smollm2-135m" and m.get("gguf")))') \
    || { echo "llama-bench.sh: no embedded smollm2-135m GGUF (run \`make setup\`)" >&2; exit 1; }
fi
[[ -f "$model" ]] || { echo "llama-bench.sh: $model: no such GGUF" >&2; exit 2; }

sdist="${LLAMA_CPP_SDIST:-}"
if [[ -z "$sdist" ]]; then
  pip_cache=$("$python" -m pip cache dir 2>/dev/null || true)
  sdist=$(find "$HOME/.cache" ${pip_cache:+"$pip_cache"} -name "llama_cpp_python-$version.tar.gz" 2>/dev/null | head -n 1 || true)
fi
mkdir -p "$cache"
if [[ -n "$sdist" && -f "$sdist" ]]; then
  src="$cache/sdist-$version"
  if [[ ! -f "$src/CMakeLists.txt" ]]; then
    tmp=$(mktemp -d)
    tar -xzf "$sdist" -C "$tmp" "llama_cpp_python-$version/vendor/llama.cpp"
    rm -rf "$src" && mv "$tmp/llama_cpp_python-$version/vendor/llama.cpp" "$src" && rm -rf "$tmp"
  fi
  echo "source: llama.cpp of the llama-cpp-python $version sdist ($sdist)" >&2
else
  bundle=node_modules/node-llama-cpp/llama/gitRelease.bundle
  [[ -f "$bundle" ]] || { echo "llama-bench.sh: neither the llama-cpp-python $version sdist nor $bundle is here (offline: nothing to build from)" >&2; exit 1; }
  commit=$(git bundle list-heads "$bundle" | awk 'NR==1 {print $1}')
  src="$cache/node-llama-cpp-$commit"
  [[ -f "$src/CMakeLists.txt" ]] || { rm -rf "$src"; git -c advice.detachedHead=false clone --quiet "$bundle" "$src"; }
  echo "source: the llama-cpp-python $version sdist is not available offline; using node-llama-cpp's llama.cpp ($(node -p "JSON.parse(require('fs').readFileSync('node_modules/node-llama-cpp/package.json', 'utf8')).version") bundle, commit $commit)" >&2
fi

build="$src/build-avx512"
bench="$build/bin/llama-bench"
if [[ ! -x "$bench" ]]; then
  cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=OFF -DLLAMA_CURL=OFF \
    -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON \
    -DGGML_AVX512=ON -DGGML_AVX512_VBMI=ON -DGGML_AVX512_VNNI=ON -DGGML_AVX512_BF16=ON \
    -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF >&2
  cmake --build "$build" --target llama-bench -j "$(nproc)" >&2
fi
echo "model: $model" >&2
"$bench" -m "$model" -t "$threads" -p "$prompt" -n "$gen" -r "$reps" -o md
# The reply engine's library on the same model, measured the same way, in the same run.
npx tsx tests/bench/engine-speed.ts --model "$model" --threads "$threads" --prompt "$prompt" --gen "$gen" --reps "$reps"
