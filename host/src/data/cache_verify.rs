//! Checking an existing cache file before it is reused (see [`super::cache`]).
//!
//! One streamed pass through a 16 KiB buffer: the header (magic, version, key,
//! timeframe, file count, length), the checksum over every byte, the file entries
//! (they add up to the bar count), and every bar — valid, in strictly increasing
//! time, on the timeframe's grid, inside the
//! series' range — with the header's bar count, first and last time, gap count and
//! largest gap recomputed. Any difference makes the file [`Existing::Bad`]: it is
//! rebuilt, never trusted. The checksum alone catches any accidental change; the
//! content checks say what is wrong in words and keep a file whose checksum was
//! forged to match from feeding invalid bars to the core.

use std::io::{self, BufReader, Read};
use std::path::Path;

use sha2::{Digest, Sha256};

use super::READ_BUFFER_BYTES;
use super::cache::{FILE_ENTRY_BYTES, HEADER_BYTES, Header, RECORD_BYTES, decode_bar, decode_file};
use super::series::FileSummary;
use super::series::SeriesSpec;
use crate::input::{InputError, open_regular};

/// What is found under a cache file's name.
#[derive(Debug)]
pub(super) enum Existing {
    /// No file: build it.
    Absent,
    /// A complete, intact cache of these inputs, with its file entries: reuse it.
    Good(Header, Vec<FileSummary>),
    /// Something unusable: why (rebuild it).
    Bad(String),
}

/// The checksum stored in a header: the first 8 bytes of the finished SHA-256.
pub(super) fn checksum_of(sum: Sha256) -> u64 {
    let digest: [u8; 32] = sum.finalize().into();
    u64::from_le_bytes(super::cache::take(&digest, 0))
}

/// Checks the cache file at `path` for the series `spec` with cache key `key`.
pub(super) fn verify(path: &Path, key: &[u8; 32], spec: &SeriesSpec) -> Existing {
    let file = match open_regular(path) {
        Ok(f) => f,
        Err(InputError::Io(e)) if e.kind() == io::ErrorKind::NotFound => {
            return Existing::Absent;
        }
        Err(e) => return Existing::Bad(e.to_string()),
    };
    match check(file, key, spec) {
        Ok((header, files)) => Existing::Good(header, files),
        Err(reason) => Existing::Bad(reason),
    }
}

fn check(
    file: std::fs::File,
    key: &[u8; 32],
    spec: &SeriesSpec,
) -> Result<(Header, Vec<FileSummary>), String> {
    let len = file.metadata().map_err(|e| e.to_string())?.len();
    let mut reader = BufReader::with_capacity(READ_BUFFER_BYTES, file);
    let mut bytes = [0; HEADER_BYTES];
    reader.read_exact(&mut bytes).map_err(|e| match e.kind() {
        io::ErrorKind::UnexpectedEof => "shorter than its header".to_owned(),
        _ => e.to_string(),
    })?;
    let header = Header::decode(&bytes).map_err(str::to_owned)?;
    if header.key != *key {
        return Err("its key is not the one of these inputs".into());
    }
    if header.timeframe_minutes != spec.timeframe_minutes {
        return Err("its timeframe is not the series'".into());
    }
    if header.files as usize != spec.files.len() {
        return Err("its file count is not the series'".into());
    }
    if header.file_len() != Some(len) {
        return Err("its length does not match its bar count".into());
    }
    let mut sum = Sha256::new();
    let mut content = Content::new(spec.timeframe_ms());
    let mut record = [0; RECORD_BYTES];
    for _ in 0..header.bars {
        reader.read_exact(&mut record).map_err(|e| e.to_string())?;
        sum.update(record);
        if content.problem.is_none() {
            content.push(&decode_bar(&record), spec);
        }
    }
    let mut files = Vec::with_capacity(spec.files.len());
    let mut entry = [0; FILE_ENTRY_BYTES];
    for _ in 0..header.files {
        reader.read_exact(&mut entry).map_err(|e| e.to_string())?;
        sum.update(entry);
        files.push(decode_file(&entry));
    }
    // Nothing may follow the entries (the file could have grown since the length check).
    let mut extra = [0; 1];
    if reader.read(&mut extra).map_err(|e| e.to_string())? != 0 {
        return Err("bytes after its last bar".into());
    }
    sum.update(header.encode_unsummed());
    if checksum_of(sum) != header.checksum {
        return Err("checksum mismatch".into());
    }
    if let Some(problem) = content.problem {
        return Err(problem);
    }
    let files: Vec<FileSummary> = files
        .into_iter()
        .collect::<Option<_>>()
        .ok_or("a file entry with an unknown time unit")?;
    if files.iter().map(|f| f.bars).sum::<u64>() != header.bars {
        return Err("its file entries do not add up to its bars".into());
    }
    let found = (
        content.first,
        content.last,
        content.gaps,
        content.largest_gap_ms,
    );
    let claimed = (
        Some(header.first_time),
        Some(header.last_time),
        header.gaps,
        header.largest_gap_ms,
    );
    if found != claimed {
        return Err("its header does not match its bars".into());
    }
    Ok((header, files))
}

/// The bars seen so far, and the first problem with them.
struct Content {
    step: i64,
    first: Option<i64>,
    last: Option<i64>,
    gaps: u64,
    largest_gap_ms: i64,
    problem: Option<String>,
}

impl Content {
    fn new(step: i64) -> Self {
        Self {
            step,
            first: None,
            last: None,
            gaps: 0,
            largest_gap_ms: 0,
            problem: None,
        }
    }

    fn push(&mut self, bar: &phasebound_core::Bar, spec: &SeriesSpec) {
        if let Err(e) = bar.validate(self.last) {
            self.problem = Some(format!("an invalid bar at {}: {e}", bar.time));
            return;
        }
        if self.step <= 0 || bar.time.rem_euclid(self.step) != 0 {
            self.problem = Some(format!("a bar at {} off the timeframe's grid", bar.time));
            return;
        }
        if !spec.range.contains(bar.time) {
            self.problem = Some(format!("a bar at {} outside the time range", bar.time));
            return;
        }
        if let Some(prev) = self.last {
            let delta = bar.time.checked_sub(prev).unwrap_or(-1);
            if delta <= 0 {
                self.problem = Some(format!("a bar at {} off the timeframe", bar.time));
                return;
            }
            if delta > self.step {
                self.gaps += 1;
                self.largest_gap_ms = self.largest_gap_ms.max(delta);
            }
        } else {
            self.first = Some(bar.time);
        }
        self.last = Some(bar.time);
    }
}
