#!/usr/bin/env bash
# Makes the recognised-speech inputs of the alignment accuracy benchmark (transcript kinds "whisper" and
# "pocketsphinx"): synthetic espeak-ng streams transcribed by the CPU default (Whisper tiny.en) and by
# pocketsphinx, with their chat and ground truth.
#   bash tests/bench/align-recognised.sh [DIR] [MINUTES] [RECOGNISERS]   (then: npx tsx tests/bench/align-accuracy.bench.ts --recognised DIR)
# RECOGNISERS: "whisper,pocketsphinx" (default), or one of them. Slow: a 10-minute stream takes a few minutes
# to speak and transcribe on two cores.
set -euo pipefail
dir=${1:-/tmp/dougpt-align-recognised}
minutes=${2:-10}
recognisers=${3:-whisper,pocketsphinx}
seconds=$((minutes * 60))
half=$((seconds / 2))
mkdir -p "$dir"
# seed|lag schedule|offsets — the lag change of seed 41 is the one measured on a real VOD (7.3 s → 4.1 s).
for spec in "41|0:7.3,$half:4.1|whole" "42|0:3|ms" "43|0:11|whole"; do
  IFS='|' read -r seed schedule offsets <<<"$spec"
  name="dougpt-sample-seed$seed"
  if [[ ! -f "$dir/$name.truth.json" ]]; then
    flags=(--seed "$seed" --duration-s "$seconds" --lag-schedule "$schedule" --out "$dir")
    [[ $offsets == whole ]] && flags+=(--whole-second-offsets)
    node bin/dougpt.js sample "${flags[@]}" >&2
  fi
  for recogniser in ${recognisers//,/ }; do
    backend=$([[ $recogniser == whisper ]] && echo faster-whisper || echo pocketsphinx)
    if [[ ! -f "$dir/$name.$recogniser.json" ]]; then
      node bin/dougpt.js transcribe "$dir/$name.mp4" --backend "$backend" --out "$dir/$name.$recogniser.json" >&2
    fi
  done
  echo "$dir/$name"
done
