"""The original system's Phase 3, re-enacted on the bench's entries: opportunities as
Python dicts carrying a future-window summary (max high, min low, last close), a random
sample of 1,000, a multi-start search of 4 starts x 12 combinations with garbage
collection between starts, and the summary simulation (when both levels lie inside the
window's range the larger move decides; the holding time is ignored; the trailing stop
is reported but not simulated). Prints the chosen cell as JSON; compare.py scores it
against phasebound's exact full-grid answer.

    python original.py --data D --entries E --tp .. --sl .. --hold-hours .. --trailing .. --out chosen.json
"""

import gc
import json
import random
import time

import numpy as np

import common

SAMPLE = 1000
STARTS = 4


def opportunities(m, horizon):
    """One dict per entry, as the original built them (the window is the longest hold)."""
    opps = []
    for k in range(len(m.e_signal)):
        s = int(m.e_signal[k]) + 1
        end = min(s + horizon, int(m.e_end[k]))
        if end <= s:
            continue
        opps.append({
            "line": int(m.e_line[k]),
            "symbol": m.symbols[int(m.e_sym[k])],
            "time": int(m.time[s - 1]),
            "direction": "long" if m.e_dir[k] > 0 else "short",
            "entry_price": float(m.e_price[k]),
            "atr": float(m.e_atr[k]),
            "max_high": float(m.high[s:end].max()),
            "min_low": float(m.low[s:end].min()),
            "last_close": float(m.close[end - 1]),
        })
    return opps


def summary_profit(o, tp, sl, cost):
    e, a = o["entry_price"], o["atr"]
    if o["direction"] == "long":
        tp_p, sl_p = e + tp * a, e - sl * a
        up, down = o["max_high"] - e, e - o["min_low"]
        tp_hit, sl_hit = o["max_high"] >= tp_p, o["min_low"] <= sl_p
        sign = 1.0
    else:
        tp_p, sl_p = e - tp * a, e + sl * a
        up, down = e - o["min_low"], o["max_high"] - e
        tp_hit, sl_hit = o["min_low"] <= tp_p, o["max_high"] >= sl_p
        sign = -1.0
    if tp_hit and sl_hit:
        exit_price = tp_p if up > down else sl_p
    elif tp_hit:
        exit_price = tp_p
    elif sl_hit:
        exit_price = sl_p
    else:
        exit_price = o["last_close"]
    return (exit_price - e) / e * 100.0 * sign - cost


def evaluate(sample, cell, cost):
    tp, sl, _hold, _trailing = cell
    results = [summary_profit(o, tp, sl, cost) for o in sample]
    return {"total": sum(results), "trades": len(results), "wins": sum(1 for r in results if r > 0)}


def neighbours(coords, axes):
    """The start and 11 lattice neighbours: +-1 on each axis, then three diagonals."""
    out = [coords]
    steps = [(0, 1), (0, -1), (1, 1), (1, -1), (2, 1), (2, -1), (3, 1), (3, -1)]
    diag = [((0, 1), (1, -1)), ((0, -1), (1, 1)), ((0, 1), (2, 1))]
    for ax, d in steps:
        c = list(coords)
        c[ax] += d
        out.append(tuple(c))
    for moves in diag:
        c = list(coords)
        for ax, d in moves:
            c[ax] += d
        out.append(tuple(c))
    return [c for c in out if all(0 <= c[i] < len(axes[i]) for i in range(4))]


def main():
    args = common.parse_args(lambda p: p.add_argument("--seed", type=int, default=42))
    t0 = time.perf_counter()
    m = common.Market(args)
    cells, (tps, sls, holds, trails) = common.grid(args)
    axes = (tps, sls, trails, holds)  # phasebound's order: tp, sl, trailing, hold
    index = {c: i for i, c in enumerate(cells)}
    opps = opportunities(m, max(holds))
    rng = random.Random(args.seed)
    sample = rng.sample(opps, SAMPLE) if len(opps) > SAMPLE else opps
    # Starts: the middle of the lattice and three seeded random cells (the original's
    # Phase 2 best and its top 3).
    mid = tuple(len(a) // 2 for a in axes)
    starts = [mid]
    while len(starts) < STARTS:
        c = tuple(rng.randrange(len(a)) for a in axes)
        if c not in starts:
            starts.append(c)
    evaluated = 0
    best_per_start = []
    for s in starts:
        best = None
        for c in neighbours(s, axes):
            cell = (axes[0][c[0]], axes[1][c[1]], axes[3][c[3]], axes[2][c[2]])
            r = evaluate(sample, cell, args.cost_pct)
            evaluated += 1
            if best is None or r["total"] > best[1]["total"]:
                best = (cell, r)
        best_per_start.append(best)
        gc.collect()
    chosen, result = max(best_per_start, key=lambda b: b[1]["total"])
    t1 = time.perf_counter()
    out = {
        "chosen_cell": index[chosen],
        "tp": chosen[0], "sl": chosen[1], "hold_bars": chosen[2],
        "trailing": "off" if chosen[3] is None else f"{chosen[3][0]}:{chosen[3][1]}",
        "sample": len(sample), "opportunities": len(opps),
        "combinations": evaluated, "evaluations": evaluated * len(sample),
        "estimated_total_profit_pct_on_sample": result["total"],
        "estimated_per_trade_pct": result["total"] / max(1, result["trades"]),
        "seconds": t1 - t0,
    }
    with open(args.out, "w") as f:
        json.dump(out, f, indent=1)
    common.log(f"original: {evaluated} combinations x {len(sample)} sampled of {len(opps)} in {t1 - t0:.2f} s")


if __name__ == "__main__":
    main()
