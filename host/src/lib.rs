//! # phasebound (host)
//!
//! The command-line tool around [`phasebound_core`]: reads kline files (Binance
//! public-data CSV, freqtrade json, plain CSV) into a compact cache, streams them through
//! the core's phases, and writes `report.json`, `params.json` (what the live bot reads)
//! and `run.json` atomically. See the README for the commands and `error` for exit codes.

pub mod cli;
pub mod config;
pub mod data;
pub mod error;
pub mod fixtures;
pub mod memory;
pub mod output;
pub mod pipeline;
pub mod report;
pub mod source;
pub mod synth;

/// The `phasebound budget` table as text.
#[must_use]
pub fn budget_text() -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "phasebound-core working memory (default workspace, fixed at compile time)"
    );
    let _ = writeln!(s, "{:<40} {:>10} {:>12}", "component", "capacity", "bytes");
    for r in memory::budget_table() {
        let _ = writeln!(s, "{:<40} {:>10} {:>12}", r.component, r.capacity, r.bytes);
    }
    let _ = writeln!(
        s,
        "one workspace per worker thread; the host adds bounded I/O buffers (64 KiB per symbol)"
    );
    s
}
