#!/usr/bin/env bash
# Loads examples/freqtrade/PhaseboundStrategy.py with a file written by
# `phasebound export freqtrade`, through freqtrade's own loader (StrategyResolver, which
# reads <strategy>.json beside the strategy and checks strategy_name), and checks that
# every exported value reached the strategy. Not part of CI (freqtrade is a large
# install): run it by hand.
#
#   python3 -m venv /tmp/ft && /tmp/ft/bin/pip install --prefer-binary freqtrade
#   PYTHON=/tmp/ft/bin/python examples/freqtrade/check.sh
#
# PYTHON: a Python with freqtrade installed (default python3); PHASEBOUND: the binary
# (default: target/release/phasebound, built if missing). Prints SKIP and exits 0 when
# freqtrade cannot be imported.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
PYTHON="${PYTHON:-python3}"
if ! "$PYTHON" -c 'import freqtrade' 2>/dev/null; then
    echo "SKIP: freqtrade is not importable by $PYTHON (set PYTHON=…)"
    exit 0
fi
PHASEBOUND="${PHASEBOUND:-$root/target/release/phasebound}"
if [ ! -x "$PHASEBOUND" ]; then
    (cd "$root" && cargo build --release -p phasebound)
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/user_data/strategies"
cp "$here/PhaseboundStrategy.py" "$work/user_data/strategies/"
# A params.json as a run writes it when the swing profile ships.
cat > "$work/params.json" <<'JSON'
{
  "schema": "phasebound.params/2",
  "generated_by": "phasebound 0.1.0",
  "timeframe": "15m",
  "symbols": ["BTCUSDT"],
  "seed": 42,
  "scalping_params": {
    "enabled": false, "source": "none", "signal_version": 2,
    "reason": "no validated edge: the procedure's verdict is WARNING"
  },
  "swing_params": {
    "enabled": true, "source": "new", "signal_version": 2,
    "reason": "the procedure passed out of sample",
    "weight_group": "trend_first", "min_signal_score": 80.0, "min_indicator_consensus": 4,
    "atr_tp_multiplier": 6.0, "atr_stop_multiplier": 2.5, "max_holding_hours": 12.0,
    "max_holding_bars": 48, "trailing_stop_enabled": true,
    "trailing_stop_activation": 4.0, "trailing_stop_distance": 2.0
  }
}
JSON
"$PHASEBOUND" export freqtrade --params "$work/params.json" \
    --out "$work/user_data/strategies/" --export-time 2024-03-31T00:00:00Z
cd "$work"
"$PYTHON" - <<'PY'
import json, logging, sys
from pathlib import Path
logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s", stream=sys.stdout)
from freqtrade.resolvers import StrategyResolver

config = {
    "strategy": "PhaseboundStrategy",
    "strategy_path": "user_data/strategies",
    "user_data_dir": Path("user_data"),
    "stake_currency": "USDT",
    "stake_amount": "unlimited",
    "dry_run": True,
    "trading_mode": "spot",
    "margin_mode": "",
    "exchange": {"name": "binance", "pair_whitelist": ["BTC/USDT"]},
    "pairlists": [{"method": "StaticPairList"}],
    "entry_pricing": {}, "exit_pricing": {},
}
s = StrategyResolver.load_strategy(config)
s.ft_bot_start()  # loads the hyperoptable parameters, as the bot does at start
exported = json.load(open("user_data/strategies/PhaseboundStrategy.json"))
problems = []
for space in ("buy", "sell"):
    for name, value in exported["params"][space].items():
        got = getattr(s, name).value
        if got != value:
            problems.append(f"{space}.{name}: file {value!r}, strategy {got!r}")
if s.stoploss != -0.3:
    problems.append(f"stoploss {s.stoploss}")
if s.minimal_roi != {0: 100.0}:
    problems.append(f"minimal_roi {s.minimal_roi}")
if s.trailing_stop is not False:
    problems.append(f"trailing_stop {s.trailing_stop}")
# Without the parameter file the strategy must not trade.
import os
os.rename("user_data/strategies/PhaseboundStrategy.json", "moved.json")
bare = StrategyResolver.load_strategy(dict(config))
bare.ft_bot_start()
if bare.phasebound_shipped.value is not False:
    problems.append("without a parameter file phasebound_shipped is not False")
if problems:
    print("FAILED:", *problems, sep="\n  ")
    sys.exit(1)
import freqtrade
print(f"OK: freqtrade {freqtrade.__version__} loaded PhaseboundStrategy with every exported value "
      f"({sum(len(exported['params'][sp]) for sp in ('buy', 'sell'))} parameters, stoploss, roi, trailing); "
      "without the file phasebound_shipped stays False")
PY
