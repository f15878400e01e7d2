#!/usr/bin/env bash
# Peak RSS and wall time of the full pipeline on growing inputs: the embedded data
# (4 symbols x 90 days of 15m bars), then 900 days (10x), 1, 3 and 10 years of the
# same synthetic market (`phasebound synth`: its first 90 days are the embedded data).
# Each input runs twice under /usr/bin/time -v: cold (parses the CSV into the cache)
# and warm (reuses the cache). Prints a Markdown table; results in README.md here.
#
#   bench/memory/run.sh                # 4 symbols; 900 days, 1 3 10 years; --threads 1
#   SYMBOLS=16 YEARS="1 10" THREADS=2 bench/memory/run.sh
#
# Needs GNU time (Debian: apt-get install time). Uses about 150 MB of disk in $TMPDIR
# for 10 years of 4 symbols (CSV 71 MB, cache 65 MB); removed at the end.
set -euo pipefail
cd "$(dirname "$0")/../.."

SYMBOLS=${SYMBOLS:-4}
YEARS=${YEARS:-"1 3 10"}
THREADS=${THREADS:-1}

if [ ! -x /usr/bin/time ]; then
    echo "needs GNU time at /usr/bin/time (Debian: apt-get install time)" >&2
    exit 2
fi
cargo build --release --locked --quiet
bin=${CARGO_TARGET_DIR:-target}/release/phasebound
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# One measured run: prints "peak_rss_kib wall_seconds".
measure() { # label out [run args...]
    local label=$1 out=$2
    shift 2
    local log="$work/time-$label.log"
    /usr/bin/time -v -o "$log" "$bin" run --quiet --no-nice --threads "$THREADS" --out "$out" "$@"
    local rss wall
    rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$log")
    # "Elapsed (wall clock) time (h:mm:ss or m:ss): 0:01.23"
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$log" |
        awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; printf "%.2f", s }')
    echo "$rss $wall"
}

printf '| input | symbols | bars per symbol | bars | cold: peak RSS (MiB) | cold: wall (s) | warm: peak RSS (MiB) | warm: wall (s) |\n'
printf '|---|---:|---:|---:|---:|---:|---:|---:|\n'
row() { # label symbols bars_per_symbol "cold_kib cold_s" "warm_kib warm_s"
    local cold warm
    read -ra cold <<<"$4"
    read -ra warm <<<"$5"
    awk -v l="$1" -v s="$2" -v b="$3" -v cr="${cold[0]}" -v cw="${cold[1]}" \
        -v wr="${warm[0]}" -v ww="${warm[1]}" \
        'BEGIN { printf "| %s | %d | %d | %d | %.1f | %s | %.1f | %s |\n", l, s, b, s * b, cr / 1024, cw, wr / 1024, ww }'
}

# The embedded data (what a bare `phasebound run` uses).
cold=$(measure embedded-cold "$work/out-embedded")
warm=$(measure embedded-warm "$work/out-embedded")
row "embedded (90 days)" 4 $((90 * 96)) "$cold" "$warm"

synthetic() { # label days
    local data="$work/data-$2" out="$work/out-$2"
    "$bin" synth --days "$2" --symbols "$SYMBOLS" --out "$data" >/dev/null
    cold=$(measure "$2-cold" "$out" --data "$data")
    warm=$(measure "$2-warm" "$out" --data "$data")
    row "$1" "$SYMBOLS" $(($2 * 96)) "$cold" "$warm"
    rm -rf "$data" "$out/.cache"
}

synthetic "900 days (10x)" 900
for y in $YEARS; do
    synthetic "$y year(s)" $((y * 365))
done
echo
echo "threads: $THREADS; core workspace: $("$bin" budget | awk '/^total/ {print $NF}') bytes each"
