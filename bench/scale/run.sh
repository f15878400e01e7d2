#!/usr/bin/env bash
# Many symbols and short bars with the default config (issue "Any number of symbols"):
# peak RSS and wall time of a full `phasebound run` (cold cache: parsing included) on
#   - 40 synthetic symbols x 6 months of 15m, --threads 1   (target: <= 32 MiB)
#   - 200 synthetic symbols x 1 year of 15m, --threads 2    (target: <= 64 MiB, <= 10 min)
#   - the 2 real 1m futures symbols x 1 month (../shared/data), --threads 2, if present
# and the workspace the run sized before reading any bar (report.json run.memory_budget).
#
#   bench/scale/run.sh                 # all three
#   CASES="40" bench/scale/run.sh      # one of: 40 200 1m
#
# Needs GNU time (Debian: apt-get install time). Uses about 1.2 GB of disk in $TMPDIR
# for the 200-symbol market; removed at the end.
set -euo pipefail
cd "$(dirname "$0")/../.."
CASES=${CASES:-"40 200 1m"}
if [ ! -x /usr/bin/time ]; then
    echo "needs GNU time at /usr/bin/time (Debian: apt-get install time)" >&2
    exit 2
fi
cargo build --release --locked --quiet
bin=${CARGO_TARGET_DIR:-target}/release/phasebound
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

printf '| run | symbols | bars | threads | workspace per worker (bytes) | peak RSS (MiB) | wall (s) |\n'
printf '|---|---:|---:|---:|---:|---:|---:|\n'
measure() { # label symbols threads data [extra args]
    local label=$1 symbols=$2 threads=$3 data=$4
    shift 4
    local log="$work/time-$label.log" out="$work/out-$label"
    /usr/bin/time -v -o "$log" "$bin" run --quiet --no-nice --threads "$threads" \
        --data "$data" --cache "$work/cache-$label" --out "$out" "$@"
    local rss wall bars ws
    rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$log")
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$log" |
        awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; printf "%.1f", s }')
    bars=$(python3 -c "import json,sys; r=json.load(open(sys.argv[1])); print(sum(i['bars'] for i in r['run']['inputs']))" "$out/report.json")
    ws=$(python3 -c "import json,sys; r=json.load(open(sys.argv[1])); print(max(w['bytes'] for w in r['run']['memory_budget']['workspaces']))" "$out/report.json")
    awk -v l="$label" -v s="$symbols" -v b="$bars" -v t="$threads" -v w="$ws" -v r="$rss" -v x="$wall" \
        'BEGIN { printf "| %s | %d | %d | %d | %d | %.1f | %s |\n", l, s, b, t, w, r / 1024, x }'
    rm -rf "$work/cache-$label"
}
for c in $CASES; do
    case $c in
    40)
        "$bin" synth --symbols 40 --days 182 --out "$work/m40" >/dev/null
        measure "40 symbols x 6 months of 15m" 40 1 "$work/m40"
        rm -rf "$work/m40"
        ;;
    200)
        "$bin" synth --symbols 200 --days 365 --out "$work/m200" >/dev/null
        measure "200 symbols x 1 year of 15m" 200 2 "$work/m200"
        rm -rf "$work/m200"
        ;;
    1m)
        if [ -d ../shared/data/binance/futures-um ]; then
            measure "2 real 1m futures symbols x 1 month" 2 2 ../shared/data/binance/futures-um
        else
            echo "SKIP: 1m: ../shared/data not found" >&2
        fi
        ;;
    esac
done
