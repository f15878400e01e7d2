"""The exit grid as a skilled Python quant would write it for speed: one numba
@njit(parallel=True, cache=True) kernel, cells in parallel (prange), entries in order inside each
cell, and the plain bar-by-bar walk per (entry, cell) with early exit. Same rules as
phasebound's reference simulator (gap fills at the open, stop before target on a bar
that touches both, trailing stop armed once the favourable excursion best - E (E - best
short) is >= activation x ATR, the same float expressions, and effective from the next
bar, time exit at the close of bar `hold`, truncated at the end of the data), so every
(entry, cell) outcome is bit-identical to phasebound's.

    python numba_loop.py --data D --entries E --tp .. --sl .. --hold-hours .. --trailing .. --out cells.csv [--trades t.npz]
"""

import time

import numpy as np
from numba import njit, prange

import common

TP, SL, TRAIL, TIME, TRUNC = 0, 1, 2, 3, 4


@njit(inline="always", cache=True)
def _one(o, h, l, c, s, end, d, e, a, tp_k, sl_k, hold, on, act, dist, cost):
    """(exit index in the window, reason, profit %) of one entry under one cell; -1 = none."""
    n_avail = end - s
    if n_avail <= 0:
        return -1, -1, 0.0
    n = min(hold, n_avail)
    arm = act * a  # activation x ATR; armed when the excursion (one subtraction) reaches it
    if d > 0:
        sl_lvl = e - sl_k * a
        tp_lvl = e + tp_k * a
    else:
        sl_lvl = e + sl_k * a
        tp_lvl = e - tp_k * a
    stop = sl_lvl
    best = e
    for k in range(n):
        i = s + k
        if d > 0:
            reason_stop = TRAIL if stop > sl_lvl else SL
            if o[i] <= stop:
                return k, reason_stop, (o[i] - e) / e * 100.0 * 1.0 - cost
            if o[i] >= tp_lvl:
                return k, TP, (o[i] - e) / e * 100.0 * 1.0 - cost
            if l[i] <= stop:
                return k, reason_stop, (stop - e) / e * 100.0 * 1.0 - cost
            if h[i] >= tp_lvl:
                return k, TP, (tp_lvl - e) / e * 100.0 * 1.0 - cost
            if h[i] > best:
                best = h[i]
            if on and best - e >= arm:
                t = best - dist * a
                if t > stop:
                    stop = t
        else:
            reason_stop = TRAIL if stop < sl_lvl else SL
            if o[i] >= stop:
                return k, reason_stop, (o[i] - e) / e * 100.0 * -1.0 - cost
            if o[i] <= tp_lvl:
                return k, TP, (o[i] - e) / e * 100.0 * -1.0 - cost
            if h[i] >= stop:
                return k, reason_stop, (stop - e) / e * 100.0 * -1.0 - cost
            if l[i] <= tp_lvl:
                return k, TP, (tp_lvl - e) / e * 100.0 * -1.0 - cost
            if l[i] < best:
                best = l[i]
            if on and e - best >= arm:
                t = best + dist * a
                if t < stop:
                    stop = t
    k = n - 1
    reason = TIME if n_avail >= hold else TRUNC
    return k, reason, (c[s + k] - e) / e * 100.0 * float(d) - cost


@njit(parallel=True, cache=True)
def grid_kernel(o, h, l, c, e_start, e_end, e_dir, e_price, e_atr,
                c_tp, c_sl, c_hold, c_on, c_act, c_dist, cost,
                trace, t_exit, t_profit):
    n_cells = c_tp.shape[0]
    n_ent = e_start.shape[0]
    trades = np.zeros(n_cells, np.int64)
    wins = np.zeros(n_cells, np.int64)
    total = np.zeros(n_cells)
    gross_p = np.zeros(n_cells)
    gross_l = np.zeros(n_cells)
    max_dd = np.zeros(n_cells)
    reasons = np.zeros((n_cells, 5), np.int64)
    for ci in prange(n_cells):
        eq = 0.0
        peak = 0.0
        dd = 0.0
        for ei in range(n_ent):
            k, r, p = _one(o, h, l, c, e_start[ei], e_end[ei], e_dir[ei], e_price[ei], e_atr[ei],
                           c_tp[ci], c_sl[ci], c_hold[ci], c_on[ci], c_act[ci], c_dist[ci], cost)
            if k < 0:
                continue
            trades[ci] += 1
            if p > 0.0:
                wins[ci] += 1
                gross_p[ci] += p
            elif p < 0.0:
                gross_l[ci] -= p
            total[ci] += p
            eq += p
            if eq > peak:
                peak = eq
            if peak - eq > dd:
                dd = peak - eq
            reasons[ci, r] += 1
            if trace:
                t_exit[ei, ci] = k
                t_profit[ei, ci] = p
        max_dd[ci] = dd
    return trades, wins, total, gross_p, gross_l, max_dd, reasons


def main():
    args = common.parse_args()
    t0 = time.perf_counter()
    m = common.Market(args)
    cells, _ = common.grid(args)
    c_tp, c_sl, c_hold, c_on, c_act, c_dist = common.cell_arrays(cells)
    trace = args.trades is not None
    shape = (len(m.e_signal), len(cells)) if trace else (1, 1)
    t_exit = np.full(shape, -1, dtype=np.int16)
    t_profit = np.zeros(shape)
    t1 = time.perf_counter()
    res = grid_kernel(m.open, m.high, m.low, m.close, m.e_signal + 1, m.e_end, m.e_dir, m.e_price, m.e_atr,
                      c_tp, c_sl, c_hold, c_on, c_act, c_dist, args.cost_pct, trace, t_exit, t_profit)
    t2 = time.perf_counter()
    trades, wins, total = res[0], res[1], res[2]
    common.write_cells(args.out, cells, trades, wins, total)
    if trace:
        np.savez(args.trades, line=m.e_line, exit=t_exit, profit=t_profit)
    common.log(f"numba: load {t1 - t0:.2f} s, kernel (incl. JIT compile) {t2 - t1:.2f} s, "
               f"{len(m.e_signal)} entries x {len(cells)} cells")


if __name__ == "__main__":
    main()
