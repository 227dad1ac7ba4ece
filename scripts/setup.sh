#!/usr/bin/env bash
# Install the reference tools tcgen checks against (Debian packages), if missing,
# and print their versions. Idempotent: installs nothing when everything is there.
set -euo pipefail

need=()
command -v x265 >/dev/null 2>&1 || need+=(x265)
command -v ffmpeg >/dev/null 2>&1 || need+=(ffmpeg)
{ command -v dec265 >/dev/null 2>&1 || command -v libde265-dec265 >/dev/null 2>&1; } || need+=(libde265-examples)
command -v verilator >/dev/null 2>&1 || need+=(verilator)
command -v yosys >/dev/null 2>&1 || need+=(yosys)
command -v xz >/dev/null 2>&1 || need+=(xz-utils)

if [ ${#need[@]} -gt 0 ]; then
    echo "setup: installing ${need[*]}"
    SUDO=""
    if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

echo "setup: tool versions"
x265 --version 2>&1 | sed -n 's/.*\(HEVC encoder version [^ ]*\).*/  x265: \1/p' | head -1
echo "  ffmpeg: $(ffmpeg -version | head -1 | cut -d' ' -f3)"
de=$(command -v dec265 || command -v libde265-dec265)
echo "  libde265: $("$de" -h 2>&1 | head -1 | sed 's/^ *dec265 *//')"
echo "  verilator: $(verilator --version)"
echo "  yosys: $(yosys -V)"
echo "  cargo: $(cargo --version)"
