//! The binary bar cache: parse and validate once, then stream fixed-width records.
//!
//! A cache file is a 104-byte header, one 48-byte record per bar, then one
//! 32-byte entry per input file, all little-endian:
//!
//! | offset | header field | type |
//! |---|---|---|
//! | 0 | magic `PBBARS\r\n` | 8 bytes |
//! | 8 | format version ([`CACHE_FORMAT_VERSION`]) | u32 |
//! | 12 | timeframe, minutes | u32 |
//! | 16 | bars | u64 |
//! | 24 | first bar time, ms | i64 |
//! | 32 | last bar time, ms | i64 |
//! | 40 | gaps | u64 |
//! | 48 | largest gap, ms | i64 |
//! | 56 | cache key (SHA-256) | 32 bytes |
//! | 88 | checksum | u64 |
//! | 96 | input files | u32 |
//! | 100 | reserved, zero | 4 bytes |
//!
//! Record: `time` i64 ms, then `open, high, low, close, volume` as f64.
//! File entry, in series order: bars kept, bars skipped off the timeframe's
//! grid, bars skipped as implausible, timestamp unit (0 unknown, 1 s, 2 ms,
//! 3 µs), each a u64.
//!
//! The checksum is the first 8 bytes (little-endian) of the SHA-256 of the
//! records and file entries followed by the header with its checksum field
//! zeroed: every byte of the file is covered. It guards against damage (a bit flipped on disk, a file
//! edited or cut), not against an attacker, who could recompute it: 64 bits make an
//! undetected random change a 2⁻⁶⁴ chance. SHA-256 because it is already in the
//! build and already hashes every input on every run; the cache holds 48 bytes a
//! bar, less than the inputs, so checking it costs less than the inputs' hashing.
//!
//! The file is named `<symbol>-<tf>-<hash16>.bars`, `hash16` being the first
//! 16 hex digits of the cache key: the SHA-256 over the format version, the
//! symbol, the timeframe and the SHA-256 of each input file's bytes in series
//! order, and the series' time range when it is not the whole series.
//! Changing any input byte, the file list, the range, or the parser (bump
//! [`CACHE_FORMAT_VERSION`] when parsing or validation rules change) gives a
//! new name; an existing file is reused only when it passes
//! `verify` (in `data/cache_verify.rs`) — header, length, checksum and every bar
//! valid and consistent with the header — in one streamed pass. Otherwise it is
//! rebuilt from the source files, with a one-line note on stderr, so a damaged
//! cache gives exactly the results of a cold run. Files are written to a temporary name in the cache folder and
//! renamed into place, so a cache file is complete or absent. Inputs are hashed
//! a second time while they are parsed; if they changed in between, the
//! build fails with [`DataErrorKind::InputChanged`] instead of caching a mix.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use phasebound_core::Bar;
use sha2::{Digest, Sha256};

use super::READ_BUFFER_BYTES;
use super::archive::verify_checksum;
use super::cache_verify::{Existing, checksum_of, verify};
use super::error::{DataError, DataErrorKind};
use super::file::open_file;
use super::merge::TimeRange;
use super::naming::timeframe_label;
use super::series::{DEFAULT_MAX_JUMP, FileSummary, SeriesSpec, scan};
use super::time::TimeUnit;

/// Version of the cache format and of the parsing rules that fill it.
pub const CACHE_FORMAT_VERSION: u32 = 3;
/// Bytes per bar record.
pub const RECORD_BYTES: usize = 48;
/// Bytes of the header.
pub const HEADER_BYTES: usize = 104;
/// Bytes per input-file entry after the records.
pub const FILE_ENTRY_BYTES: usize = 32;

const MAGIC: [u8; 8] = *b"PBBARS\r\n";

/// A series parsed into a cache file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CachedSeries {
    /// Canonical symbol.
    pub symbol: String,
    /// Timeframe in minutes.
    pub timeframe_minutes: u32,
    /// The cache file.
    pub path: PathBuf,
    /// Number of bars.
    pub bars: u64,
    /// Open time of the first bar, ms.
    pub first_time: i64,
    /// Open time of the last bar, ms.
    pub last_time: i64,
    /// Steps between consecutive bars longer than the timeframe.
    pub gaps: u64,
    /// The longest such step, ms (0 without gaps).
    pub largest_gap_ms: i64,
    /// Each input file with the lower-case hex SHA-256 of its bytes, in series order.
    pub input_sha256: Vec<(PathBuf, String)>,
    /// Each input file's bars, skipped bars and time unit, in series order.
    pub files: Vec<FileSummary>,
    /// Whether an existing cache file was reused (no parsing happened).
    pub reused: bool,
    /// Why an existing cache file of these inputs was discarded and rebuilt, if it was.
    pub repaired: Option<String>,
    /// The cache file's checksum (see the module docs), checked again whenever the file
    /// is opened for a pass.
    pub checksum: u64,
}

