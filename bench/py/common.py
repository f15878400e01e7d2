"""Shared by the Python peers: the same data, entries, ATR, grid and cell order as
`phasebound exits`, so results compare cell by cell and entry by entry.

Conventions (the bench's job, identical in every tool):
- bars: the `open_time_ms,open,high,low,close,volume` CSV files of one timeframe;
  windows count bars (the data has no gaps, see README);
- entry at the close of the signal bar (phasebound: trading.entry = "signal_close",
  vectorbt's default price), window = the following bars;
- ATR = Wilder ATR(14) of the signal bar, computed with phasebound's exact recurrence
  (running mean for the first 14 true ranges, then atr += (tr - atr) / 14);
- levels E +- k*ATR, profit % = (exit - E) / E * 100 * sign - cost, cost 0 in the bench;
- grid order: tp-major, then sl, trailing, hold (phasebound's cell index).
"""

import argparse
import csv
import math
import os
import sys

import numpy as np


def parse_args(extra=None):
    p = argparse.ArgumentParser()
    p.add_argument("--data", required=True, help="folder of SYMBOL-TF.csv files")
    p.add_argument("--timeframe", default="15m")
    p.add_argument("--entries", required=True)
    p.add_argument("--tp", required=True)
    p.add_argument("--sl", required=True)
    p.add_argument("--hold-hours", required=True)
    p.add_argument("--trailing", required=True)
    p.add_argument("--cost-pct", type=float, default=0.0)
    p.add_argument("--out", required=True, help="per-cell CSV to write")
    p.add_argument("--trades", help="per (entry, cell) outcomes to write (.npz)")
    if extra:
        extra(p)
    return p.parse_args()


TF_MINUTES = {"1m": 1, "3m": 3, "5m": 5, "15m": 15, "30m": 30, "1h": 60, "2h": 120, "4h": 240}


def hours_to_bars(h, tf):
    """phasebound's rounding: half away from zero, at least one bar."""
    return max(1, int(math.floor(h * 60.0 / tf + 0.5)))


def grid(args):
    """(tp, sl, hold_bars, trailing) per cell, phasebound's order; trailing = (act, dist) or None."""
    tf = TF_MINUTES[args.timeframe]
    dedup = lambda xs: list(dict.fromkeys(xs))
    tps = dedup(float(x) for x in args.tp.split(","))
    sls = dedup(float(x) for x in args.sl.split(","))
    holds = dedup(hours_to_bars(float(x), tf) for x in args.hold_hours.split(","))
    trails = []
    for t in args.trailing.split(","):
        t = t.strip()
        v = None if t.lower() in ("off", "none") else tuple(float(x) for x in t.split(":"))
        if v not in trails:
            trails.append(v)
    cells = [(tp, sl, h, tr) for tp in tps for sl in sls for tr in trails for h in holds]
    return cells, (tps, sls, holds, trails)


def cell_arrays(cells):
    """The grid as the kernels' per-cell arrays: tp, sl, hold (bars), trailing on,
    activation, distance (1.0 and 0.0 placeholders when off)."""
    return (
        np.array([x[0] for x in cells]),
        np.array([x[1] for x in cells]),
        np.array([x[2] for x in cells], dtype=np.int64),
        np.array([x[3] is not None for x in cells]),
        np.array([0.0 if x[3] is None else x[3][0] for x in cells]),
        np.array([1.0 if x[3] is None else x[3][1] for x in cells]),
    )


def load_bars(folder, timeframe, symbols):
    """{symbol: (time_ms int64, open, high, low, close float64 arrays)} for `symbols`."""
    out = {}
    for s in symbols:
        path = os.path.join(folder, f"{s}-{timeframe}.csv")
        a = np.loadtxt(path, delimiter=",", skiprows=1, usecols=(0, 1, 2, 3, 4), dtype=np.float64)
        out[s] = (a[:, 0].astype(np.int64), a[:, 1].copy(), a[:, 2].copy(), a[:, 3].copy(), a[:, 4].copy())
    return out


def wilder_atr(high, low, close, period=14):
    """phasebound's ATR recurrence, bit for bit; NaN until `period` bars were seen."""
    n = len(close)
    out = np.full(n, np.nan)
    value = 0.0
    count = 0
    prev = 0.0
    for i in range(n):
        h, l = high[i], low[i]
        r = h - l
        if count > 0:
            r = max(r, abs(h - prev), abs(l - prev))
        if count < period:
            count += 1
        value += (r - value) / count
        prev = close[i]
        if count >= period:
            out[i] = value
    return out


def read_entries(path):
    """Rows (line, symbol, time_ms, +1/-1) of the bench's entries file (no header, ms times)."""
    rows = []
    with open(path) as f:
        for k, line in enumerate(f, start=1):
            s, t, d = line.strip().split(",")[:3]
            rows.append((k, s, int(t), 1 if d in ("long", "buy") else -1))
    return rows


class Market:
    """All symbols' bars concatenated, and the entries mapped onto them."""

    def __init__(self, args):
        self.tf = TF_MINUTES[args.timeframe]
        self.rows = read_entries(args.entries)
        symbols = sorted({r[1] for r in self.rows})
        bars = load_bars(args.data, args.timeframe, symbols)
        self.symbols = symbols
        offs, o, h, l, c, t, atr = [], [], [], [], [], [], []
        base = 0
        self.base = {}
        self.end = {}
        for s in symbols:
            tt, oo, hh, ll, cc = bars[s]
            self.base[s] = base
            self.end[s] = base + len(tt)
            base += len(tt)
            t.append(tt), o.append(oo), h.append(hh), l.append(ll), c.append(cc)
            atr.append(wilder_atr(hh, ll, cc))
        self.time = np.concatenate(t)
        self.open, self.high, self.low, self.close = (np.concatenate(x) for x in (o, h, l, c))
        self.atr = np.concatenate(atr)
        index = {}
        for s in symbols:
            b = self.base[s]
            for i, tm in enumerate(bars[s][0]):
                index[(s, int(tm))] = b + i
        n = len(self.rows)
        self.e_line = np.array([r[0] for r in self.rows], dtype=np.int64)
        self.e_sym = np.array([symbols.index(r[1]) for r in self.rows], dtype=np.int64)
        self.e_signal = np.array([index[(r[1], r[2])] for r in self.rows], dtype=np.int64)
        self.e_dir = np.array([r[3] for r in self.rows], dtype=np.int64)
        self.e_end = np.array([self.end[r[1]] for r in self.rows], dtype=np.int64)
        self.e_price = self.close[self.e_signal].copy()
        self.e_atr = self.atr[self.e_signal].copy()
        assert n and not np.isnan(self.e_atr).any(), "entries need ATR(14): bar >= 13"


def write_cells(path, cells, trades, wins, total, reasons=None):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["cell", "tp_atr", "sl_atr", "hold_bars", "trailing", "trades", "wins", "total_profit_pct"])
        for i, (tp, sl, h, tr) in enumerate(cells):
            trs = "off" if tr is None else f"{tr[0]!r}:{tr[1]!r}"
            w.writerow([i, repr(tp), repr(sl), h, trs, int(trades[i]), int(wins[i]), repr(float(total[i]))])


def log(*a):
    print(*a, file=sys.stderr, flush=True)
