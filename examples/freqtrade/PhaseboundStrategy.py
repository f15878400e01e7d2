"""A freqtrade strategy that trades the parameters phasebound ships.

Put this file in ``user_data/strategies/`` and let phasebound write the parameters beside it::

    phasebound export freqtrade --params /srv/phasebound/params.json \\
        --out user_data/strategies/PhaseboundStrategy.json

freqtrade loads ``PhaseboundStrategy.json`` (the same name as this file) when the strategy
starts: the ``buy`` and ``sell`` spaces set the parameters declared below, by name; the
special spaces set ``stoploss`` (a wide safety net), ``minimal_roi`` (a target no trade
reaches) and freqtrade's own trailing stop (off). phasebound's exits are ATR multiples,
which freqtrade's fractional stoploss/ROI cannot hold, so they are applied per trade here:

* stop loss ``entry - atr_stop_multiplier * ATR`` and, with ``trailing_stop_enabled``, once
  ``best - entry >= trailing_stop_activation * ATR`` (phasebound's arming rule), a stop
  ``trailing_stop_distance * ATR`` behind the best price (``custom_stoploss``);
* take profit ``entry + atr_tp_multiplier * ATR`` and the time stop after
  ``max_holding_hours`` (``custom_exit``);
* ``ATR`` is phasebound's: Wilder ATR(14) of the *signal* candle (the one before the entry).
  Shorts mirror every comparison.

Without a parameter file (or with one phasebound did not write) ``phasebound_shipped`` keeps
its default ``False`` and the strategy enters nothing.

Known differences from phasebound's simulation (see the README, "Export to freqtrade"):
freqtrade checks ``custom_exit`` at candle close in backtesting (phasebound exits at the
take-profit level inside the candle), and the entry signal below is a STAND-IN: a
simplified score from the same kind of components (momentum, volume, breakout, wick, trend,
EMA spread, volatility, volume pulse, acceleration; base-timeframe trend and MACD only, no
1 h / 4 h votes, no RSI penalty, equal weights). It is *not* phasebound's signal version 2,
so ``min_signal_score`` and ``min_indicator_consensus`` select different candles here than
in phasebound's backtest. Replace ``phasebound_signal`` with a faithful port before trading
real money; ``weight_group`` is loaded but unused by the stand-in.
"""

from datetime import datetime, timedelta

import numpy as np
import pandas as pd
from freqtrade.persistence import Trade
from freqtrade.strategy import (
    BooleanParameter,
    CategoricalParameter,
    DecimalParameter,
    IntParameter,
    IStrategy,
    stoploss_from_absolute,
    timeframe_to_minutes,
    timeframe_to_prev_date,
)

SCALPING_GROUPS = [
    "default",
    "momentum_first",
    "volume_first",
    "breakout_first",
    "balanced",
    "high_reward_risk",
]
SWING_GROUPS = ["default", "trend_first", "h4_first", "momentum_volume", "balanced", "high_reward_risk"]
ATR_PERIOD = 14


def wilder_atr(df: pd.DataFrame, period: int = ATR_PERIOD) -> np.ndarray:
    """phasebound's ATR: TR of the first candle is high - low; the first ATR is the mean TR
    of the first `period` candles, then atr += (tr - atr) / period."""
    high, low, close = (df[c].to_numpy(dtype=float) for c in ("high", "low", "close"))
    prev = np.concatenate(([np.nan], close[:-1]))
    tr = np.fmax(high - low, np.fmax(np.abs(high - prev), np.abs(low - prev)))
    atr = np.full(len(tr), np.nan)
    if len(tr) >= period:
        atr[period - 1] = tr[:period].mean()
        for i in range(period, len(tr)):
            atr[i] = atr[i - 1] + (tr[i] - atr[i - 1]) / period
    return atr


