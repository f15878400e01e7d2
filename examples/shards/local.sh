#!/usr/bin/env bash
# An exit grid as N shards run in parallel on this machine, then merged:
#
#   examples/shards/local.sh N OUT [phasebound exits options...]
#   examples/shards/local.sh 4 out --entries entries.csv --data ~/binance --tp 1,1.5,2,3
#
# Each shard is `phasebound exits --shard K/N --out DIR_K ...` with the same options;
# `phasebound merge --out OUT DIR_1 ... DIR_N` writes OUT/exits.csv and OUT/exits.html,
# the bytes a single `phasebound exits --out OUT ...` writes (host/tests/it/shard.rs runs
# this script and compares). JOBS shards run at once (default: the cores); PHASEBOUND
# names the binary (default: phasebound on the PATH). With GNU parallel the first step is
#   parallel phasebound exits --quiet --shard {}/N --out shard-{} ... ::: $(seq 1 N)
set -euo pipefail
if [ $# -lt 2 ]; then
    sed -n '2,12p' "$0" >&2
    exit 2
fi
n=$1
out=$2
shift 2
bin=${PHASEBOUND:-phasebound}
work=$(mktemp -d "${TMPDIR:-/tmp}/phasebound-shards.XXXXXX")
trap 'rm -rf "$work"' EXIT
seq 1 "$n" | xargs -P "${JOBS:-$(nproc)}" -I{} \
    "$bin" exits --quiet --shard "{}/$n" --out "$work/shard-{}" "$@"
shards=()
for k in $(seq 1 "$n"); do
    shards+=("$work/shard-$k")
done
"$bin" merge --out "$out" "${shards[@]}"
