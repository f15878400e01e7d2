#!/usr/bin/env bash
# Smallest stack (KiB) the firmware runs in: rebuilds with PHASEBOUND_FW_STACK_KIB=k and
# runs it on QEMU with unimplemented-memory accesses logged. The stack sits just above
# the bottom of RAM, so an overflow writes into the board's unimplemented region below
# 0x2000_0000 and shows up in that log. Bisects between $1 and $2 (default 1 and 64).
# PROFILE=dev measures the unoptimized build (default: release; about a minute per step).
# Leaves the default build of that profile behind.
set -euo pipefail
cd "$(dirname "$0")"
profile=${PROFILE:-release}
if [ "$profile" = release ]; then flag=--release dir=release; else flag= dir=debug; fi
elf=target/thumbv7em-none-eabihf/$dir/phasebound-firmware
fits() {
    PHASEBOUND_FW_STACK_KIB=$1 cargo build $flag --locked -q
    local log; log=$(mktemp)
    if timeout 120 qemu-system-arm -machine mps2-an386 -cpu cortex-m4 -nographic \
        -monitor none -serial none -semihosting-config enable=on,target=native \
        -d unimp,guest_errors -D "$log" -kernel "$elf" >/dev/null 2>&1 && [ ! -s "$log" ]; then
        rm -f "$log"; return 0
    fi
    rm -f "$log"; return 1
}
lo=${1:-1} hi=${2:-64}
fits "$hi" || { echo "does not run with a ${hi} KiB stack"; exit 1; }
while [ $((hi - lo)) -gt 1 ]; do
    mid=$(((lo + hi) / 2))
    if fits "$mid"; then hi=$mid; else lo=$mid; fi
    echo "  ${lo}..${hi} KiB" >&2
done
cargo build $flag --locked -q
echo "$profile: smallest stack that runs: ${hi} KiB (${lo} KiB overflows)"