class PhaseboundStrategy(IStrategy):
    INTERFACE_VERSION = 3
    timeframe = "15m"  # the timeframe phasebound fitted on (params.json "timeframe")
    can_short = False  # True on futures: shorts mirror every rule
    process_only_new_candles = True
    startup_candle_count = 200

    # Overwritten by the parameter file; see phasebound's README for why these values.
    stoploss = -0.30  # safety net only: custom_stoploss sets the ATR stop
    minimal_roi = {"0": 100.0}  # never reached: the take profit is ATR-based (custom_exit)
    trailing_stop = False  # the ATR trailing stop is in custom_stoploss
    use_custom_stoploss = True
    use_exit_signal = False

    # buy space: provenance and the entry filter
    phasebound_shipped = BooleanParameter(default=False, space="buy", optimize=False)
    phasebound_profile = CategoricalParameter(["scalping", "swing"], default="swing", space="buy", optimize=False)
    signal_version = IntParameter(1, 2, default=2, space="buy", optimize=False)
    min_signal_score = DecimalParameter(0.0, 100.0, default=70.0, decimals=6, space="buy")
    min_indicator_consensus = IntParameter(0, 5, default=3, space="buy")
    weight_group = CategoricalParameter(
        sorted(set(SCALPING_GROUPS + SWING_GROUPS)), default="default", space="buy", optimize=False
    )

    # sell space: the exits, in ATR(14) multiples of the signal candle and hours
    atr_tp_multiplier = DecimalParameter(0.5, 12.0, default=2.0, decimals=6, space="sell")
    atr_stop_multiplier = DecimalParameter(0.5, 5.0, default=1.0, decimals=6, space="sell")
    max_holding_hours = DecimalParameter(0.25, 168.0, default=4.0, decimals=6, space="sell")
    trailing_stop_enabled = BooleanParameter(default=False, space="sell")
    trailing_stop_activation = DecimalParameter(0.25, 8.0, default=1.5, decimals=6, space="sell")
    trailing_stop_distance = DecimalParameter(0.25, 8.0, default=0.75, decimals=6, space="sell")

    # ---- indicators and the (stand-in) signal ---------------------------------------------

    def phasebound_signal(self, df: pd.DataFrame) -> pd.DataFrame:
        """STAND-IN for phasebound's signal (see the module docstring): adds `direction`
        (1 long, -1 short, 0 none), `consensus` (votes for it) and `score` (0-100)."""
        close, open_, high, low, vol = df["close"], df["open"], df["high"], df["low"], df["volume"]
        atr = df["atr"]
        ema_fast = close.ewm(span=20, adjust=False).mean()
        ema_slow = close.ewm(span=50, adjust=False).mean()
        macd = close.ewm(span=12, adjust=False).mean() - close.ewm(span=26, adjust=False).mean()
        hist = macd - macd.ewm(span=9, adjust=False).mean()
        votes = pd.concat(
            [np.sign(ema_fast - ema_slow), np.sign(hist), np.sign(close - open_)], axis=1
        )
        longs, shorts = (votes > 0).sum(axis=1), (votes < 0).sum(axis=1)
        direction = np.where(longs > shorts, 1, np.where(shorts > longs, -1, 0))
        d = pd.Series(direction, index=df.index)
        body = (close - open_) * d
        rng = (high - low).where(high > low)
        prev_high = high.rolling(20).max().shift(1)
        prev_low = low.rolling(20).min().shift(1)
        vol_ratio = vol / vol.rolling(20).mean().shift(1)
        breakout = np.where(
            d > 0,
            np.where(close > prev_high, 1.0, np.where(high > prev_high, 0.5, 0.0)),
            np.where(close < prev_low, 1.0, np.where(low < prev_low, 0.5, 0.0)),
        )
        wick = np.where(d > 0, np.minimum(open_, close) - low, high - np.maximum(open_, close)) / rng
        comps = [
            (body / atr).where(body > 0, 0.0),
            (vol_ratio - 1) / 2,
            pd.Series(breakout, index=df.index),
            pd.Series(wick, index=df.index),
            (np.sign(ema_fast - ema_slow) == d).astype(float),
            ((ema_fast - ema_slow).abs() / (2 * atr)).where(np.sign(ema_fast - ema_slow) == d, 0.0),
            (atr / close) / 0.02,
            (vol / vol.shift(1) - 1) / 2,
            ((body - body.shift(1)) / atr).where(body > 0, 0.0),
        ]
        score = sum(c.replace([np.inf, -np.inf], np.nan).fillna(0.0).clip(0, 1) for c in comps)
        df["direction"] = d
        df["consensus"] = np.where(d > 0, longs, np.where(d < 0, shorts, 0))
        df["score"] = (100.0 * score / len(comps)).where(d != 0, 0.0)
        return df

    def populate_indicators(self, dataframe: pd.DataFrame, metadata: dict) -> pd.DataFrame:
        dataframe["atr"] = wilder_atr(dataframe)
        return self.phasebound_signal(dataframe)

    def populate_entry_trend(self, dataframe: pd.DataFrame, metadata: dict) -> pd.DataFrame:
        if not self.phasebound_shipped.value:
            return dataframe  # no parameter file from phasebound: nothing ships, no entries
        ok = (
            (dataframe["score"] >= self.min_signal_score.value)
            & (dataframe["consensus"] >= self.min_indicator_consensus.value)
            & (dataframe["atr"] > 0)
            & (dataframe["volume"] > 0)
        )
        dataframe.loc[ok & (dataframe["direction"] > 0), ["enter_long", "enter_tag"]] = (1, "phasebound")
        if self.can_short:
            dataframe.loc[ok & (dataframe["direction"] < 0), ["enter_short", "enter_tag"]] = (1, "phasebound")
        return dataframe

    def populate_exit_trend(self, dataframe: pd.DataFrame, metadata: dict) -> pd.DataFrame:
        return dataframe  # exits are the ATR levels and the time stop below

    # ---- exits ---------------------------------------------------------------------------

    def _signal_atr(self, pair: str, trade: Trade) -> float | None:
        """ATR(14) of the signal candle: the candle before the one the trade entered in."""
        df, _ = self.dp.get_analyzed_dataframe(pair, self.timeframe)
        if df is None or df.empty:
            return None
        entry_candle = timeframe_to_prev_date(self.timeframe, trade.open_date_utc)
        signal_candle = entry_candle - timedelta(minutes=timeframe_to_minutes(self.timeframe))
        row = df.loc[df["date"] == signal_candle]
        if row.empty:
            return None
        atr = float(row["atr"].iloc[-1])
        return atr if atr > 0 else None

    def custom_stoploss(
        self,
        pair: str,
        trade: Trade,
        current_time: datetime,
        current_rate: float,
        current_profit: float,
        after_fill: bool,
        **kwargs,
    ) -> float | None:
        atr = self._signal_atr(pair, trade)
        if atr is None:
            return None  # keep the stop in force (the safety net until an ATR is known)
        side = -1.0 if trade.is_short else 1.0
        entry = trade.open_rate
        stop = entry - side * self.atr_stop_multiplier.value * atr
        if self.trailing_stop_enabled.value:
            best = trade.min_rate if trade.is_short else trade.max_rate
            if side * (best - entry) >= self.trailing_stop_activation.value * atr:
                trail = best - side * self.trailing_stop_distance.value * atr
                stop = min(stop, trail) if trade.is_short else max(stop, trail)
        return stoploss_from_absolute(stop, current_rate, is_short=trade.is_short, leverage=trade.leverage)

    def custom_exit(
        self,
        pair: str,
        trade: Trade,
        current_time: datetime,
        current_rate: float,
        current_profit: float,
        **kwargs,
    ) -> str | bool | None:
        if current_time - trade.open_date_utc >= timedelta(hours=float(self.max_holding_hours.value)):
            return "phasebound_time"
        atr = self._signal_atr(pair, trade)
        if atr is None:
            return None
        side = -1.0 if trade.is_short else 1.0
        target = trade.open_rate + side * self.atr_tp_multiplier.value * atr
        if side * (current_rate - target) >= 0:
            return "phasebound_tp"
        return None
