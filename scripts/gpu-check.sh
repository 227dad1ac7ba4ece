#!/usr/bin/env bash
# The GPU check (issue 8), in two steps:
#   bash scripts/gpu-check.sh prepare   # on the development machine (Rust, cargo):
#       builds target/gpu-check/tcgen (release, --features nvdec, stripped), and the
#       streams it will decode with their golden checksums under target/gpu-check/
#   bash scripts/gpu-check.sh run       # on the GPU machine (driver, no Rust needed):
#       runs the prepared binary: NVDEC capabilities, the prepared streams decoded on
#       NVDEC against golden's decoder (every plane) and against the checksums made
#       here, and the session sweep; JSON and text under ${OUT:-target/gpu-check/out}
# NVENC: not built yet.
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
    mkdir -p "${OUT:-$dir/out}"
    out="$(cd "${OUT:-$dir/out}" && pwd)"
    root="$(pwd)"
    [ -x "$dir/tcgen" ] || { echo "no $dir/tcgen: run 'bash scripts/gpu-check.sh prepare' on the development machine first" >&2; exit 2; }
    nvidia-smi > "$out/nvidia-smi.txt" 2>&1 || echo "nvidia-smi failed (see $out/nvidia-smi.txt)"
    (cd "$dir/streams" && for f in *.hevc; do
       # golden's reconstruction of each prepared stream, checked against the checksums made on the development machine
       ../tcgen decode "$f" --yuv "$out/${f%.hevc}.yuv" > /dev/null
     done)
    (cd "$out" && sha256sum -c "$root/$dir/streams/recon.sha256") | tee "$out/recon-checksums.txt"
    rm -f "$out"/*.yuv
    "$dir/tcgen" gpu check --input "$dir"/streams/*.hevc --json-out "$out/gpu-check.json" | tee "$out/gpu-check.txt"
    ;;
  *)
    echo "usage: bash scripts/gpu-check.sh prepare|run" >&2
    exit 2
    ;;
esac
