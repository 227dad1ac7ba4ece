#!/usr/bin/env bash
# The GPU check (issue 8), in two steps:
#   bash scripts/gpu-check.sh prepare   # on the development machine (Rust, cargo):
#       builds target/gpu-check/tcgen (release, --features nvdec, stripped), and the
#       streams it will decode with their golden checksums under target/gpu-check/
#   bash scripts/gpu-check.sh run       # on the GPU machine (driver, no Rust needed):
#       runs the prepared binary: NVDEC / NVENC capabilities as JSON under ${OUT:-target/gpu-check/out}
# What `run` covers today: device and NVDEC capability listing (`tcgen gpu check`).
# Decoding the prepared streams on NVDEC and comparing planes is not built yet.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=target/gpu-check
case "${1:-}" in
  prepare)
    cargo build --release --features nvdec
    mkdir -p "$dir/streams"
    cp target/release/tcgen "$dir/tcgen"
    strip "$dir/tcgen" || true
    for strategy in hw rd; do
      for qp in 12 27 37; do
        ./"$dir/tcgen" encode @minilm -o "$dir/streams/minilm-$strategy-q$qp.t265" --qp "$qp" --strategy "$strategy" \
          --hevc "$dir/streams/minilm-$strategy-q$qp.hevc" --recon "$dir/streams/minilm-$strategy-q$qp.yuv" > /dev/null
      done
    done
    (cd "$dir/streams" && sha256sum *.yuv > recon.sha256 && rm -f *.yuv *.t265)
    ls -la "$dir" "$dir/streams"
    ;;
  run)
    out="${OUT:-$dir/out}"
    mkdir -p "$out"
    [ -x "$dir/tcgen" ] || { echo "no $dir/tcgen: run 'bash scripts/gpu-check.sh prepare' on the development machine first" >&2; exit 2; }
    nvidia-smi > "$out/nvidia-smi.txt" 2>&1 || echo "nvidia-smi failed (see $out/nvidia-smi.txt)"
    "$dir/tcgen" gpu check --json | tee "$out/gpu-check.json"
    "$dir/tcgen" gpu check
    ;;
  *)
    echo "usage: bash scripts/gpu-check.sh prepare|run" >&2
    exit 2
    ;;
esac
