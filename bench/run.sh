#!/usr/bin/env bash
# The peer benchmark: one exit-grid job on the real klines, run by phasebound (first
# passage, and the bar-by-bar reference), a numba loop, the same loop keeping each cell's
# account as phasebound does (numba-account), vectorbt and the original system's
# approach, at three scales. See bench/README.md for what is measured and why.
#
#   bench/run.sh [--scales small,medium,large,large-360] [--runs N] [--no-python] [--no-vectorbt]
#
# Environment: BENCH_DATA (default ../shared/data/binance), BENCH_OUT (default
# target/bench), BENCH_THREADS (default 2: every tool gets the same cores).
# Needs: cargo, awk, sort; GNU time (/usr/bin/time) for CPU time and peak RSS.
# Python peers: python3 with venv and pip (skipped, with a message, when unavailable).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
DATA=${BENCH_DATA:-$ROOT/../shared/data/binance}
OUT=${BENCH_OUT:-$ROOT/target/bench}
THREADS=${BENCH_THREADS:-2}
TF=15m
SCALES=small,medium,large,large-360
RUNS=3
PYTHON=1
VECTORBT=1
while [ $# -gt 0 ]; do
    case "$1" in
    --scales) SCALES=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --no-python) PYTHON=0; shift ;;
    --no-vectorbt) VECTORBT=0; shift ;;
    *) echo "usage: bench/run.sh [--scales small,medium,large,large-360] [--runs N] [--no-python] [--no-vectorbt]" >&2; exit 2 ;;
    esac
done

