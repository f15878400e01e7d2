#!/usr/bin/env bash
# Interleaved rounds of the issue's two grids: phasebound (default and static build), the
# numba loop and numba-account, one after another in each round, so that a noisy machine
# slows every tool alike. Prints one `scale tool wall user sys maxrss-KiB` line per run,
# then the medians (wall, CPU = user + sys, peak RSS) and the median of each round's wall
# ratio of every other tool to phasebound's default build. Run `bench/run.sh --scales large-360,large --no-vectorbt` once first:
# it builds both binaries, writes the entries and sets up the Python peers. BASE=<binary>
# adds another phasebound build (an older commit's, say) to every round as `phasebound-base`.
#
#   [BASE=path/to/phasebound] bench/interleave.sh [ROUNDS]   (default 3)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
ROUNDS=${1:-3}
DATA=${BENCH_DATA:-$ROOT/../shared/data/binance}
OUT=${BENCH_OUT:-$ROOT/target/bench}
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
HOST=$(rustc -vV | sed -n 's/^host: //p')
PY=$OUT/venv/bin/python
for f in "$TARGET/release/phasebound" "$OUT/large-360/entries.csv" "$OUT/large/entries.csv" "$PY"; do
    [ -e "$f" ] || { echo "missing $f: run bench/run.sh --scales large-360,large --no-vectorbt first" >&2; exit 2; }
done
export NUMBA_CACHE_DIR="$OUT/numba-cache" NUMBA_NUM_THREADS=2 PYTHONDONTWRITEBYTECODE=1
builds=("default $TARGET/release/phasebound")
[ -x "$TARGET/$HOST/release/phasebound" ] && builds+=("static $TARGET/$HOST/release/phasebound")
if [ -n "${BASE:-}" ]; then
    [ -x "$BASE" ] || { echo "BASE=$BASE is not an executable" >&2; exit 2; }
    builds+=("base $BASE")
fi
# shellcheck source=bench/grids.sh
. "$ROOT/bench/grids.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for _ in $(seq "$ROUNDS"); do
    for scale in large-360 large; do
        # shellcheck disable=SC2046
        set -- $(grid "$scale")
        E=$OUT/$scale/entries.csv
        for b in "${builds[@]}"; do
            read -r name bin <<<"$b"
            /usr/bin/time -f "$scale phasebound-$name %e %U %S %M" "$bin" exits --config bench/bench.toml \
                --entries "$E" --data "$DATA" --timeframe 15m --cost-pct 0 --quiet "$@" --every-entry \
                --out "$tmp/pb" --threads 2 2>&1 | tail -1
        done
        /usr/bin/time -f "$scale numba %e %U %S %M" "$PY" bench/py/numba_loop.py --data "$DATA" \
            --timeframe 15m --entries "$E" --cost-pct 0 "$@" --out "$tmp/numba.csv" 2>&1 | tail -1
        /usr/bin/time -f "$scale numba-account %e %U %S %M" "$PY" bench/py/numba_account.py --data "$DATA" \
            --timeframe 15m --entries "$E" --cost-pct 0 "$@" --stake fixed --max-open-trades 16 \
            --out "$tmp/numba-account.csv" 2>&1 | tail -1
    done
done | tee "$tmp/runs"
echo "medians of $ROUNDS rounds: scale tool wall-s cpu-s rss-MiB, ratio = tool's wall / phasebound-default's"
awk -v rounds="$ROUNDS" '
    function median(a, n,    i, j, t) {
        for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
        return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
    }
    { k = $1 " " $2; n[k]++; wall[k, n[k]] = $3; cpu[k, n[k]] = $4 + $5; rss[k, n[k]] = $6 / 1024; keys[k] = 1 }
    END {
        for (k in keys) {
            split(k, ks, " "); base = ks[1] " phasebound-default"
            delete w; delete c; delete r; delete q
            for (i = 1; i <= n[k]; i++) { w[i] = wall[k, i]; c[i] = cpu[k, i]; r[i] = rss[k, i]; q[i] = wall[k, i] / wall[base, i] }
            printf "%s %.2f %.2f %.1f ratio %.2f\n", k, median(w, n[k]), median(c, n[k]), median(r, n[k]), median(q, n[k])
        }
    }' "$tmp/runs" | sort
