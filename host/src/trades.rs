//! Every trade of a single-cell pass, streamed as it happens: the rows of `trades.csv`
//! and the equity curve of `report.html`.
//!
//! The engine announces each entry it evaluates and each trade the cell's account took
//! ([`Observer`]); the account itself lives in the core and reports only totals. So
//! [`Recorder`] keeps its own book of the open positions (at most
//! [`MAX_OPEN_TRADES`](phasebound_core::budget::MAX_OPEN_TRADES)), with the account's
//! rules: the stake is the realized equity (or the initial capital) divided by the
//! slots, and a position is realized when an entry opens after its exit bar, earliest
//! exit first, ties in entry order. Ruin is the core's too: the realized equity never
//! goes below 0 (a realization that would take it to `≤ 0`, or to NaN, leaves it at
//! exactly 0, so the curve's drawdown stops at 100 %), and while it is `≤ 0` the account
//! takes no entry (a trade reported then is left out of the replay, so the check below
//! fails). Positions opened before the ruin are still realized, and a profit among them
//! revives the account. A row is written when its trade is realized, with
//! the equity after it, so rows come in exit order. Memory: the open positions and one
//! [`Curve`] of fixed size, whatever the length of the history. Tests check that the
//! rows add up to the core's own account (trades, final equity) on every run.

use std::io::{self, Write};

use phasebound_core::account::{AccountSpec, Stake};
use phasebound_core::engine::{EntryEvent, Observer};
use phasebound_core::trade::{Direction, TradeOutcome};

use crate::workspace::HostWorkspace;
use phasebound_core::phase::{self, BarSource, ProfileConfig};
use phasebound_core::plan::CellDef;

use crate::data::Utc;
use crate::error::AppError;
use crate::source::CacheSource;

/// The columns of `trades.csv`.
pub const HEADER: &str = "profile,params,period,symbol,direction,signal_time,entry_time,entry_price,exit_bar_time,exit_price,reason,ambiguous,profit_pct,stake,equity_after\n";

/// Buckets of a [`Curve`]: each keeps its lowest and highest value, so a curve has at
/// most twice as many points.
pub const CURVE_BUCKETS: usize = 1024;

/// An equity curve over a fixed time span, decimated while it is streamed: every value
/// lands in one of [`CURVE_BUCKETS`] time buckets, which keep their minimum and maximum
/// (so spikes and drawdowns survive decimation), and the drawdown from the running peak
/// likewise.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Curve {
    from: i64,
    to: i64,
    peak: f64,
    last: f64,
    buckets: Vec<Bucket>,
}

#[derive(Clone, Copy, Debug, Default, serde::Serialize, serde::Deserialize)]
struct Bucket {
    seen: bool,
    min: f64,
    max: f64,
    min_drawdown: f64,
}

impl Curve {
    /// An empty curve over `[from, to)` (ms) starting at equity `start`.
    #[must_use]
    pub fn new(from: i64, to: i64, start: f64) -> Self {
        let mut c = Self {
            from,
            to: to.max(from + 1),
            peak: start,
            last: start,
            buckets: vec![Bucket::default(); CURVE_BUCKETS],
        };
        c.push(from, start);
        c
    }

    /// Adds the equity `value` at time `t` (clamped into the span).
    pub fn push(&mut self, t: i64, value: f64) {
        self.peak = self.peak.max(value);
        self.last = value;
        let drawdown = if self.peak > 0.0 {
            value / self.peak - 1.0
        } else {
            0.0
        };
        let span = (self.to - self.from) as f64;
        let at = ((t.clamp(self.from, self.to - 1) - self.from) as f64 / span
            * CURVE_BUCKETS as f64) as usize;
        if let Some(b) = self.buckets.get_mut(at.min(CURVE_BUCKETS - 1)) {
            if b.seen {
                b.min = b.min.min(value);
                b.max = b.max.max(value);
                b.min_drawdown = b.min_drawdown.min(drawdown);
            } else {
                *b = Bucket {
                    seen: true,
                    min: value,
                    max: value,
                    min_drawdown: drawdown,
                };
            }
        }
    }

