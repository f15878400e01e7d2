"""The exit grid with vectorbt, the tool people use for grids: Portfolio.from_signals on
OHLC data, one column per cell (chunks of --chunk columns per symbol), one position at a
time per column. vectorbt's stops are fractions of the entry price and it has no time
stop and no trailing activation, so a skilled user adds them with its own hooks:
- adjust_sl_func_nb / adjust_tp_func_nb turn k x ATR of the entry bar into the stop
  fraction (and the ATR trailing stop with activation into a ratcheting stop level);
- signal_func_nb emits the entries and the time exit at the close of bar `hold`.
Entry at the signal bar's close (from_signals' default price), no fees.

Semantic differences to phasebound (README): within a bar vectorbt checks the stop (gap,
then touch) before the target (gap, then touch), phasebound both gaps first; levels are
E*(1 -+ f) here, E -+ k*ATR there (equal to an ulp); an entry on the bar where the
previous trade exits is dropped here (the stop or time exit comes first), taken there.

    python vbt_grid.py --data D --entries E --tp .. --sl .. --hold-hours .. --trailing .. --out cells.csv [--trades t.npz] [--chunk 250]
"""

import time

import numpy as np
import vectorbt as vbt
from numba import njit

import common


@njit(cache=True)
def signal_func(c, long_e, short_e, hold, entry_i):
    i, col = c.i, c.col
    if c.position_now != 0:
        if i - entry_i[col] >= hold[col]:
            return False, c.position_now > 0, False, c.position_now < 0
        return False, False, False, False
    le, se = long_e[i], short_e[i]
    if le or se:
        entry_i[col] = i
    return le, False, se, False


@njit(cache=True)
def adjust_sl(c, atr, sl_k, trail_on, act_k, dist_k):
    if c.position_now == 0:
        return c.curr_stop, c.curr_trail
    col = c.col
    a = atr[c.init_i]
    e = c.init_price
    ref = c.curr_price  # best price since entry (trail on), else the entry price
    if c.position_now > 0:
        level = e - sl_k[col] * a
        # armed as in phasebound: excursion ref - E (one subtraction) >= activation x ATR
        if trail_on[col] and ref - e >= act_k[col] * a:
            t = ref - dist_k[col] * a
            if t > level:
                level = t
        return 1.0 - level / ref, True
    level = e + sl_k[col] * a
    if trail_on[col] and e - ref >= act_k[col] * a:
        t = ref + dist_k[col] * a
        if t < level:
            level = t
    return level / ref - 1.0, True


@njit(cache=True)
def adjust_tp(c, atr, tp_k):
    if c.position_now == 0:
        return c.curr_stop
    return tp_k[c.col] * atr[c.init_i] / c.init_price


def main():
    args = common.parse_args(lambda p: p.add_argument("--chunk", type=int, default=250))
    t0 = time.perf_counter()
    m = common.Market(args)
    cells, _ = common.grid(args)
    n_cells = len(cells)
    trades = np.zeros(n_cells, np.int64)
    wins = np.zeros(n_cells, np.int64)
    total = np.zeros(n_cells)
    trace = args.trades is not None
    t_rows = []
    for si, sym in enumerate(m.symbols):
        b, e = m.base[sym], m.end[sym]
        n = e - b
        sel = m.e_sym == si
        long_e = np.zeros(n, np.bool_)
        short_e = np.zeros(n, np.bool_)
        long_e[m.e_signal[sel & (m.e_dir > 0)] - b] = True
        short_e[m.e_signal[sel & (m.e_dir < 0)] - b] = True
        line_at = np.full(n, -1, np.int64)
        line_at[m.e_signal[sel] - b] = m.e_line[sel]
        atr = np.nan_to_num(m.atr[b:e], nan=1.0)
        o, h, l, c = m.open[b:e], m.high[b:e], m.low[b:e], m.close[b:e]
        n_ent = int(sel.sum())
        for lo in range(0, n_cells, args.chunk):
            hi = min(n_cells, lo + args.chunk)
            part = cells[lo:hi]
            k = hi - lo
            hold = np.array([x[2] for x in part], np.int64)
            tp_k = np.array([x[0] for x in part])
            sl_k = np.array([x[1] for x in part])
            on = np.array([x[3] is not None for x in part])
            act = np.array([0.0 if x[3] is None else x[3][0] for x in part])
            dist = np.array([1.0 if x[3] is None else x[3][1] for x in part])
            entry_i = np.zeros(k, np.int64)
            close2 = np.broadcast_to(c[:, None], (n, k))
            pf = vbt.Portfolio.from_signals(
                close2,
                open=o[:, None], high=h[:, None], low=l[:, None],
                signal_func_nb=signal_func,
                signal_args=(long_e, short_e, hold, entry_i),
                adjust_sl_func_nb=adjust_sl,
                adjust_sl_args=(atr, sl_k, on, act, dist),
                adjust_tp_func_nb=adjust_tp,
                adjust_tp_args=(atr, tp_k),
                max_orders=2 * n_ent * k + k,
                freq=f"{m.tf}min",
            )
            r = pf.trades.records_arr
            col = r["col"]
            ret = r["return"] * 100.0
            np.add.at(trades, lo + col, 1)
            np.add.at(wins, lo + col, (ret > 0).astype(np.int64))
            np.add.at(total, lo + col, ret)
            if trace:
                t_rows.append(np.stack([line_at[r["entry_idx"]], lo + col, r["exit_idx"] - r["entry_idx"] - 1],
                                       axis=1).astype(np.int64))
                t_rows.append(ret)
            del pf, r
    common.write_cells(args.out, cells, trades, wins, total)
    if trace:
        ints = np.concatenate(t_rows[0::2]) if t_rows else np.zeros((0, 3), np.int64)
        rets = np.concatenate(t_rows[1::2]) if t_rows else np.zeros(0)
        np.savez(args.trades, rows=ints, profit=rets)
    common.log(f"vectorbt {vbt.__version__}: {len(m.e_signal)} entries x {n_cells} cells "
               f"in {time.perf_counter() - t0:.2f} s")


if __name__ == "__main__":
    main()
