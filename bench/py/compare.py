"""Agreement between phasebound and a peer, per cell and per (entry, cell).

    python compare.py cells PB_EXITS_CSV PEER_CELLS_CSV [--cells-subset off]
    python compare.py trades PB_TRADES_CSV PEER_TRADES_NPZ [--one-position]
    python compare.py account PB_EXITS_CSV PEER_ACCOUNT_CSV

`cells`: trades and wins must be equal, total profit equal within 1e-9 % (sums run in a
different order). `trades`: every (entry, cell) of phasebound's per-trade file against
the peer's exit bar and profit, exactly (bit for bit); prints a JSON line of counts.
`account`: the account peer (numba_account.py) on EVERY cell: trades, wins and
skipped_entries equal; final_equity, max_drawdown_pct, total_return_pct and
profit_factor within 1e-12 relative (|a - b| <= 1e-12 * max(|a|, |b|); the peer does
phasebound's float operations in phasebound's order, so they are expected bit-identical,
and the JSON counts the bit-identical cells); total profit (from phasebound's expectancy
x trades, which rounds) within 1e-9 %. Exit status 1 when a cell disagrees.
"""

import csv
import json
import sys

import numpy as np


def pb_sum(row):
    """Sum of net % per trade of a phasebound exits.csv row (expectancy x trades)."""
    return float(row["expectancy_pct"]) * int(row["trades"])


def cells(pb_path, peer_path, only_off=False):
    pb = list(csv.DictReader(open(pb_path)))
    peer = list(csv.DictReader(open(peer_path)))
    assert len(pb) == len(peer), (len(pb), len(peer))
    n = same = 0
    worst = 0.0
    skipped = 0
    for a, b in zip(pb, peer):
        if only_off and b["trailing"] != "off":
            continue
        # A cell whose account had all 16 slots full at some entry skipped it: the numba
        # loop trades every entry, so only cells that skipped none compare.
        if int(a.get("skipped_entries", 0)) > 0:
            skipped += 1
            continue
        n += 1
        ta, tb = pb_sum(a), float(b["total_profit_pct"])
        worst = max(worst, abs(ta - tb))
        if a["trades"] == b["trades"] and a["wins"] == b["wins"] and abs(ta - tb) <= 1e-9 * max(1.0, abs(ta)):
            same += 1
    return {"cells": n, "cells_equal": same, "max_total_diff_pct": worst,
            "cells_not_compared_skipped_entries": skipped}


def trades(pb_path, npz_path):
    z = np.load(npz_path)
    line_to_row = {int(l): i for i, l in enumerate(z["line"])}
    ex, pr = z["exit"], z["profit"]
    seen = np.zeros(ex.shape, dtype=bool)
    n = exact = exit_diff = profit_diff = 0
    examples = []
    with open(pb_path) as f:
        next(f)
        for row in f:
            line, cell, k, _reason, _price, profit = row.rstrip("\n").split(",")
            e, c = line_to_row[int(line)], int(cell)
            n += 1
            seen[e, c] = True
            ok_k = int(ex[e, c]) == int(k)
            ok_p = float(pr[e, c]) == float(profit)
            if ok_k and ok_p:
                exact += 1
            else:
                exit_diff += not ok_k
                profit_diff += ok_k and not ok_p
                if len(examples) < 5:
                    examples.append({"line": int(line), "cell": c, "pb": [int(k), float(profit)],
                                     "peer": [int(ex[e, c]), float(pr[e, c])]})
    peer_only = int(((ex >= 0) & ~seen).sum())
    return {"pairs": n, "exact": exact, "exit_bar_differs": exit_diff, "profit_differs": profit_diff,
            "peer_only": peer_only, "examples": examples}


ACCOUNT_REL_TOL = 1e-12
ACCOUNT_FIELDS = ("final_equity", "max_drawdown_pct", "total_return_pct", "profit_factor")


def _num(x):
    return float("nan") if x == "" else float(x)