/// The header of a cache file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Header {
    pub(super) timeframe_minutes: u32,
    pub(super) bars: u64,
    pub(super) first_time: i64,
    pub(super) last_time: i64,
    pub(super) gaps: u64,
    pub(super) largest_gap_ms: i64,
    pub(super) key: [u8; 32],
    pub(super) checksum: u64,
    pub(super) files: u32,
}

pub(super) fn put(out: &mut [u8; HEADER_BYTES], at: usize, bytes: &[u8]) {
    if let Some(slot) = out.get_mut(at..at + bytes.len()) {
        slot.copy_from_slice(bytes);
    }
}

pub(super) fn take<const N: usize>(bytes: &[u8], at: usize) -> [u8; N] {
    let mut out = [0; N];
    if let Some(src) = bytes.get(at..at + N) {
        out.copy_from_slice(src);
    }
    out
}

impl Header {
    fn encode(&self) -> [u8; HEADER_BYTES] {
        let mut out = [0; HEADER_BYTES];
        put(&mut out, 0, &MAGIC);
        put(&mut out, 8, &CACHE_FORMAT_VERSION.to_le_bytes());
        put(&mut out, 12, &self.timeframe_minutes.to_le_bytes());
        put(&mut out, 16, &self.bars.to_le_bytes());
        put(&mut out, 24, &self.first_time.to_le_bytes());
        put(&mut out, 32, &self.last_time.to_le_bytes());
        put(&mut out, 40, &self.gaps.to_le_bytes());
        put(&mut out, 48, &self.largest_gap_ms.to_le_bytes());
        put(&mut out, 56, &self.key);
        put(&mut out, 88, &self.checksum.to_le_bytes());
        put(&mut out, 96, &self.files.to_le_bytes());
        out
    }

    /// The header's bytes with the checksum field zeroed (what the checksum covers).
    pub(super) fn encode_unsummed(&self) -> [u8; HEADER_BYTES] {
        Header {
            checksum: 0,
            ..*self
        }
        .encode()
    }

    pub(super) fn decode(bytes: &[u8; HEADER_BYTES]) -> Result<Self, &'static str> {
        if take::<8>(bytes, 0) != MAGIC {
            return Err("wrong magic bytes");
        }
        if u32::from_le_bytes(take(bytes, 8)) != CACHE_FORMAT_VERSION {
            return Err("other format version");
        }
        // Not covered by the checksum (it hashes the decoded fields): must be zero.
        if take::<4>(bytes, 100) != [0; 4] {
            return Err("reserved bytes not zero");
        }
        Ok(Self {
            timeframe_minutes: u32::from_le_bytes(take(bytes, 12)),
            bars: u64::from_le_bytes(take(bytes, 16)),
            first_time: i64::from_le_bytes(take(bytes, 24)),
            last_time: i64::from_le_bytes(take(bytes, 32)),
            gaps: u64::from_le_bytes(take(bytes, 40)),
            largest_gap_ms: i64::from_le_bytes(take(bytes, 48)),
            key: take(bytes, 56),
            checksum: u64::from_le_bytes(take(bytes, 88)),
            files: u32::from_le_bytes(take(bytes, 96)),
        })
    }

    /// File length a complete cache of this header has.
    pub(super) fn file_len(&self) -> Option<u64> {
        self.bars
            .checked_mul(RECORD_BYTES as u64)?
            .checked_add(HEADER_BYTES as u64)?
            .checked_add(u64::from(self.files) * FILE_ENTRY_BYTES as u64)
    }
}

fn unit_code(unit: Option<TimeUnit>) -> u64 {
    match unit {
        None => 0,
        Some(TimeUnit::Seconds) => 1,
        Some(TimeUnit::Millis) => 2,
        Some(TimeUnit::Micros) => 3,
    }
}

fn encode_file(f: &FileSummary) -> [u8; FILE_ENTRY_BYTES] {
    let mut out = [0; FILE_ENTRY_BYTES];
    for (chunk, field) in
        out.chunks_exact_mut(8)
            .zip([f.bars, f.off_grid, f.implausible, unit_code(f.unit)])
    {
        chunk.copy_from_slice(&field.to_le_bytes());
    }
    out
}

