//! # phasebound-core
//!
//! The engine of phasebound, a four-phase backtest parameter optimizer for crypto trading
//! bots: streaming indicators and signals, exact trade simulation, first-passage grid
//! evaluation, parameter lattices and multi-start search, seeded sampling and statistics.
//! `#![no_std]`, no `alloc`, no `unsafe`, no panics: every buffer has a capacity fixed at
//! compile time, every error is a value of one flat [`Error`] enum.
//!
//! ## How a run flows
//!
//! A caller owns one [`engine::Workspace`] (all working memory) and a
//! [`phase::BarSource`] (anything that can replay every symbol's bars in timestamp
//! order). Each phase is one or a few *passes*: the source streams the bars through the
//! workspace, which keeps per symbol O(1) [`indicators`] state, a ring of the last `H`
//! bars and a queue of pending candidates; when a candidate's forward window is complete
//! it is evaluated against every cell of the [`plan::PassPlan`] and folded into per-cell
//! [`stats::CellStats`]. Nothing grows with the length of the history.
//!
//! | module | what it does |
//! |---|---|
//! | [`bar`] | bars and their validation at the boundary |
//! | [`indicators`] | EMA, Wilder RSI and ATR, MACD histogram, volume ratio, previous range, candle anatomy; multi-timeframe trend by period scaling |
//! | [`signal`] | ex-ante direction, consensus 0–5, normalized per-profile scores, weight groups |
//! | [`trade`], [`sim`] | the vocabulary of a trade and the reference bar-by-bar simulator |
//! | [`first_passage`] | one forward scan per entry, then O(1) per cell; bit-identical to [`sim`] |
//! | [`plan`], [`engine`] | what a pass evaluates, and the streaming pass engine; [`engine::footprint`]: the workspaces' sizes, budget tables and compile-time size assertions |
//! | [`grid`], [`search`] | mixed-radix lattices and multi-start local search |
//! | [`sampling`] | seeded RNG streams, Floyd's sampling, reservoir sampling |
//! | [`account`] | every cell a portfolio: stakes, open-position slots, equity in exit order |
//! | [`stats`] | the O(1) accumulator and one metric per file; objectives |
//! | [`phase`] | Phase 1 scan, Phase 2 screening, Phase 3 optimization, Phase 4 validation, final re-analysis |
//! | [`wire`] | postcard encoding into caller buffers; worst-case size constants; versioned checkpoints |
//! | [`budget`] | every capacity, as constants (a leaf: it imports nothing) |
//!
//! ## Exactness
//!
//! The fast path ([`first_passage`]) and the reference ([`sim`]) compute every price level
//! through the same functions of [`trade::Direction`], so they agree bit for bit; the test
//! suite checks it on random windows and grids, and the engine in both modes on whole
//! random markets. Intrabar policy: a gap through the stop or the target fills at the open;
//! otherwise the stop is checked before the target (conservative; the bar is counted as
//! *ambiguous*); then the trailing stop ratchets, effective from the next bar.
//!
//! ## Memory budget
//!
//! Every capacity is a named constant in [`budget`]. A workspace is generic over the
//! longest window `H` it accepts, the cells `C` of a pass, and where its per-symbol
//! *lanes* and their window scratch live ([`engine::Lanes`]): inside it, `S` lanes of `D`
//! bars ([`engine::FixedLanes`], a size in the type, asserted in [`engine::footprint`]),
//! or in buffers the caller sizes once at start-up, [`engine::lane_bytes`] per symbol and
//! [`engine::scratch_bytes`] once (the host does this, so a run takes any number of
//! symbols and its memory is a formula in them). A test checks these tables against the
//! code; `phasebound budget` prints the host's.
//!
//! Default workspace ([`engine::DefaultWorkspace`]: 16 lanes of 1024 bars, windows up to
//! 8192 bars, 1024 cells):
//!
//! | component | capacity | bytes |
//! |---|---:|---:|
//! | lane heads: indicators, counters (per symbol) | 16 | 14,848 |
//! | bar rings, D bars (per symbol) | 16,384 | 589,824 |
//! | entry queues, D (per symbol) | 16,384 | 1,179,648 |
//! | window scratch: D bars and their running best | 1,024 | 40,960 |
//! | cell accumulators | 1,024 | 155,648 |
//! | account books (open positions, per cell) | 16,384 | 335,872 |
//! | batch of resolved exits (B x C records) | 4,096 | 134,152 |
//! | total (size_of Workspace) | 1 | 2,451,088 |
//!
//! Small workspace ([`engine::SmallWorkspace`], for microcontrollers: 2 symbols, 96 bars,
//! 64 cells):
//!
//! | component | capacity | bytes |
//! |---|---:|---:|
//! | lane heads: indicators, counters (per symbol) | 2 | 1,856 |
//! | bar rings, D bars (per symbol) | 192 | 6,912 |
//! | entry queues, D (per symbol) | 192 | 13,824 |
//! | window scratch: D bars and their running best | 96 | 3,840 |
//! | cell accumulators | 64 | 9,728 |
//! | account books (open positions, per cell) | 1,024 | 20,992 |
//! | batch of resolved exits (B x C records) | 0 | 8 |
//! | total (size_of Workspace) | 1 | 57,296 |
//!
//! Sizes are for x86-64; on `thumbv7em-none-eabihf` the small workspace is 57,256 bytes
//! (alignment differs).
//!
//! Plans are not part of the workspace. A [`plan::PassPlan`] of the default 1,024 cells
//! is 81,008 bytes and one of the small 64 cells 6,128 bytes
//! ([`engine::footprint::DEFAULT_PLAN_BYTES`], [`engine::footprint::SMALL_PLAN_BYTES`]); the phase functions
//! build them on the caller's stack, up to three at once in Phase 3, so a host worker
//! thread gets a 16 MiB stack and the firmware reserves 48 KiB (it runs in 33 KiB).
//!
//! ## Determinism
//!
//! Seeds are inputs: [`sampling::stream`] derives an independent stream per phase and
//! profile, candidates are numbered in the order the pass meets them, ties in every
//! ranking break on the lower index. Same data, plan and seed: same bits.
#![no_std]
#![forbid(unsafe_code)]

pub mod account;
pub mod bar;
pub mod budget;
pub mod engine;
pub mod error;
pub mod first_passage;
pub mod grid;
pub mod indicators;
pub mod math;
pub mod phase;
pub mod plan;
pub mod sampling;
pub mod search;
pub mod signal;
pub mod sim;
pub mod stats;
pub mod trade;
pub mod wire;

pub use bar::{Bar, Ohlc};
pub use error::{BarField, Error};
pub use trade::{Direction, Entry, EntryTiming, ExitParams, ExitReason, TradeOutcome, Trailing};