    /// The value pushed last (the final equity once a pass is recorded).
    #[must_use]
    pub fn last(&self) -> f64 {
        self.last
    }

    /// The span, ms.
    #[must_use]
    pub fn span(&self) -> (i64, i64) {
        (self.from, self.to)
    }

    /// The points: per bucket that saw a value, `(time, lowest, highest, deepest
    /// drawdown)`, the time being the bucket's start. Allocated for every bucket, however
    /// many saw a value, so its memory does not depend on the history.
    #[must_use]
    pub fn points(&self) -> Vec<(i64, f64, f64, f64)> {
        let width = (self.to - self.from) as f64 / CURVE_BUCKETS as f64;
        let mut out = Vec::with_capacity(CURVE_BUCKETS);
        out.extend(
            self.buckets
                .iter()
                .enumerate()
                .filter(|(_, b)| b.seen)
                .map(|(i, b)| {
                    (
                        self.from + (i as f64 * width) as i64,
                        b.min,
                        b.max,
                        b.min_drawdown,
                    )
                }),
        );
        out
    }
}

/// An open position of the recorder's book, with what its row will say.
#[derive(Clone, Debug)]
struct Open {
    symbol: u16,
    direction: Direction,
    signal_time: i64,
    entry_price: f64,
    exit_bar_time: i64,
    outcome: TradeOutcome,
    stake: f64,
}

/// What the rows of one pass say besides the trade: profile, parameters, and the
/// period of each entry.
#[derive(Clone, Copy, Debug)]
pub struct Labels<'a> {
    /// Profile name.
    pub profile: &'a str,
    /// Which parameters: `new`, `incumbent`, `fallback`, `walk-forward`.
    pub params: &'a str,
    /// Named periods `(from, to, name)` (ms, half-open); entries elsewhere are
    /// `initial training`.
    pub periods: &'a [(i64, i64, String)],
}

/// Streams the trades of a single-cell pass (see the module docs).
pub struct Recorder<'a, W: Write> {
    out: &'a mut W,
    symbols: &'a [String],
    labels: Labels<'a>,
    tf_ms: i64,
    spec: AccountSpec,
    /// Equity multiplier for the curve (the chained equity before this pass).
    base: f64,
    curve: &'a mut Curve,
    equity: f64,
    open: Vec<Open>,
    current: Option<EntryEvent>,
    trades: u64,
    error: Option<io::Error>,
}

impl<'a, W: Write> Recorder<'a, W> {
    /// A recorder writing rows to `out` and equity `base × equity` to `curve`.
    pub fn new(
        out: &'a mut W,
        symbols: &'a [String],
        labels: Labels<'a>,
        timeframe_minutes: u32,
        spec: AccountSpec,
        base: f64,
        curve: &'a mut Curve,
    ) -> Self {
        Self {
            out,
            symbols,
            labels,
            tf_ms: i64::from(timeframe_minutes) * 60_000,
            spec,
            base,
            curve,
            equity: 1.0,
            open: Vec::with_capacity(usize::from(spec.max_open_trades)),
            current: None,
            trades: 0,
            error: None,
        }
    }

    /// Realizes what is still open; returns the pass's trades and final equity.
    ///
    /// # Errors
    /// The first write error of the pass.
    pub fn finish(mut self) -> io::Result<(u64, f64)> {
        while !self.open.is_empty() {
            self.realize_first();
        }
        match self.error.take() {
            Some(e) => Err(e),
            None => Ok((self.trades, self.equity)),
        }
    }

