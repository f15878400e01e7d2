//! One data file as a stream of validated bars.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use phasebound_core::Bar;
use sha2::{Digest, Sha256};

use super::READ_BUFFER_BYTES;
use super::archive::{self, MemberReader, archive_detail};
use super::csv::{CsvRows, RawRow};
use super::error::{DataError, DataErrorKind, Located};
use super::freqtrade::JsonRows;
use super::layout::{Layout, sniff_binary};
use super::time::TimeUnit;
use crate::input::{InputError, open_regular};

/// A `Read` that feeds every byte it passes through a SHA-256 (when enabled),
/// so a file can be hashed in the same read that parses it.
pub(crate) struct HashingReader {
    file: File,
    hasher: Option<Sha256>,
}

impl Read for HashingReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.file.read(buf)?;
        if let Some(h) = &mut self.hasher {
            h.update(buf.get(..n).unwrap_or_default());
        }
        Ok(n)
    }
}

/// The bytes a file's parser reads: the file itself, or the one member of a
/// zip archive (see [`super::archive`]). Hashing happens below either, on the
/// file's own bytes.
pub(crate) enum Source {
    Plain(HashingReader),
    Zip(Box<MemberReader<HashingReader>>),
}

impl Read for Source {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Source::Plain(r) => r.read(buf),
            Source::Zip(r) => r.read(buf),
        }
    }
}

type Input = BufReader<Source>;

/// An I/O error that carries an archive problem becomes
/// [`DataErrorKind::Archive`] (a data error, without a line: the problem is the
/// archive's, not a row's).
fn archive_kind(e: DataError) -> DataError {
    match &e.kind {
        DataErrorKind::Io(io) => match archive_detail(io) {
            Some(detail) => DataError::new(e.file, DataErrorKind::Archive { detail }),
            None => e,
        },
        _ => e,
    }
}

enum Rows {
    Csv(CsvRows<Input>),
    Json(JsonRows<Input>),
}

/// Opens a regular file for reading (see [`crate::input::open_regular`]): a missing
/// file is [`DataErrorKind::NotFound`] ([`DataErrorKind::DanglingLink`] for a link to
/// nothing), a FIFO or device [`DataErrorKind::NotRegularFile`], refused without
/// blocking.
pub(crate) fn open_file(path: &Path) -> Result<File, DataError> {
    open_regular(path).map_err(|e| {
        let kind = match e {
            InputError::NotRegular(what) => DataErrorKind::NotRegularFile { what },
            InputError::Io(e) if e.kind() == io::ErrorKind::NotFound => {
                if path.symlink_metadata().is_ok() {
                    DataErrorKind::DanglingLink
                } else {
                    DataErrorKind::NotFound
                }
            }
            InputError::Io(e) => DataErrorKind::Io(e),
            other => DataErrorKind::Io(io::Error::other(other.to_string())),
        };
        DataError::new(path, kind)
    })
}

/// The bars of one data file, parsed and validated as they stream by.
///
/// Any supported layout (see [`super::layout`]) is detected on
/// [`BarFile::open`], which also reads the first bar, so an empty or
/// header-only file fails there. Every bar is checked with [`Bar::validate`]
/// against the previous bar of the same file, and all timestamps must share
/// one unit. Cross-file checks (overlap, spacing) belong to the series (see
/// [`super::for_each_bar`]). Memory is one read buffer and one line buffer.
pub struct BarFile {
    path: PathBuf,
    rows: Rows,
    layout: Layout,
    unit: Option<TimeUnit>,
    previous_time: Option<i64>,
    pending: Option<Bar>,
    bars: u64,
}

impl BarFile {
    /// Opens `path`, detects its layout and reads its first bar.
    ///
    /// # Errors
    /// [`DataErrorKind::NotFound`], [`DataErrorKind::Io`],
    /// [`DataErrorKind::Empty`], [`DataErrorKind::HeaderOnly`],
    /// [`DataErrorKind::UnknownLayout`], or any error of the first row.
    pub fn open(path: &Path) -> Result<Self, DataError> {
        Self::open_inner(path, false)
    }

    /// As [`BarFile::open`], hashing the bytes as they are read
    /// (see [`BarFile::finish_hash`]).
    pub(crate) fn open_inner(path: &Path, hash: bool) -> Result<Self, DataError> {
        Self::open_source(path, hash).map_err(archive_kind)
    }