if ! ls "$DATA"/*-"$TF".csv >/dev/null 2>&1; then
    echo "SKIP: no $TF kline files in $DATA (the bench needs ../shared/data/binance)"
    exit 0
fi
mkdir -p "$OUT"
RESULTS=$OUT/results.tsv
AGREE=$OUT/agreement.txt
: >"$RESULTS"
: >"$AGREE"

echo "==> building phasebound (release)"
cargo build --release --locked -p phasebound >/dev/null
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
PB=$TARGET/release/phasebound
# The static build (glibc linked into the binary, README "Memory"), measured beside the
# default one where the C library's static archive (libc.a) is installed.
HOST=$(rustc -vV | sed -n 's/^host: //p')
PBS=""
case $HOST in
*-linux-gnu)
    echo "==> building phasebound (release, static)"
    if RUSTFLAGS="-C target-feature=+crt-static" cargo build --release --locked -p phasebound \
        --target "$HOST" >"$OUT/static-build.log" 2>&1; then
        PBS=$TARGET/$HOST/release/phasebound
    else
        echo "note: the static build failed (see $OUT/static-build.log; libc.a missing?): default build only"
    fi
    ;;
esac

# ---------------------------------------------------------------- Python peers
PY=""
# Compiled numba kernels go to the output folder; no bytecode is written into the source
# tree. (Not PYTHONPYCACHEPREFIX: under it Python ignored the venv's compiled packages and
# compiled numpy, pandas and numba again on every run, 1.6 s more per run of each peer.)
export NUMBA_CACHE_DIR="$OUT/numba-cache" PYTHONDONTWRITEBYTECODE=1
if [ "$PYTHON" = 0 ]; then
    echo "peers skipped (--no-python): phasebound only"
else
    if ! command -v python3 >/dev/null 2>&1; then
        echo "SKIP peers: python3 not found (numba, vectorbt and the original approach are not run)"
    elif [ ! -x "$OUT/venv/bin/python" ] && ! python3 -m venv "$OUT/venv" >/dev/null 2>&1; then
        echo "SKIP peers: python3 -m venv failed (install python3-venv); phasebound only"
    elif ! "$OUT/venv/bin/python" -c 'import vectorbt, numba, pandas' >/dev/null 2>&1 &&
        ! "$OUT/venv/bin/pip" install -q vectorbt numba pandas; then
        echo "SKIP peers: pip install vectorbt numba pandas failed; phasebound only"
    else
        PY=$OUT/venv/bin/python
        "$PY" -c 'import sys, numpy, numba, pandas, vectorbt; print("python", sys.version.split()[0], "numpy", numpy.__version__, "numba", numba.__version__, "pandas", pandas.__version__, "vectorbt", vectorbt.__version__)' >"$OUT/versions.txt"
    fi
fi

# ---------------------------------------------------------------- measuring
TIME=""
if /usr/bin/time -f %M true >/dev/null 2>&1; then TIME=/usr/bin/time; fi
if [ -z "$TIME" ]; then echo "note: GNU time not found (apt-get install time): no CPU time or peak RSS"; fi

median() { sort -g | awk '{v[NR] = $1} END {if (NR == 0) print "nan"; else print v[int((NR + 1) / 2)]}'; }

# measure SCALE TOOL RUNS WORK -- COMMAND...: one warm-up, then RUNS timed runs; appends
# scale, tool, median wall s, median CPU s, median peak RSS KiB, evaluations/s to results.
measure() {
    local scale=$1 tool=$2 runs=$3 work=$4
    shift 5
    local log=$OUT/$scale-$tool.log walls=() cpus=() rss=()
    echo "  $tool: warm-up + $runs run(s)"
    "$@" >"$log" 2>&1 || { echo "  $tool FAILED (see $log)"; tail -3 "$log"; return 0; }
    for _ in $(seq "$runs"); do
        local start end
        start=$(date +%s.%N)
        if [ -n "$TIME" ]; then
            $TIME -f '%U %S %M' -o "$OUT/time.txt" "$@" >>"$log" 2>&1
            read -r u s m <"$OUT/time.txt"
            cpus+=("$(awk "BEGIN{print $u + $s}")")
            rss+=("$m")
        else
            "$@" >>"$log" 2>&1
        fi
        end=$(date +%s.%N)
        walls+=("$(awk "BEGIN{print $end - $start}")")
    done
    local w c r
    w=$(printf '%s\n' "${walls[@]}" | median)
    c=$(printf '%s\n' "${cpus[@]:-}" | grep . | median || true)
    r=$(printf '%s\n' "${rss[@]:-}" | grep . | median || true)
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$scale" "$tool" "$w" "${c:-nan}" "${r:-nan}" \
        "$(awk "BEGIN{printf \"%.3g\", $work / $w}")" >>"$RESULTS"
    printf '    wall %.2f s, cpu %s s, peak RSS %s KiB\n' "$w" "${c:-?}" "${r:-?}"
}

# ---------------------------------------------------------------- the job
# entries N FILE: the N entries with the smallest keys over all symbols, sorted by time.
entries() {
    local n=$1 file=$2 i=0
    for f in "$DATA"/*-"$TF".csv; do
        i=$((i + 1))
        awk -v seed=$((1000 + i)) -v sym="$(basename "$f" "-$TF.csv")" -f "$ROOT/bench/entries.awk" "$f"
    done | sort -t, -k1,1n | awk -v n="$n" 'NR <= n' | cut -d, -f2- | sort -t, -k2,2n -k1,1 >"$file"
}

# shellcheck source=bench/grids.sh
. "$ROOT/bench/grids.sh"

for scale in ${SCALES//,/ }; do
    n=$(count "$scale")
    c=$(cells "$scale")
    work=$((n * c))
    dir=$OUT/$scale
    mkdir -p "$dir"
    entries "$n" "$dir/entries.csv"
    # shellcheck disable=SC2046
    set -- $(grid "$scale")
    G=("$@")
    echo "==> $scale: $n entries x $c cells = $work evaluations"
    # --every-entry: the exits alone (fixed stake, no slot limit below 16, no per-symbol
    # rule), the semantics of the numba loop, which trades every entry in every cell.
    common=(--config "$ROOT/bench/bench.toml" --entries "$dir/entries.csv" --data "$DATA"
        --timeframe "$TF" --cost-pct 0 --quiet "${G[@]}")
    exits_all=(--every-entry)
    measure "$scale" phasebound "$RUNS" "$work" -- "$PB" exits "${common[@]}" "${exits_all[@]}" --out "$dir/pb" --threads "$THREADS"
    measure "$scale" phasebound-reference "$RUNS" "$work" -- "$PB" exits "${common[@]}" "${exits_all[@]}" --out "$dir/pb-ref" --threads "$THREADS" --reference
    if cmp -s "$dir/pb/exits.csv" "$dir/pb-ref/exits.csv"; then
        echo "$scale: phasebound first passage == reference: all $c cells byte-identical" >>"$AGREE"
    else
        echo "$scale: phasebound first passage != reference (BUG)" >>"$AGREE"
    fi
    if [ -n "$PBS" ]; then
        measure "$scale" phasebound-static "$RUNS" "$work" -- "$PBS" exits "${common[@]}" "${exits_all[@]}" --out "$dir/pb-static" --threads "$THREADS"
        if cmp -s "$dir/pb/exits.csv" "$dir/pb-static/exits.csv"; then
            echo "$scale: phasebound static == default build: all $c cells byte-identical" >>"$AGREE"
        else
            echo "$scale: phasebound static != default build (BUG)" >>"$AGREE"
        fi
    fi
    [ -n "$PY" ] || continue
    py=(--data "$DATA" --timeframe "$TF" --entries "$dir/entries.csv" --cost-pct 0 "${G[@]}")
    export NUMBA_NUM_THREADS=$THREADS
    measure "$scale" numba "$RUNS" "$work" -- "$PY" "$ROOT/bench/py/numba_loop.py" "${py[@]}" --out "$dir/numba.csv"
    # The account peer: what --every-entry computes (fixed stake, 16 slots, any symbol).
    measure "$scale" numba-account "$RUNS" "$work" -- "$PY" "$ROOT/bench/py/numba_account.py" "${py[@]}" \
        --stake fixed --max-open-trades 16 --out "$dir/numba-account.csv"
    vruns=$RUNS
    if [ "$scale" != small ]; then vruns=1; fi
    if [ "$VECTORBT" = 1 ]; then
        measure "$scale" vectorbt "$vruns" "$work" -- "$PY" "$ROOT/bench/py/vbt_grid.py" "${py[@]}" --out "$dir/vbt.csv"
    fi
    measure "$scale" original "$RUNS" 46000 -- "$PY" "$ROOT/bench/py/original.py" "${py[@]}" --out "$dir/original.json"
    # Agreement: per cell at every scale, per (entry, cell) at the small one.
    echo "$scale numba per cell: $("$PY" "$ROOT/bench/py/compare.py" cells "$dir/pb/exits.csv" "$dir/numba.csv")" >>"$AGREE"
    echo "$scale numba-account per cell (every cell): $("$PY" "$ROOT/bench/py/compare.py" account "$dir/pb/exits.csv" "$dir/numba-account.csv" || true)" >>"$AGREE"
    echo "$scale original: $("$PY" "$ROOT/bench/py/compare.py" original "$dir/pb/exits.csv" "$dir/original.json")" >>"$AGREE"
    if [ "$scale" = small ]; then
        "$PB" exits "${common[@]}" "${exits_all[@]}" --out "$dir/pb-trace" --trades "$dir/pb-trades.csv"
        "$PY" "$ROOT/bench/py/numba_loop.py" "${py[@]}" --out "$dir/numba.csv" --trades "$dir/numba-trades.npz" 2>/dev/null
        echo "$scale numba per (entry, cell): $("$PY" "$ROOT/bench/py/compare.py" trades "$dir/pb-trades.csv" "$dir/numba-trades.npz")" >>"$AGREE"
    fi
    if [ "$scale" = small ] && [ "$VECTORBT" = 1 ]; then
        "$PB" exits "${common[@]}" --out "$dir/pb-one" --one-position --stake fixed --max-open-trades 16 --trades "$dir/pb-one-trades.csv"
        "$PY" "$ROOT/bench/py/vbt_grid.py" "${py[@]}" --out "$dir/vbt.csv" --trades "$dir/vbt-trades.npz" 2>/dev/null
        echo "$scale vectorbt vs phasebound --one-position per (entry, cell): $("$PY" "$ROOT/bench/py/compare.py" vbt "$dir/pb-one-trades.csv" "$dir/vbt-trades.npz")" >>"$AGREE"
    fi
done

# ---------------------------------------------------------------- whole run
# The whole `phasebound run` (four phases, both profiles) on the same data; the rate
# column is bars per second here.
echo "==> whole run: phasebound run on the $TF data"
bars=$(cat "$DATA"/*-"$TF".csv | wc -l)
measure whole-run phasebound-run "$RUNS" "$bars" -- "$PB" run --data "$DATA" --timeframe "$TF" \
    --quiet --no-nice --out "$OUT/run" --threads "$THREADS"
if [ -n "$PBS" ]; then
    measure whole-run phasebound-run-static "$RUNS" "$bars" -- "$PBS" run --data "$DATA" --timeframe "$TF" \
        --quiet --no-nice --out "$OUT/run-static" --threads "$THREADS"
fi

# ---------------------------------------------------------------- report
{
    echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
    echo "phasebound $("$PB" --version | cut -d' ' -f2), $(rustc --version)"
    [ -f "$OUT/versions.txt" ] && cat "$OUT/versions.txt"
    echo "threads: $THREADS for phasebound (--threads) and numba (NUMBA_NUM_THREADS); median of $RUNS runs after a warm-up (vectorbt: 1 run at medium and large)"
    echo
    echo "| scale | tool | wall s | CPU s | peak RSS MiB | (entry, cell)/s (whole run: bars/s) | wall vs phasebound | RSS vs phasebound |"
    echo "|---|---|---:|---:|---:|---:|---:|---:|"
    awk -F'\t' '
        $2 == "phasebound" { w[$1] = $3; r[$1] = $5 }
        { rows[NR] = $0 }
        END {
            for (i = 1; i <= NR; i++) {
                split(rows[i], f, "\t")
                rss = (f[5] == "nan") ? "n/a" : sprintf("%.1f", f[5] / 1024)
                rw = (w[f[1]] > 0) ? sprintf("%.1fx", f[3] / w[f[1]]) : "-"
                rr = (r[f[1]] > 0 && f[5] != "nan") ? sprintf("%.1fx", f[5] / r[f[1]]) : "-"
                printf "| %s | %s | %.2f | %s | %s | %s | %s | %s |\n", f[1], f[2], f[3], f[4], rss, f[6], rw, rr
            }
        }' "$RESULTS"
    echo
    echo "Agreement:"
    sed 's/^/- /' "$AGREE"
} | tee "$OUT/results.md"
echo "results: $OUT/results.md"