/// A file entry; `None` for an unknown unit code.
pub(super) fn decode_file(bytes: &[u8; FILE_ENTRY_BYTES]) -> Option<FileSummary> {
    let unit = match u64::from_le_bytes(take(bytes, 24)) {
        0 => None,
        1 => Some(TimeUnit::Seconds),
        2 => Some(TimeUnit::Millis),
        3 => Some(TimeUnit::Micros),
        _ => return None,
    };
    Some(FileSummary {
        bars: u64::from_le_bytes(take(bytes, 0)),
        off_grid: u64::from_le_bytes(take(bytes, 8)),
        implausible: u64::from_le_bytes(take(bytes, 16)),
        unit,
    })
}

fn encode_bar(bar: &Bar) -> [u8; RECORD_BYTES] {
    let mut out = [0; RECORD_BYTES];
    let fields = [
        bar.time.to_le_bytes(),
        bar.open.to_le_bytes(),
        bar.high.to_le_bytes(),
        bar.low.to_le_bytes(),
        bar.close.to_le_bytes(),
        bar.volume.to_le_bytes(),
    ];
    for (chunk, field) in out.chunks_exact_mut(8).zip(fields) {
        chunk.copy_from_slice(&field);
    }
    out
}

pub(super) fn decode_bar(r: &[u8; RECORD_BYTES]) -> Bar {
    Bar {
        time: i64::from_le_bytes(take(r, 0)),
        open: f64::from_le_bytes(take(r, 8)),
        high: f64::from_le_bytes(take(r, 16)),
        low: f64::from_le_bytes(take(r, 24)),
        close: f64::from_le_bytes(take(r, 32)),
        volume: f64::from_le_bytes(take(r, 40)),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// SHA-256 of a file's bytes, streamed.
fn sha256_file(path: &Path, buf: &mut [u8]) -> Result<[u8; 32], DataError> {
    let mut file = open_file(path)?;
    let mut hasher = Sha256::new();
    loop {
        match file.read(buf) {
            Ok(0) => break,
            Ok(n) => hasher.update(buf.get(..n).unwrap_or_default()),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(DataError::new(path, DataErrorKind::Io(e))),
        }
    }
    Ok(hasher.finalize().into())
}

fn cache_key(spec: &SeriesSpec, hashes: &[[u8; 32]]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"phasebound bar cache\0");
    h.update(CACHE_FORMAT_VERSION.to_le_bytes());
    h.update((spec.symbol.len() as u64).to_le_bytes());
    h.update(spec.symbol.as_bytes());
    h.update(spec.timeframe_minutes.to_le_bytes());
    h.update((hashes.len() as u64).to_le_bytes());
    for file_hash in hashes {
        h.update(file_hash);
    }
    // Which bars are skipped as implausible depends on the factor.
    if spec.policy.max_jump != DEFAULT_MAX_JUMP {
        h.update(b"max_jump\0");
        h.update(spec.policy.max_jump.to_le_bytes());
    }
    // Only a restricted range adds to the key, so whole-series keys stay as they were.
    if spec.range != TimeRange::ALL {
        h.update(b"range\0");
        for side in [spec.range.from, spec.range.to] {
            h.update([u8::from(side.is_some())]);
            h.update(side.unwrap_or_default().to_le_bytes());
        }
    }
    h.finalize().into()
}

/// Removes the temporary file unless the build succeeded.
struct TempGuard<'a> {
    path: &'a Path,
    keep: bool,
}

impl Drop for TempGuard<'_> {
    fn drop(&mut self) {
        if !self.keep {
            let _ = fs::remove_file(self.path);
        }
    }
}

