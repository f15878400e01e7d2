//! How many entries of one symbol wait for their windows at once: the depth of the
//! lanes' entry queues, read from the entries file before any pass.
//!
//! An entry waits in its symbol's queue from its signal bar until the stream's clock has
//! passed the end of its window (`window × timeframe` later), so the entries waiting when
//! one of them is queued at time `t` are among the entries of its symbol with signal
//! times in `[t − reach, t]`. The most of those over the file bounds every queue the
//! passes fill (the window of a pass is at most the longest hold). Sizing the queues by
//! it instead of [`ENTRY_QUEUE`] slots for every symbol keeps the lanes as small as the
//! entries allow: the bench's 30,000 entries over six symbols need a few slots, not
//! 1,024 (72 KiB) per symbol and worker.

use std::collections::VecDeque;
use std::path::Path;

use super::entries::EntryReader;
use crate::error::AppError;
use crate::workspace::ENTRY_QUEUE;

/// What the pre-scan of the entries file found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Waiting {
    /// The queue slots per lane the entries need (at least 1).
    pub(super) most: usize,
    /// Rows of the data's symbols (what a pass evaluates, before range checks).
    pub(super) entries: u64,
}

/// The queue slots per lane the entries of `path` need with windows reaching `reach_ms`
/// ms past their signal bars, and how many entries there are; `symbols` are the data's,
/// in lane order.
///
/// # Errors
/// The entries file's read and row errors ([`EntryReader`]); [`AppError::Capacity`]
/// naming the line when more than `cap` entries of one symbol would wait at once.
pub(super) fn most_waiting(
    path: &Path,
    symbols: &[String],
    reach_ms: i64,
    cap: usize,
) -> Result<Waiting, AppError> {
    let mut reader = EntryReader::open(path, symbols)?;
    // Signal times of the entries of each symbol that may still wait.
    let mut waiting: Vec<VecDeque<i64>> = vec![VecDeque::new(); symbols.len()];
    let mut most = 1;
    let mut entries = 0u64;
    while let Some(row) = reader.read_row()? {
        // Rows of symbols not in the data never queue.
        let Some(sym) = row.symbol.map(usize::from).filter(|&s| s < symbols.len()) else {
            continue;
        };
        entries += 1;
        let queue = &mut waiting[sym];
        let oldest = row.time.saturating_sub(reach_ms);
        while queue.front().is_some_and(|&t| t < oldest) {
            queue.pop_front();
        }
        if queue.len() == cap {
            return Err(overfull(path, row.line, cap, &symbols[sym]));
        }
        queue.push_back(row.time);
        most = most.max(queue.len());
    }
    Ok(Waiting { most, entries })
}

/// The error of an entry that finds its symbol's queue full.
pub(super) fn overfull(path: &Path, line: u64, cap: usize, symbol: &str) -> AppError {
    AppError::Capacity(format!(
        "{}:{line}: more than {cap} entries of {symbol} wait for their windows at once \
         (ENTRY_QUEUE = {ENTRY_QUEUE}, or the longest hold in bars if longer); space the \
         entries out or shorten the holds",
        path.display(),
    ))
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]
mod tests {
    use super::{Waiting, most_waiting};
    use crate::error::AppError;
    use crate::exits::entries::tests::{SYMBOLS, written};

    /// The pre-scan of `rows`, with times in seconds after 2024-01-01 (written as epoch
    /// ms).
    fn scan(rows: &str, reach: i64, cap: usize) -> Result<Waiting, AppError> {
        let mut text = String::from("symbol,time,direction\n");
        for row in rows.lines() {
            let f: Vec<&str> = row.split(',').collect();
            let t = 1_704_067_200_000_i64 + f[1].parse::<i64>().unwrap() * 1000;
            text.push_str(&format!("{},{t},{}\n", f[0], f[2]));
        }
        let (_dir, path) = written(&text);
        most_waiting(&path, &SYMBOLS.map(String::from), reach, cap)
    }

    /// The queue slots [`scan`] finds.
    fn waiting(rows: &str, reach: i64, cap: usize) -> Result<usize, AppError> {
        scan(rows, reach, cap).map(|w| w.most)
    }

    #[test]
    fn the_most_entries_of_one_symbol_within_one_reach() {
        // A at 1, 2, 2 and 4 s with a reach of 2 s: 2, 2 and 4 (the window [2, 4] includes
        // its start) wait together; B's and unknown rows apart.
        let rows = "AAAUSDT,1,long\nBBBUSDT,1,long\nAAAUSDT,2,short\n\
                    AAAUSDT,2,long\nBBBUSDT,2,long\nCCCUSDT,2,long\nAAAUSDT,4,long\n";
        assert_eq!(waiting(rows, 2000, 1024).unwrap(), 3);
        assert_eq!(waiting(rows, 1999, 1024).unwrap(), 3);
        assert_eq!(waiting(rows, 3000, 1024).unwrap(), 4);
        assert_eq!(waiting(rows, 0, 1024).unwrap(), 2);
        // Entries counted: the data's symbols only (not CCCUSDT).
        let w = scan("AAAUSDT,1,long\nCCCUSDT,1,long\nBBBUSDT,2,long\n", 0, 4).unwrap();
        assert_eq!((w.most, w.entries), (1, 2));
        // No entries: one slot.
        assert_eq!(waiting("", 2000, 1024).unwrap(), 1);
        // One more than the cap: a capacity error naming the line of the entry (line 5, the
        // second A at 2 s, finds A at 1 s and 2 s waiting).
        match waiting(rows, 2000, 2) {
            Err(AppError::Capacity(m)) => {
                assert!(
                    m.contains("entries.csv:5: more than 2 entries of AAAUSDT"),
                    "{m}"
                );
            }
            other => panic!("{other:?}"),
        }
        // Row errors are the reader's.
        assert!(matches!(
            waiting("AAAUSDT,2,long\nAAAUSDT,1,long\n", 10, 4),
            Err(AppError::Entries(_))
        ));
    }
}