    /// Realizes the open position with the earliest exit (the earliest entry among
    /// equal exits), as the core's account does.
    fn realize_first(&mut self) {
        let Some(first) = (0..self.open.len()).min_by_key(|&i| (self.open[i].exit_bar_time, i))
        else {
            return;
        };
        let p = self.open.remove(first);
        self.equity += p.stake * p.outcome.profit_pct / 100.0;
        // Ruin: the equity never goes below 0 (nor to NaN).
        if self.equity <= 0.0 || self.equity.is_nan() {
            self.equity = 0.0;
        }
        // The account realizes an exit at the close of its exit bar.
        self.curve
            .push(p.exit_bar_time + self.tf_ms, self.base * self.equity);
        if self.error.is_none()
            && let Err(e) = self.write_row(&p)
        {
            self.error = Some(e);
        }
        self.trades += 1;
    }

    fn write_row(&mut self, p: &Open) -> io::Result<()> {
        let period = self
            .labels
            .periods
            .iter()
            .find(|(from, to, _)| (*from..*to).contains(&p.signal_time))
            .map_or("initial training", |(_, _, name)| name.as_str());
        let symbol = self
            .symbols
            .get(usize::from(p.symbol))
            .map_or("?", String::as_str);
        let o = &p.outcome;
        writeln!(
            self.out,
            "{},{},{},{},{},{},{},{},{},{},{},{},{:.6},{:.8},{:.8}",
            self.labels.profile,
            self.labels.params,
            period,
            symbol,
            match p.direction {
                Direction::Long => "long",
                Direction::Short => "short",
            },
            Utc(p.signal_time),
            Utc(p.signal_time + self.tf_ms),
            p.entry_price,
            Utc(p.exit_bar_time),
            o.exit_price,
            o.reason.name(),
            o.ambiguous,
            o.profit_pct,
            p.stake,
            self.equity,
        )
    }
}

impl<W: Write> Observer for Recorder<'_, W> {
    fn entry(&mut self, event: &EntryEvent) {
        self.current = Some(*event);
    }

    fn outcome(&mut self, _cell: usize, outcome: &TradeOutcome) {
        let Some(e) = self.current else { return };
        let Some(entry_price) = e.price else { return };
        let entry_time = e.time + self.tf_ms;
        while self.open.iter().any(|p| p.exit_bar_time < entry_time) {
            self.realize_first();
        }
        // A ruined account takes no entry: one reported anyway is not replayed, and the
        // trade count then disagrees with the account's.
        if self.equity <= 0.0 {
            return;
        }
        let base = match self.spec.stake {
            Stake::Compounding => self.equity,
            Stake::Fixed => 1.0,
        };
        self.open.push(Open {
            symbol: e.symbol,
            direction: e.direction,
            signal_time: e.time,
            entry_price,
            exit_bar_time: e.time + (i64::from(outcome.exit_index) + 1) * self.tf_ms,
            outcome: *outcome,
            stake: base / f64::from(self.spec.max_open_trades.max(1)),
        });
    }
}

/// The curves of one profile (see [`record`]).
#[derive(Clone, Debug)]
pub struct Curves {
    /// Walk-forward out of sample: each fold traded by the parameters fitted on the data
    /// before it, folds chained (`None` without folds).
    pub out_of_sample: Option<Curve>,
    /// The parameters shown (those that ship, or tonight's fit when nothing ships) on
    /// all data.
    pub shown: Curve,
    /// Which parameters `shown` are: `new`, `incumbent`, `fallback`, or
    /// `new (not shipped)`.
    pub shown_params: String,
    /// Trades written for this profile.
    pub trades: u64,
}

/// What [`record`] traces for one profile.
pub struct Traced<'a> {
    /// Profile name.
    pub profile: &'a str,
    /// Symbol names by index.
    pub symbols: &'a [String],
    /// Each fold's test period and the parameters fitted before it.
    pub folds: &'a [(phase::TimeRange, CellDef)],
    /// The parameters shown on all data, and what they are (see [`Curves::shown_params`]).
    pub shown: (&'a CellDef, &'a str),
    /// All data.
    pub all: phase::TimeRange,
}