def account(pb_path, peer_path, rel_tol=ACCOUNT_REL_TOL):
    """The account peer against phasebound's exits.csv, every cell (see the module doc)."""
    pb = list(csv.DictReader(open(pb_path)))
    peer = list(csv.DictReader(open(peer_path)))
    assert len(pb) == len(peer), (len(pb), len(peer))
    n = ok = identical = 0
    worst = {f: 0.0 for f in ACCOUNT_FIELDS}
    worst_total = 0.0
    cells_with_skips = skipped_total = ruined = 0
    examples = []
    for a, b in zip(pb, peer):
        n += 1
        counts_eq = all(int(a[f]) == int(b[f]) for f in ("trades", "wins", "skipped_entries"))
        same = counts_eq
        bits = counts_eq
        for f in ACCOUNT_FIELDS:
            x, y = _num(a[f]), _num(b[f])
            if x == y or (x != x and y != y):
                continue
            bits = False
            rel = abs(x - y) / max(abs(x), abs(y))
            worst[f] = max(worst[f], rel)
            if not rel <= rel_tol:
                same = False
        ta, tb = pb_sum(a), float(b["total_profit_pct"])
        worst_total = max(worst_total, abs(ta - tb))
        if abs(ta - tb) > 1e-9 * max(1.0, abs(ta)):
            same = False
        ok += same
        identical += bits
        skips = int(a["skipped_entries"])
        cells_with_skips += skips > 0
        skipped_total += skips
        ruined += float(a["final_equity"]) <= 0.0
        if not same and len(examples) < 5:
            examples.append({"cell": int(a["cell"]),
                             "pb": {f: a[f] for f in ("trades", "wins", "skipped_entries") + ACCOUNT_FIELDS},
                             "peer": {f: b[f] for f in ("trades", "wins", "skipped_entries") + ACCOUNT_FIELDS}})
    return {"cells": n, "cells_agree": ok, "cells_bit_identical": identical, "rel_tol": rel_tol,
            "max_rel_diff": worst, "max_total_profit_diff_pct": worst_total,
            "cells_with_skipped_entries": cells_with_skips, "skipped_entries": skipped_total,
            "cells_ruined": ruined, "examples": examples}


if __name__ == "__main__" and sys.argv[1] == "account":
    r = account(sys.argv[2], sys.argv[3])
    print(json.dumps(r))
    sys.exit(0 if r["cells_agree"] == r["cells"] else 1)


if __name__ == "__main__":
    kind = sys.argv[1]
    if kind == "cells":
        print(json.dumps(cells(sys.argv[2], sys.argv[3], "--trailing-off" in sys.argv)))
    elif kind == "trades":
        print(json.dumps(trades(sys.argv[2], sys.argv[3])))


def trades_vbt(pb_path, npz_path, tol=1e-9):
    """phasebound --one-position per-trade file vs vectorbt's trades: both take an entry
    only while flat, so the sets of trades may differ after the first disagreement in a
    column; counts trades both took, and of those the ones with the same exit bar and a
    profit equal within `tol` % (vectorbt computes returns from order values)."""
    z = np.load(npz_path)
    peer = {}
    for (line, cell, k), p in zip(z["rows"].tolist(), z["profit"].tolist()):
        peer[(line, cell)] = (k, p)
    n = common = exact = 0
    examples = []
    with open(pb_path) as f:
        next(f)
        for row in f:
            line, cell, k, reason, _price, profit = row.rstrip("\n").split(",")
            key = (int(line), int(cell))
            n += 1
            v = peer.get(key)
            if v is None:
                continue
            common += 1
            if v[0] == int(k) and abs(v[1] - float(profit)) <= tol:
                exact += 1
            elif len(examples) < 5:
                examples.append({"line": key[0], "cell": key[1], "pb": [int(k), reason, float(profit)],
                                 "vbt": [v[0], v[1]]})
    return {"pb_trades": n, "vbt_trades": len(peer), "both": common, "same_exit_and_profit": exact,
            "examples": examples}


if __name__ == "__main__" and sys.argv[1] == "vbt":
    print(json.dumps(trades_vbt(sys.argv[2], sys.argv[3])))


def original(pb_path, chosen_path):
    """How far the original approach's chosen cell falls from the exact answer: its exact
    result (phasebound, every entry, bar by bar) against the exact best cell's."""
    pb = list(csv.DictReader(open(pb_path)))
    ch = json.load(open(chosen_path))
    mine = pb[ch["chosen_cell"]]
    best = min(pb, key=lambda r: int(r["rank"]))
    return {
        "chosen_cell": ch["chosen_cell"],
        "chosen_exact_rank": int(mine["rank"]),
        "of_cells": len(pb),
        "estimated_avg_profit_pct": round(ch["estimated_per_trade_pct"], 4),
        "exact_avg_profit_pct": round(float(mine["expectancy_pct"]), 4),
        "best_cell": int(best["cell"]),
        "best_exact_avg_profit_pct": round(float(best["expectancy_pct"]), 4),
        "exact_total_chosen_vs_best_pct": [round(pb_sum(mine), 2), round(pb_sum(best), 2)],
    }


if __name__ == "__main__" and sys.argv[1] == "original":
    print(json.dumps(original(sys.argv[2], sys.argv[3])))
