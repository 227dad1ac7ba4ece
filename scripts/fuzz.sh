#!/usr/bin/env bash
# Fuzz golden's bitstream decoder and the .t265 container reader with cargo-fuzz
# (libFuzzer). Usage: bash scripts/fuzz.sh [SECONDS_PER_TARGET]
# Needs `cargo install cargo-fuzz`; runs on the stable toolchain via RUSTC_BOOTSTRAP.
# Crashes land in fuzz/artifacts/<target>/: copy them to
# golden/tests/fuzz_regressions/<target>/, where the decoder tests replay them.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-300}
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz
cargo build --release -q
mkdir -p fuzz/corpus/decode_hevc fuzz/corpus/decode_t265
i=0
for args in "@gauss:144x144:1 --strategy hw --qp 30" "@laplace:160x200:2 --strategy rd --qp 22" "@outliers:150x150:3 --strategy hw --qp 0" \
            "@rowscale:144x300:4 --strategy rd --qp 37 --rotate 5" "@gauss:1000x37:6 --strategy hw --qp 12"; do
    i=$((i + 1))
    # shellcheck disable=SC2086
    ./target/release/tcgen encode $args -o fuzz/corpus/decode_t265/seed$i.t265 --hevc fuzz/corpus/decode_hevc/seed$i.hevc >/dev/null
done
printf '[bitstream]\nwpp = true\nctus_per_slice = 5\nctu_size = 16\nmax_tu_size = 16\n[encoder.rd]\nmax_cu_size = 16\n' > fuzz/corpus/wpp.toml
./target/release/tcgen encode @gauss:144x160:7 --config fuzz/corpus/wpp.toml --qp 25 -o fuzz/corpus/decode_t265/wpp.t265 --hevc fuzz/corpus/decode_hevc/wpp.hevc >/dev/null
rm fuzz/corpus/wpp.toml
cd fuzz
for t in decode_hevc decode_t265; do
    RUSTC_BOOTSTRAP=1 cargo fuzz run -O "$t" "corpus/$t" -- -max_total_time="$secs" -max_len=65536 -print_final_stats=1 2>&1 | tail -25
done