/// Traces the trades of one profile into `out` (rows of `trades.csv`) and its curves:
/// each walk-forward fold under its own parameters, then the shown parameters on all
/// data. Each pass is checked against the core's account: the same trades and the same
/// final equity, bit for bit.
///
/// # Errors
/// Core, source and write errors; [`AppError::Internal`] if the trace disagrees with the
/// core's account.
pub fn record<W: Write>(
    ws: &mut HostWorkspace,
    source: &mut CacheSource,
    pc: &ProfileConfig,
    t: &Traced<'_>,
    out: &mut W,
) -> Result<Curves, AppError> {
    let tf = source.timeframe_minutes();
    let spec = pc.spec.account();
    let periods: Vec<(i64, i64, String)> = t
        .folds
        .iter()
        .enumerate()
        .map(|(k, (test, _))| (test.from, test.to, format!("fold {}", k + 1)))
        .collect();
    let mut trades = 0;
    let mut pass = |cell: &CellDef,
                    range: phase::TimeRange,
                    params: &str,
                    base: f64,
                    curve: &mut Curve|
     -> Result<f64, AppError> {
        let labels = Labels {
            profile: t.profile,
            params,
            periods: &periods,
        };
        let mut rec = Recorder::new(&mut *out, t.symbols, labels, tf, spec, base, curve);
        let stats = crate::procedure::trade_observed(ws, source, pc, cell, range, &mut rec)?;
        let (written, equity) = rec.finish().map_err(|e| AppError::io("trades.csv", e))?;
        if written != u64::from(stats.trades) || equity.to_bits() != stats.equity.to_bits() {
            return Err(AppError::Internal(format!(
                "trades.csv trace of {} disagrees with the core's account: {written} trades, equity {equity} against {} and {}",
                t.profile, stats.trades, stats.equity
            )));
        }
        trades += written;
        Ok(equity)
    };
    let out_of_sample = match (t.folds.first(), t.folds.last()) {
        (Some((first, _)), Some((last, _))) => {
            let mut curve = Curve::new(first.from, last.to, 1.0);
            let mut chained = 1.0;
            for (test, cell) in t.folds {
                chained *= pass(cell, *test, "walk-forward", chained, &mut curve)?;
            }
            Some(curve)
        }
        _ => None,
    };
    let (cell, params) = t.shown;
    let mut shown = Curve::new(t.all.from, t.all.to, 1.0);
    pass(cell, t.all, params, 1.0, &mut shown)?;
    Ok(Curves {
        out_of_sample,
        shown,
        shown_params: params.to_owned(),
        trades,
    })
}

/// The per-profile part files of `trades.csv` in the output folder, removed when
/// dropped (they only live during a run).
#[derive(Debug)]
pub struct Parts {
    /// One path per profile, in profile order.
    pub paths: Vec<std::path::PathBuf>,
}

impl Parts {
    /// Part paths in `out` for `profiles`.
    #[must_use]
    pub fn new(out: &std::path::Path, profiles: &[&str]) -> Self {
        Self {
            paths: profiles
                .iter()
                .map(|p| out.join(format!(".trades-{p}.phasebound-part")))
                .collect(),
        }
    }

    /// Writes the header and every part, in order, to `target`, synced. A buffer of
    /// fixed size: memory does not depend on the number of trades.
    ///
    /// # Errors
    /// I/O errors.
    pub fn join(&self, target: &std::path::Path) -> io::Result<()> {
        let mut w = io::BufWriter::new(std::fs::File::create(target)?);
        w.write_all(HEADER.as_bytes())?;
        for p in &self.paths {
            io::copy(&mut std::fs::File::open(p)?, &mut w)?;
        }
        w.into_inner()
            .map_err(io::IntoInnerError::into_error)?
            .sync_all()
    }
}

impl Drop for Parts {
    fn drop(&mut self) {
        for p in &self.paths {
            let _ = std::fs::remove_file(p);
        }
    }
}
