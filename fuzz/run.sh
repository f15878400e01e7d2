#!/usr/bin/env bash
# Runs every cargo-fuzz target of phasebound for a bounded time and prints the number of
# executions. New interesting inputs go to a temporary folder (fuzz/corpus/ stays as
# committed); a crash stops the script, leaves the input in fuzz/artifacts/<target>/
# and prints how to reproduce it. Minimize it (`cargo +nightly fuzz tmin -s none
# <target> <file>`), add it to fuzz/corpus/<target>/, and the stable test
# `bad_input::fuzz_corpus_replays_without_panic` keeps it as a regression test.
#
# Usage: fuzz/run.sh [seconds per target]   (default: $FUZZ_SECONDS or 8)
# Needs a nightly toolchain and cargo-fuzz; installs both when missing.
set -euo pipefail
cd "$(dirname "$0")"

secs="${1:-${FUZZ_SECONDS:-8}}"
if ! rustup toolchain list | grep -q '^nightly' && ! rustup toolchain install nightly --profile minimal; then
    # Only registries are reachable from CI machines; the image ships a nightly toolchain.
    echo "SKIP: fuzzing needs a nightly toolchain, and none could be installed" >&2
    exit 0
fi
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked

# No sanitizer: the code under test is safe Rust (no `unsafe`), so AddressSanitizer
# adds build time and slows every execution without finding anything a panic would
# not; debug assertions and overflow checks stay on (cargo-fuzz's default).
flags=(-s none --target-dir "${CARGO_TARGET_DIR:-$PWD/target}")
cargo +nightly fuzz build "${flags[@]}"

# The targets write their input to a scratch file: in memory (/dev/shm) that is ~20x
# faster than on disk.
if [ -d /dev/shm ] && [ -w /dev/shm ]; then work=$(mktemp -d -p /dev/shm); else work=$(mktemp -d); fi
trap 'rm -rf "$work"' EXIT
export TMPDIR="$work"
total=0
targets=$(cargo +nightly fuzz list)
for t in $targets; do
    mkdir -p "$work/$t"
    if ! cargo +nightly fuzz run "${flags[@]}" "$t" "$work/$t" "corpus/$t" -- \
        -max_total_time="$secs" -timeout=20 -rss_limit_mb=2048 -print_final_stats=1 \
        >"$work/$t.log" 2>&1; then
        tail -n 60 "$work/$t.log"
        echo "fuzz: target $t FAILED; the input is in fuzz/artifacts/$t/" >&2
        exit 1
    fi
    runs=$(awk '/stat::number_of_executed_units:/ {print $2}' "$work/$t.log")
    added=$(awk '/stat::new_units_added:/ {print $2}' "$work/$t.log")
    printf 'fuzz: %-15s %9d executions in %ss, %d new coverage inputs\n' "$t" "$runs" "$secs" "$added"
    total=$((total + runs))
done
echo "fuzz: $total executions over $(wc -w <<<"$targets") targets, no crash"