/// Parses and validates `spec` into a cache file in `cache_dir` (created if
/// missing), or reuses the existing one for the same inputs (see the module docs).
///
/// # Errors
/// Any data error of the inputs (nothing is left behind then), or I/O errors
/// on the cache folder.
pub fn build_cache(spec: &SeriesSpec, cache_dir: &Path) -> Result<CachedSeries, DataError> {
    let mut buf = vec![0_u8; READ_BUFFER_BYTES];
    let mut hashes = Vec::with_capacity(spec.files.len());
    for path in &spec.files {
        let hash = sha256_file(path, &mut buf)?;
        verify_checksum(path, &hash)?;
        hashes.push(hash);
    }
    drop(buf);
    let key = cache_key(spec, &hashes);
    let safe_symbol: String = spec
        .symbol
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    let name = format!(
        "{safe_symbol}-{}-{}.bars",
        timeframe_label(spec.timeframe_minutes),
        hex(key.get(..8).unwrap_or_default())
    );
    let path = cache_dir.join(&name);
    let input_sha256 = spec
        .files
        .iter()
        .cloned()
        .zip(hashes.iter().map(|h| hex(h)))
        .collect();
    let done = |header: Header, files, reused: bool, repaired, input_sha256| CachedSeries {
        symbol: spec.symbol.clone(),
        timeframe_minutes: spec.timeframe_minutes,
        path: path.clone(),
        bars: header.bars,
        first_time: header.first_time,
        last_time: header.last_time,
        gaps: header.gaps,
        largest_gap_ms: header.largest_gap_ms,
        input_sha256,
        files,
        reused,
        repaired,
        checksum: header.checksum,
    };
    let repaired = match verify(&path, &key, spec) {
        // A strict run re-reads data with skipped bars, to fail on the first one's line.
        Existing::Good(_, files)
            if spec.policy.strict && files.iter().any(|f| f.off_grid + f.implausible > 0) =>
        {
            None
        }
        Existing::Good(header, files) => {
            return Ok(done(header, files, true, None, input_sha256));
        }
        Existing::Absent => None,
        Existing::Bad(reason) => {
            eprintln!(
                "phasebound: note: {}: damaged bar cache ({reason}); rebuilding it from the source files",
                path.display()
            );
            // A folder or unwritable file under the name makes the rename below fail
            // with an I/O error naming it.
            let _ = fs::remove_file(&path);
            Some(reason)
        }
    };

    let cache_io = |at: &Path| {
        let at = at.to_path_buf();
        move |e: io::Error| DataError::new(at, DataErrorKind::Io(e))
    };
    fs::create_dir_all(cache_dir).map_err(cache_io(cache_dir))?;
    // Unique per process and call, so concurrent builders never share a temp file.
    static BUILDS: AtomicU64 = AtomicU64::new(0);
    let n = BUILDS.fetch_add(1, Ordering::Relaxed);
    let temp = cache_dir.join(format!(".{name}.{}-{n}.tmp", std::process::id()));
    let mut guard = TempGuard {
        path: &temp,
        keep: false,
    };
    let file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(&temp)
        .map_err(cache_io(&temp))?;
    let mut out = BufWriter::with_capacity(READ_BUFFER_BYTES, file);
    out.write_all(&[0; HEADER_BYTES]).map_err(cache_io(&temp))?;
    let mut sum = Sha256::new();
    // The error is built only on failure: an eager `map_err(cache_io(&temp))` would
    // clone the path once per bar (the memory test counts allocations per bar).
    let summary = scan(spec, Some(&hashes), |bar| {
        let record = encode_bar(bar);
        sum.update(record);
        out.write_all(&record)
            .map_err(|e| DataError::new(&temp, DataErrorKind::Io(e)))
    })?;
    let mut header = Header {
        timeframe_minutes: spec.timeframe_minutes,
        bars: summary.bars,
        first_time: summary.first_time,
        last_time: summary.last_time,
        gaps: summary.gaps,
        largest_gap_ms: summary.largest_gap_ms,
        key,
        checksum: 0,
        files: u32::try_from(summary.files.len()).unwrap_or(u32::MAX),
    };
    for f in &summary.files {
        let entry = encode_file(f);
        sum.update(entry);
        out.write_all(&entry).map_err(cache_io(&temp))?;
    }
    sum.update(header.encode_unsummed());
    header.checksum = checksum_of(sum);
    let mut file = out
        .into_inner()
        .map_err(|e| cache_io(&temp)(e.into_error()))?;
    file.seek(SeekFrom::Start(0)).map_err(cache_io(&temp))?;
    file.write_all(&header.encode()).map_err(cache_io(&temp))?;
    file.sync_all().map_err(cache_io(&temp))?;
    drop(file);
    fs::rename(&temp, &path).map_err(cache_io(&path))?;
    guard.keep = true;
    Ok(done(header, summary.files, false, repaired, input_sha256))
}

/// Streams the bars of a cache file through a fixed buffer (`READ_BUFFER_BYTES`).
#[derive(Debug)]
pub struct SeriesReader {
    reader: BufReader<File>,
    header: Header,
    next_index: u64,
}

