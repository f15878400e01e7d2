//! The generated bars as files: the normalized CSV layout, one symbol's file, the
//! committed fixtures and the market of `phasebound synth`.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use phasebound_core::Bar;

use super::bars::generate;
use super::market::{
    FIXTURE_BARS, FIXTURE_SEED, FIXTURE_START_MS, FIXTURE_TIMEFRAME_MINUTES, SymbolModel,
    fixture_models, market_models,
};

/// The conventional timeframe label: `15m`, `1h`, `4h`, `1d`, `90m` …
#[must_use]
pub fn timeframe_label(minutes: u32) -> String {
    if minutes > 0 && minutes.is_multiple_of(1440) {
        format!("{}d", minutes / 1440)
    } else if minutes > 0 && minutes.is_multiple_of(60) {
        format!("{}h", minutes / 60)
    } else {
        format!("{minutes}m")
    }
}

/// Header line of the normalized CSV layout (without the newline).
pub const CSV_HEADER: &str = "open_time_ms,open,high,low,close,volume";

/// Writes bars in the normalized layout (header, then `open_time_ms,open,high,low,close,volume`
/// rows, `\n` line endings), with shortest round-trip number formatting.
///
/// # Errors
/// Any error of the writer.
pub fn write_csv<W: Write>(mut out: W, bars: impl IntoIterator<Item = Bar>) -> io::Result<()> {
    writeln!(out, "{CSV_HEADER}")?;
    for b in bars {
        writeln!(
            out,
            "{},{},{},{},{},{}",
            b.time, b.open, b.high, b.low, b.close, b.volume
        )?;
    }
    out.flush()
}

/// Generates one symbol into `dir/<name>-<timeframe>.csv` and returns the path.
///
/// # Errors
/// Creating or writing the file.
pub fn write_symbol_csv(
    dir: &Path,
    model: &SymbolModel,
    seed: u64,
    start_ms: i64,
    timeframe_minutes: u32,
    bars: usize,
) -> io::Result<PathBuf> {
    let tf = timeframe_minutes.max(1);
    let path = dir.join(format!("{}-{}.csv", model.name, timeframe_label(tf)));
    let file = BufWriter::new(File::create(&path)?);
    write_csv(file, generate(model, seed, start_ms, tf, bars))?;
    Ok(path)
}

/// Writes the fixture files (`SYNBTCUSDT-15m.csv` …) into `dir`, which must exist.
/// This is how `fixtures/` was made; the `synth` test checks it still gives the same bytes.
///
/// # Errors
/// Creating or writing a file.
pub fn write_fixtures(dir: &Path) -> io::Result<()> {
    for model in &fixture_models() {
        write_symbol_csv(
            dir,
            model,
            FIXTURE_SEED,
            FIXTURE_START_MS,
            FIXTURE_TIMEFRAME_MINUTES,
            FIXTURE_BARS,
        )?;
    }
    Ok(())
}

/// Writes [`market_models`]`(count)` with `days` days of 15m bars each from
/// [`FIXTURE_START_MS`] into `dir` (created if missing), and returns the paths. With the
/// fixture seed the first 90 days of the first four symbols are `fixtures/`, byte for
/// byte: a longer history of the same market (`phasebound synth`, the memory benchmark).
///
/// # Errors
/// Creating the folder or writing a file.
pub fn write_market(dir: &Path, count: usize, days: usize, seed: u64) -> io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    market_models(count)
        .iter()
        .map(|m| {
            write_symbol_csv(
                dir,
                m,
                seed,
                FIXTURE_START_MS,
                FIXTURE_TIMEFRAME_MINUTES,
                days * 96,
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels() {
        assert_eq!(timeframe_label(15), "15m");
        assert_eq!(timeframe_label(60), "1h");
        assert_eq!(timeframe_label(240), "4h");
        assert_eq!(timeframe_label(1440), "1d");
        assert_eq!(timeframe_label(90), "90m");
    }
}
