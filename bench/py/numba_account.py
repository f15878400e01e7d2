"""The exit grid with every cell a portfolio account, as phasebound computes it: the
numba counterpart of `phasebound exits --every-entry` (and of `--stake`,
`--max-open-trades`, `--one-position`). One numba @njit(parallel=True, cache=True)
kernel, cells in parallel (prange), entries in global order inside each cell; each
(entry, cell) outcome is numba_loop.py's `_one` (bit-identical to phasebound's), and each
cell keeps its account with phasebound's rules (core/src/account.rs):

- order: entries by signal time, then symbol index (the data's symbols sorted by name),
  then file order;
- time: an entry fills at te = signal bar time + one bar (the signal bar's close, or the
  next bar's open: the same instant); a position exits at the open time of its exit bar,
  signal time + (k + 1) bars, and is realized at that bar's close, so before an entry at
  te every position whose exit bar opened before te is realized, in exit-time order,
  equal exit times in entry order;
- realize: equity += pnl, floored at 0 (ruin); the running peak (raised on >=), the
  largest (peak - equity) / peak as the drawdown, gross profit / loss;
- admission: an entry is skipped (counted) while max_open_trades positions are open, or
  the cell holds the symbol (with --one-position), or the equity is <= 0; the check comes
  before the outcome (an entry with no bars after it is then neither a trade nor skipped);
- stake: pnl = (base / max_open_trades) * profit_pct / 100, base 1 (fixed) or the
  realized equity (compounding); a power-of-two divisor is the same value as phasebound's
  multiply by 2^-k;
- at the end every open position is realized in exit order.

Daily returns (Sharpe, Sortino, CAGR) are not computed.

    python numba_account.py --data D --entries E --tp .. --sl .. --hold-hours .. --trailing .. --out cells.csv
        [--max-open-trades 16] [--stake fixed|compounding] [--one-position]
"""

import csv
import time

import numpy as np
from numba import njit, prange

import common
from numba_loop import _one

RING = 16  # phasebound's MAX_OPEN_TRADES: the most positions a cell can hold
MASK = RING - 1


@njit(inline="always", cache=True)
def _realize(pnl, eq, peak, dd, gp, gl):
    """Realizes a position of profit `pnl`: gross sums, equity (floored at 0: ruin), its
    running peak and the largest fall from it, as a fraction of the peak."""
    gp += max(pnl, 0.0)
    gl -= min(pnl, 0.0)
    eq += pnl
    if not eq > 0.0:  # <= 0 or NaN: ruin
        eq = 0.0
    if eq >= peak:
        peak = eq
    else:
        fall = (peak - eq) / peak
        if fall > dd:
            dd = fall
    return eq, peak, dd, gp, gl


@njit(parallel=True, cache=True)
def account_kernel(o, h, l, c, e_start, e_end, e_dir, e_price, e_atr, e_time, e_sym,
                   c_tp, c_sl, c_hold, c_on, c_act, c_dist, cost, tf_ms,
                   max_open, compounding, one_position):
    n_cells = c_tp.shape[0]
    n_ent = e_start.shape[0]
    trades = np.zeros(n_cells, np.int64)
    wins = np.zeros(n_cells, np.int64)
    skipped = np.zeros(n_cells, np.int64)
    total = np.zeros(n_cells)
    equity_out = np.zeros(n_cells)
    max_dd = np.zeros(n_cells)
    gross_p = np.zeros(n_cells)
    gross_l = np.zeros(n_cells)
    inv = 1.0 / max_open  # used only when max_open is a power of two: then exact
    pow2 = (max_open & (max_open - 1)) == 0
    for ci in prange(n_cells):
        tp_k, sl_k, hold = c_tp[ci], c_sl[ci], c_hold[ci]
        on, act, dist = c_on[ci], c_act[ci], c_dist[ci]
        # Open positions in a ring, in realization order (exit time, then entry order).
        r_exit = np.empty(RING, np.int64)
        r_pnl = np.empty(RING)
        r_sym = np.empty(RING, np.int64)
        head = 0
        n_open = 0
        eq = 1.0
        peak = 1.0
        dd = 0.0
        gp = 0.0
        gl = 0.0
        n_tr = 0
        n_win = 0
        n_skip = 0
        tot = 0.0
        for ei in range(n_ent):
            te = e_time[ei] + tf_ms
            # Realize every position whose exit bar opened before te, in exit order.
            while n_open > 0 and r_exit[head] < te:
                pnl = r_pnl[head]
                head = (head + 1) & MASK
                n_open -= 1
                eq, peak, dd, gp, gl = _realize(pnl, eq, peak, dd, gp, gl)
            if n_open >= max_open or eq <= 0.0:
                n_skip += 1
                continue
            if one_position:
                held = False
                for j in range(n_open):
                    if r_sym[(head + j) & MASK] == e_sym[ei]:
                        held = True
                        break
                if held:
                    n_skip += 1
                    continue
            k, r, p = _one(o, h, l, c, e_start[ei], e_end[ei], e_dir[ei], e_price[ei], e_atr[ei],
                           tp_k, sl_k, hold, on, act, dist, cost)
            if k < 0:
                continue
            n_tr += 1
            if p > 0.0:
                n_win += 1
            tot += p
            base = eq if compounding else 1.0
            stake = base * inv if pow2 else base / max_open
            pnl = stake * p / 100.0
            x_time = e_time[ei] + (k + 1) * tf_ms
            # Insert after every position exiting at or before x_time.
            j = n_open
            while j > 0 and r_exit[(head + j - 1) & MASK] > x_time:
                to = (head + j) & MASK
                fr = (head + j - 1) & MASK
                r_exit[to] = r_exit[fr]
                r_pnl[to] = r_pnl[fr]
                r_sym[to] = r_sym[fr]
                j -= 1
            at = (head + j) & MASK
            r_exit[at] = x_time
            r_pnl[at] = pnl
            r_sym[at] = e_sym[ei]
            n_open += 1
        # End of the data: realize what is still open, in exit order.
        while n_open > 0:
            pnl = r_pnl[head]
            head = (head + 1) & MASK
            n_open -= 1
            eq, peak, dd, gp, gl = _realize(pnl, eq, peak, dd, gp, gl)
        trades[ci] = n_tr
        wins[ci] = n_win
        skipped[ci] = n_skip
        total[ci] = tot
        equity_out[ci] = eq
        max_dd[ci] = dd
        gross_p[ci] = gp
        gross_l[ci] = gl
    return trades, wins, skipped, total, equity_out, max_dd, gross_p, gross_l