    fn open_source(path: &Path, hash: bool) -> Result<Self, DataError> {
        let mut file = open_file(path)?;
        let io_error = |e: io::Error| DataError::new(path, DataErrorKind::Io(e));
        let mut magic = [0_u8; 4];
        let mut got = 0;
        while got < magic.len() {
            match file.read(magic.get_mut(got..).unwrap_or_default()) {
                Ok(0) => break,
                Ok(n) => got += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(io_error(e)),
            }
        }
        let member = if archive::is_zip(magic.get(..got).unwrap_or_default()) {
            Some(archive::inspect(&file).map_err(|kind| DataError::new(path, kind))?)
        } else {
            None
        };
        file.seek(SeekFrom::Start(0)).map_err(io_error)?;
        let hasher = hash.then(Sha256::new);
        let plain = HashingReader { file, hasher };
        let source = match member {
            Some(member) => Source::Zip(Box::new(
                MemberReader::new(plain, member).map_err(io_error)?,
            )),
            None => Source::Plain(plain),
        };
        let mut input = BufReader::with_capacity(READ_BUFFER_BYTES, source);
        let start = input.fill_buf().map_err(io_error)?;
        if start.is_empty() {
            return Err(DataError::new(path, DataErrorKind::Empty));
        }
        if let Some(detail) = sniff_binary(start) {
            return Err(DataError::new(
                path,
                DataErrorKind::UnknownLayout {
                    detail: format!("the file is {detail}"),
                },
            ));
        }
        let bom = usize::from(start.starts_with(b"\xEF\xBB\xBF")) * 3;
        let is_json = start
            .get(bom..)
            .unwrap_or_default()
            .iter()
            .find(|b| !b.is_ascii_whitespace())
            == Some(&b'[');
        if let Some(detail) = super::layout::sniff_text_encoding(start, !is_json) {
            return Err(DataError::new(
                path,
                DataErrorKind::UnknownLayout {
                    detail: detail.to_owned(),
                },
            ));
        }
        input.consume(bom);
        let located = |l: Located| l.in_file(path);
        let (rows, layout) = if is_json {
            (
                Rows::Json(JsonRows::open(input).map_err(located)?),
                Layout::FreqtradeJson,
            )
        } else {
            match CsvRows::open(input).map_err(located)? {
                Some(csv) => {
                    let layout = csv.layout();
                    (Rows::Csv(csv), layout)
                }
                None => return Err(DataError::new(path, DataErrorKind::Empty)),
            }
        };
        let mut file = Self {
            path: path.to_path_buf(),
            rows,
            layout,
            unit: None,
            previous_time: None,
            pending: None,
            bars: 0,
        };
        match file.read_bar()? {
            Some(bar) => file.pending = Some(bar),
            None if layout.has_header() => {
                return Err(DataError::new(path, DataErrorKind::HeaderOnly));
            }
            None => return Err(DataError::new(path, DataErrorKind::Empty)),
        }
        Ok(file)
    }

    /// The file's path as given.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The detected layout.
    #[must_use]
    pub fn layout(&self) -> Layout {
        self.layout
    }

    /// The unit of the file's timestamps (known once the first bar is read,
    /// i.e. always after a successful [`BarFile::open`]).
    #[must_use]
    pub fn time_unit(&self) -> Option<TimeUnit> {
        self.unit
    }

    /// The next validated bar (time in ms); `Ok(None)` at the end of the file.
    ///
    /// # Errors
    /// The first problem found, with its line (and candle number for json).
    pub fn next_bar(&mut self) -> Result<Option<Bar>, DataError> {
        let bar = match self.pending.take() {
            Some(bar) => Some(bar),
            None => self.read_bar()?,
        };
        self.bars += u64::from(bar.is_some());
        Ok(bar)
    }

    /// Bars returned by [`BarFile::next_bar`] so far.
    #[must_use]
    pub fn bars_read(&self) -> u64 {
        self.bars
    }

    /// An error at the position of the last bar read.
    pub(crate) fn error_here(&self, kind: DataErrorKind) -> DataError {
        let (line, record) = match &self.rows {
            Rows::Csv(c) => (c.line(), None),
            Rows::Json(j) => (j.line(), (j.record() > 0).then_some(j.record())),
        };
        DataError {
            file: self.path.clone(),
            line: Some(line),
            record,
            kind,
        }
    }

    /// The SHA-256 of every byte read so far, if hashing was enabled; after
    /// `next_bar` returned `Ok(None)` that is the whole file. For a zip archive
    /// the bytes after its member (the archive's directory) are read and hashed
    /// here, so the hash covers the whole file too; `None` if that read fails.
    pub(crate) fn finish_hash(self) -> Option<[u8; 32]> {
        let reader = match self.rows {
            Rows::Csv(c) => c.into_reader(),
            Rows::Json(j) => j.into_reader(),
        };
        let plain = match reader.into_inner() {
            Source::Plain(r) => r,
            Source::Zip(member) => {
                let mut rest = member.into_inner();
                io::copy(&mut rest, &mut io::sink()).ok()?;
                rest
            }
        };
        plain.hasher.map(|h| h.finalize().into())
    }

    fn read_bar(&mut self) -> Result<Option<Bar>, DataError> {
        let row = match &mut self.rows {
            Rows::Csv(c) => c.next_row(),
            Rows::Json(j) => j.next_row(),
        }
        .map_err(|l| archive_kind(l.in_file(&self.path)))?;
        let Some(RawRow {
            time,
            values: [open, high, low, close, volume],
        }) = row
        else {
            return Ok(None);
        };
        let Some(unit) = TimeUnit::detect(time) else {
            return Err(self.error_here(DataErrorKind::BadTimestamp { raw: time }));
        };
        match self.unit {
            Some(expected) if expected != unit => {
                return Err(self.error_here(DataErrorKind::MixedTimeUnits {
                    expected,
                    got: unit,
                    other: None,
                }));
            }
            _ => self.unit = Some(unit),
        }
        let bar = Bar {
            time: unit.to_millis(time),
            open,
            high,
            low,
            close,
            volume,
        };
        if let Err(error) = bar.validate(self.previous_time) {
            return Err(self.error_here(DataErrorKind::InvalidBar {
                error,
                bar: Box::new(bar),
            }));
        }
        self.previous_time = Some(bar.time);
        Ok(Some(bar))
    }
}
