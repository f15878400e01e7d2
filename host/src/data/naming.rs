//! Symbol and timeframe from file names.
//!
//! The stem (file name without its extension) is split at `-`; the first token
//! that is a supported timeframe gives the timeframe, and the token right
//! before it gives the symbol. Everything else (source prefixes such as
//! `binance-spot-`, `binance-um-`, `freqtrade-`, `ccxt-`; month suffixes such as
//! `-2024-03`; `-futures`) is ignored. So all of these name BTCUSDT 15m:
//!
//! `BTCUSDT-15m.csv`, `BTC_USDT-15m.json`, `BTCUSDT-15m-2024-03.csv`,
//! `binance-spot-BTCUSDT-15m-2024-03.csv`, `binance-um-BTCUSDT-15m-2024-03.csv`,
//! `freqtrade-BTC_USDT-15m.json`, `ccxt-BTCUSDT-15m.csv`, `BTCUSDT-15m-futures.json`.
//!
//! A pair written with a dash (`BTC-USDT-15m.csv`, `ccxt-ETH-USDT-1h.csv`) is
//! recognised when the token before the timeframe is a common quote currency.
//! Symbols are upper-cased with `_` and `/` removed; freqtrade's futures form
//! `BTC_USDT_USDT` (base, quote, settlement) becomes `BTCUSDT`. Timeframes are
//! case-sensitive (`1M` is Binance's one *month*, which is not supported).

/// The supported timeframes: label and length in minutes.
pub const SUPPORTED_TIMEFRAMES: [(&str, u32); 12] = [
    ("1m", 1),
    ("3m", 3),
    ("5m", 5),
    ("15m", 15),
    ("30m", 30),
    ("1h", 60),
    ("2h", 120),
    ("4h", 240),
    ("6h", 360),
    ("8h", 480),
    ("12h", 720),
    ("1d", 1440),
];

/// Minutes of a timeframe label such as `15m` or `4h`; `None` when unsupported.
#[must_use]
pub fn parse_timeframe(label: &str) -> Option<u32> {
    SUPPORTED_TIMEFRAMES
        .iter()
        .find(|(l, _)| *l == label)
        .map(|&(_, m)| m)
}

/// Whether `minutes` is one of the supported timeframes.
#[must_use]
pub fn is_supported_timeframe(minutes: u32) -> bool {
    SUPPORTED_TIMEFRAMES.iter().any(|&(_, m)| m == minutes)
}

/// The label of a timeframe in minutes (`15` → `15m`, `60` → `1h`); unsupported
/// values print as `<n>min`.
#[must_use]
pub fn timeframe_label(minutes: u32) -> String {
    SUPPORTED_TIMEFRAMES
        .iter()
        .find(|&&(_, m)| m == minutes)
        .map_or_else(|| format!("{minutes}min"), |(l, _)| (*l).to_owned())
}

/// A symbol in canonical form: upper case, `_` and `/` removed,
/// `BASE_QUOTE_SETTLE` with `QUOTE == SETTLE` reduced to `BASEQUOTE`.
/// `None` when the result is empty or holds anything but ASCII letters and digits.
#[must_use]
pub fn normalize_symbol(raw: &str) -> Option<String> {
    let raw = raw.trim();
    let parts: Vec<&str> = raw.split(['_', '/', ':']).collect();
    let keep = match parts.as_slice() {
        [_, quote, settle] if quote.eq_ignore_ascii_case(settle) => 2,
        all => all.len(),
    };
    let symbol = parts
        .get(..keep)
        .unwrap_or_default()
        .concat()
        .to_ascii_uppercase();
    (!symbol.is_empty() && symbol.bytes().all(|b| b.is_ascii_alphanumeric())).then_some(symbol)
}

/// What a file name says.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FileName {
    /// The symbol, canonical (see [`normalize_symbol`]).
    pub symbol: Option<String>,
    /// The timeframe in minutes.
    pub timeframe_minutes: Option<u32>,
}

/// Symbol and timeframe from a file name (with or without folders and
/// extension); see the module docs for the accepted forms. A name without a
/// timeframe that is a single upper-case token (e.g. `BTCUSDT.csv`) still
/// gives its symbol.
#[must_use]
pub fn parse_file_name(name: &str) -> FileName {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let stem = match base.rfind('.') {
        Some(dot) if dot > 0 => base.get(..dot).unwrap_or(base),
        _ => base,
    };
    let tokens: Vec<&str> = stem.split('-').collect();
    let tf_at = tokens.iter().position(|t| parse_timeframe(t).is_some());
    match tf_at {
        Some(i) => FileName {
            symbol: symbol_before(&tokens, i),
            timeframe_minutes: tokens.get(i).and_then(|t| parse_timeframe(t)),
        },
        // Only an upper-case single token: `data.csv` names no symbol.
        None if tokens.len() == 1 && !stem.bytes().any(|b| b.is_ascii_lowercase()) => FileName {
            symbol: normalize_symbol(stem),
            timeframe_minutes: None,
        },
        None => FileName::default(),
    }
}

/// Quote currencies that, standing alone before the timeframe, are the second
/// half of a dash-separated pair (`BTC-USDT-15m`).
const QUOTES: [&str; 9] = [
    "USDT", "USDC", "FDUSD", "BUSD", "TUSD", "USD", "EUR", "BTC", "ETH",
];
/// Source prefixes that are never the base of a pair.
const PREFIXES: [&str; 7] = [
    "binance",
    "spot",
    "um",
    "cm",
    "futures",
    "freqtrade",
    "ccxt",
];

/// The symbol from the token(s) before the timeframe token at `tf_at`.
fn symbol_before(tokens: &[&str], tf_at: usize) -> Option<String> {
    let quote = tokens.get(tf_at.checked_sub(1)?)?;
    let base = tf_at.checked_sub(2).and_then(|j| tokens.get(j));
    match base {
        Some(base)
            if QUOTES.iter().any(|q| q.eq_ignore_ascii_case(quote))
                && !PREFIXES.iter().any(|p| p.eq_ignore_ascii_case(base)) =>
        {
            normalize_symbol(&format!("{base}{quote}"))
        }
        _ => normalize_symbol(quote),
    }
}