def extra_args(p):
    p.add_argument("--max-open-trades", type=int, default=16, help="positions a cell may hold (1..16)")
    p.add_argument("--stake", choices=("fixed", "compounding"), default="fixed")
    p.add_argument("--one-position", action="store_true", help="at most one open position per symbol and cell")


def write_account_cells(path, cells, trades, wins, skipped, total, equity, dd, gp, gl):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["cell", "tp_atr", "sl_atr", "hold_bars", "trailing", "trades", "wins", "skipped_entries",
                    "total_profit_pct", "final_equity", "total_return_pct", "max_drawdown_pct", "profit_factor"])
        for i, (tp, sl, hb, tr) in enumerate(cells):
            trs = "off" if tr is None else f"{tr[0]!r}:{tr[1]!r}"
            g, lo = float(gp[i]), float(gl[i])
            # phasebound's profit factor: undefined without trades or gross; inf without losses.
            pf = "" if trades[i] == 0 or (g <= 0.0 and lo <= 0.0) else ("inf" if lo <= 0.0 else repr(g / lo))
            w.writerow([i, repr(tp), repr(sl), hb, trs, int(trades[i]), int(wins[i]), int(skipped[i]),
                        repr(float(total[i])), repr(float(equity[i])), repr((float(equity[i]) - 1.0) * 100.0),
                        repr(float(dd[i]) * 100.0), pf])


def main():
    args = common.parse_args(extra_args)
    if not 1 <= args.max_open_trades <= RING:
        raise SystemExit(f"--max-open-trades must be 1..{RING}")
    t0 = time.perf_counter()
    m = common.Market(args)
    cells, _ = common.grid(args)
    c_tp, c_sl, c_hold, c_on, c_act, c_dist = common.cell_arrays(cells)
    # phasebound's evaluation order: signal time, then symbol index (common.Market numbers
    # the symbols in sorted order, as phasebound's data discovery does), then file order.
    e_time = m.time[m.e_signal]
    order = np.lexsort((m.e_line, m.e_sym, e_time))
    tf_ms = m.tf * 60_000
    t1 = time.perf_counter()
    res = account_kernel(m.open, m.high, m.low, m.close, m.e_signal[order] + 1, m.e_end[order],
                         m.e_dir[order], m.e_price[order], m.e_atr[order], e_time[order], m.e_sym[order],
                         c_tp, c_sl, c_hold, c_on, c_act, c_dist, args.cost_pct, tf_ms,
                         args.max_open_trades, args.stake == "compounding", args.one_position)
    t2 = time.perf_counter()
    write_account_cells(args.out, cells, *res)
    common.log(f"numba account: load {t1 - t0:.2f} s, kernel (incl. JIT compile) {t2 - t1:.2f} s, "
               f"{len(m.e_signal)} entries x {len(cells)} cells, max_open_trades {args.max_open_trades}, "
               f"stake {args.stake}{', one position per symbol' if args.one_position else ''}")


if __name__ == "__main__":
    main()