impl SeriesReader {
    /// Opens a cache file and checks its header and length.
    ///
    /// # Errors
    /// [`DataErrorKind::Io`] or [`DataErrorKind::BadCache`].
    pub fn open(path: &Path) -> Result<Self, DataError> {
        let bad = |detail| DataError::new(path, DataErrorKind::BadCache { detail });
        let mut file = open_file(path)?;
        let mut bytes = [0; HEADER_BYTES];
        file.read_exact(&mut bytes).map_err(|e| match e.kind() {
            io::ErrorKind::UnexpectedEof => bad("shorter than its header"),
            _ => DataError::new(path, DataErrorKind::Io(e)),
        })?;
        let header = Header::decode(&bytes).map_err(bad)?;
        let len = file
            .metadata()
            .map_err(|e| DataError::new(path, DataErrorKind::Io(e)))?
            .len();
        if header.file_len() != Some(len) {
            return Err(bad("its length does not match its bar count"));
        }
        Ok(Self {
            reader: BufReader::with_capacity(READ_BUFFER_BYTES, file),
            header,
            next_index: 0,
        })
    }

    /// Opens the cache file of a built series, checking that its header is still the
    /// one verified when the series was built (the whole file was checked then).
    ///
    /// # Errors
    /// As [`SeriesReader::open`], and [`DataErrorKind::BadCache`] when the file
    /// changed since.
    pub fn open_cached(series: &CachedSeries) -> Result<Self, DataError> {
        let reader = Self::open(&series.path).map_err(|e| {
            // Built (and checked) at the start of this run: a missing file now is an I/O
            // problem (a cleaner, a deleted output folder), not a missing input.
            if !matches!(e.kind, DataErrorKind::NotFound) {
                return e;
            }
            let folder = series.path.parent().unwrap_or(Path::new("."));
            let what = if folder.is_dir() {
                "the cache file was deleted during the run".to_owned()
            } else {
                format!(
                    "the cache folder {} was deleted during the run",
                    folder.display()
                )
            };
            DataError::new(
                &series.path,
                DataErrorKind::Io(io::Error::new(io::ErrorKind::NotFound, what)),
            )
        })?;
        let h = &reader.header;
        if (h.checksum, h.bars, h.first_time, h.last_time)
            != (
                series.checksum,
                series.bars,
                series.first_time,
                series.last_time,
            )
        {
            return Err(DataError::new(
                &series.path,
                DataErrorKind::BadCache {
                    detail: "it changed after it was checked at the start of this run",
                },
            ));
        }
        Ok(reader)
    }

    /// Number of bars in the file.
    #[must_use]
    pub fn bars(&self) -> u64 {
        self.header.bars
    }

    /// Timeframe in minutes.
    #[must_use]
    pub fn timeframe_minutes(&self) -> u32 {
        self.header.timeframe_minutes
    }

    /// Open time of the first bar, ms.
    #[must_use]
    pub fn first_time(&self) -> i64 {
        self.header.first_time
    }

    /// Open time of the last bar, ms.
    #[must_use]
    pub fn last_time(&self) -> i64 {
        self.header.last_time
    }

    /// The next bar; `Ok(None)` after the last.
    ///
    /// # Errors
    /// I/O errors, including a file that shrank under the reader.
    pub fn next_bar(&mut self) -> io::Result<Option<Bar>> {
        if self.next_index >= self.header.bars {
            return Ok(None);
        }
        let mut record = [0; RECORD_BYTES];
        self.reader.read_exact(&mut record)?;
        self.next_index += 1;
        Ok(Some(decode_bar(&record)))
    }

    /// Positions the reader at the first bar with `time >= t` (binary search
    /// over the fixed-width records; bars are in strictly increasing time).
    ///
    /// # Errors
    /// I/O errors.
    pub fn seek_to_time(&mut self, t: i64) -> io::Result<()> {
        let (mut lo, mut hi) = (0_u64, self.header.bars);
        if t <= self.header.first_time {
            hi = 0;
        } else if t > self.header.last_time {
            lo = hi;
        }
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            self.seek_index(mid)?;
            let mut time = [0; 8];
            self.reader.read_exact(&mut time)?;
            if i64::from_le_bytes(time) < t {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        self.seek_index(lo)
    }

    /// Back to the first bar.
    ///
    /// # Errors
    /// I/O errors.
    pub fn rewind(&mut self) -> io::Result<()> {
        self.seek_index(0)
    }

    fn seek_index(&mut self, index: u64) -> io::Result<()> {
        let offset = index
            .checked_mul(RECORD_BYTES as u64)
            .and_then(|o| o.checked_add(HEADER_BYTES as u64))
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "bar index out of range"))?;
        self.reader.seek(SeekFrom::Start(offset))?;
        self.next_index = index;
        Ok(())
    }
}
