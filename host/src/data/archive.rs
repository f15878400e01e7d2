//! Zip archives as Binance publishes them, read in place, and `.CHECKSUM` files.
//!
//! Binance's public kline data comes as `BTCUSDT-15m-2024-03.zip`, one CSV
//! member inside, with `BTCUSDT-15m-2024-03.zip.CHECKSUM` beside it
//! (`sha256sum` output: `<64 hex digits>  <file name>`). A zip file is told
//! by its first bytes (not its name) and read without extracting it: the
//! `zip` crate parses the archive's directory, then the one member's bytes are
//! streamed from the file through a raw-deflate decoder (`flate2`), so memory
//! is the decoder's fixed state (about 32 KiB of window plus its buffers) and
//! the usual read buffer, whatever the member's size.
//!
//! Refused, as data errors (exit 3) naming the file: an archive that is not a
//! valid zip, holds no member or more than one (also under one name), whose member is a folder or
//! sits in a folder (a nested path), is encrypted, uses a compression method
//! other than deflate or none, or declares more than [`MAX_MEMBER_BYTES`]
//! uncompressed. While the member streams, decoding stops with an error as
//! soon as it yields more bytes than its header declares (a decompression bomb
//! or a lying header), and a member that ends short of its declared size, or
//! whose CRC-32 does not match, is refused. So the work spent on one archive is
//! bounded by its declared size, itself at most [`MAX_MEMBER_BYTES`].
//!
//! A `<file>.CHECKSUM` beside any input file is verified against the SHA-256
//! of the file's bytes (the same hash as the cache key and `run.inputs`); a
//! mismatch or an unreadable checksum file is a data error (exit 3).

use std::fs::File;
use std::io::{self, Read, Take};
use std::path::{Path, PathBuf};

use flate2::Crc;
use flate2::read::DeflateDecoder;

use super::error::{ChecksumMismatch, DataError, DataErrorKind};

/// Largest uncompressed member accepted, bytes (256 MiB). A month of Binance
/// 1m klines is about 6 MB of CSV (1m is the shortest supported timeframe),
/// so this leaves 40× of room. It bounds the work a hostile archive can cause:
/// the costliest bomb, 256 MiB of blank lines (which the CSV reader skips)
/// in about 0.5 MB of deflate, is read to its end and refused after about
/// 7 s (measured on an optimized build; a 1 GiB cap made it 25 s), in 5 MiB.
pub const MAX_MEMBER_BYTES: u64 = 256 << 20;

/// Largest `.CHECKSUM` file read, bytes (Binance's are about 100).
const MAX_CHECKSUM_BYTES: u64 = 4096;

/// Whether a file starting with `prefix` is a zip archive (a local file
/// header, or the end record of an empty archive).
pub(crate) fn is_zip(prefix: &[u8]) -> bool {
    prefix.starts_with(b"PK\x03\x04") || prefix.starts_with(b"PK\x05\x06")
}

/// A problem with the archive itself, carried through `io::Error` while the
/// member streams and turned into [`DataErrorKind::Archive`] by the reader.
#[derive(Debug)]
pub(crate) struct ArchiveError(pub String);

impl std::fmt::Display for ArchiveError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ArchiveError {}

fn archive_io(detail: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, ArchiveError(detail))
}

/// The archive problem inside an I/O error, if it is one.
pub(crate) fn archive_detail(e: &io::Error) -> Option<String> {
    e.get_ref()
        .and_then(|inner| inner.downcast_ref::<ArchiveError>())
        .map(|a| a.0.clone())
}

/// What the archive's directory says about its one member.
#[derive(Clone, Debug)]
pub(crate) struct Member {
    /// The member's name inside the archive.
    pub name: String,
    data_start: u64,
    compressed: u64,
    size: u64,
    crc32: u32,
    deflated: bool,
}

fn refuse(detail: impl Into<String>) -> DataErrorKind {
    DataErrorKind::Archive {
        detail: detail.into(),
    }
}

/// Reads the archive's directory and checks its one member (see the module docs).
pub(crate) fn inspect(file: &File) -> Result<Member, DataErrorKind> {
    let len = file.metadata().map_err(DataErrorKind::Io)?.len();
    let mut archive =
        zip::ZipArchive::new(file).map_err(|e| refuse(format!("not a valid zip archive: {e}")))?;
    match archive.len() {
        0 => return Err(refuse("the zip archive holds no file")),
        1 => {}
        n => {
            return Err(refuse(format!(
                "the zip archive holds {n} members; expected exactly one CSV file, as Binance publishes"
            )));
        }
    }
    // The directory is indexed by name: members sharing a name count once in `len`.
    if archive.has_duplicate_names() {
        return Err(refuse(
            "the zip archive holds several members of the same name; expected exactly one CSV file, as Binance publishes",
        ));
    }
    let entry = archive
        .by_index_raw(0)
        .map_err(|e| refuse(format!("not a valid zip archive: {e}")))?;
    let name: String = String::from_utf8_lossy(entry.name_raw())
        .chars()
        .take(200)
        .collect();
    if entry.is_dir() || name.ends_with('/') || name.ends_with('\\') {
        return Err(refuse(format!(
            "the archive's only member '{name}' is a folder, not a data file"
        )));
    }
    if name.contains(['/', '\\']) || name.is_empty() || name == ".." {
        return Err(refuse(format!(
            "the member '{name}' has a folder path; expected one data file at the top of the archive"
        )));
    }
    if entry.encrypted() {
        return Err(refuse(format!(
            "the member '{name}' is encrypted; phasebound reads unencrypted archives only"
        )));
    }
    let method = entry.compression();
    let stored = method == zip::CompressionMethod::STORE;
    let deflated = method == zip::CompressionMethod::DEFLATE;
    if !(stored || deflated) {
        return Err(refuse(format!(
            "the member '{name}' uses compression {method:?}; only deflate and stored members are read"
        )));
    }
    let size = entry.size();
    if size > MAX_MEMBER_BYTES {
        return Err(refuse(format!(
            "the member '{name}' declares {size} bytes uncompressed, over the {} MiB limit",
            MAX_MEMBER_BYTES >> 20
        )));
    }
    let compressed = entry.compressed_size();
    let data_start = entry
        .data_start()
        .ok_or_else(|| refuse(format!("the member '{name}' has no readable local header")))?;
    if data_start
        .checked_add(compressed)
        .is_none_or(|end| end > len)
    {
        return Err(refuse(format!(
            "the member '{name}' declares {compressed} compressed bytes from offset {data_start}, past the end of the {len}-byte file: the archive is truncated or its header lies"
        )));
    }
    if stored && compressed != size {
        return Err(refuse(format!(
            "the stored member '{name}' declares {size} bytes but holds {compressed}"
        )));
    }
    Ok(Member {
        data_start,
        compressed,
        size,
        crc32: entry.crc32(),
        deflated,
        name,
    })
}

enum Decoder<R: Read> {
    Stored(Take<R>),
    Deflated(DeflateDecoder<Take<R>>),
}

/// The uncompressed bytes of the member, checked against its declared size
/// and CRC-32 as they stream (see the module docs). `R` reads the archive from
/// its first byte; every byte of it passes through `R` exactly once, in order,
/// when the reader is drained with [`MemberReader::into_inner`].
pub(crate) struct MemberReader<R: Read> {
    decoder: Decoder<R>,
    name: String,
    declared: u64,
    produced: u64,
    crc: Crc,
    expected_crc: u32,
}

impl<R: Read> MemberReader<R> {
    /// Skips to the member's data (reading the bytes before it) and starts decoding.
    pub(crate) fn new(mut inner: R, member: Member) -> io::Result<Self> {
        let skipped = io::copy(&mut (&mut inner).take(member.data_start), &mut io::sink())?;
        if skipped != member.data_start {
            return Err(archive_io(
                "the archive is shorter than its directory says".into(),
            ));
        }
        let take = inner.take(member.compressed);
        let decoder = if member.deflated {
            Decoder::Deflated(DeflateDecoder::new(take))
        } else {
            Decoder::Stored(take)
        };
        Ok(Self {
            decoder,
            name: member.name,
            declared: member.size,
            produced: 0,
            crc: Crc::new(),
            expected_crc: member.crc32,
        })
    }

    /// The archive reader, positioned after the member's data; the bytes the
    /// decoder had buffered were read from it already.
    pub(crate) fn into_inner(self) -> R {
        match self.decoder {
            Decoder::Stored(t) => t.into_inner(),
            Decoder::Deflated(d) => d.into_inner().into_inner(),
        }
    }
}

impl<R: Read> Read for MemberReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        // Never decode more than one byte past the declared size.
        let room = (self.declared - self.produced.min(self.declared))
            .saturating_add(1)
            .min(buf.len() as u64) as usize;
        let window = buf.get_mut(..room).unwrap_or_default();
        let result = match &mut self.decoder {
            Decoder::Stored(t) => t.read(window),
            Decoder::Deflated(d) => d.read(window),
        };
        let n = match result {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => return Err(e),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::InvalidData
                        | io::ErrorKind::InvalidInput
                        | io::ErrorKind::UnexpectedEof
                ) =>
            {
                return Err(archive_io(format!(
                    "the compressed data of '{}' is damaged ({e})",
                    self.name
                )));
            }
            Err(e) => return Err(e),
        };
        if n == 0 {
            if self.produced < self.declared {
                return Err(archive_io(format!(
                    "'{}' ends after {} bytes, but the archive declares {}: it is truncated or its header lies",
                    self.name, self.produced, self.declared
                )));
            }
            if self.crc.sum() != self.expected_crc {
                return Err(archive_io(format!(
                    "the CRC-32 of '{}' is {:08x}, but the archive declares {:08x}: the archive is damaged",
                    self.name,
                    self.crc.sum(),
                    self.expected_crc
                )));
            }
            return Ok(0);
        }
        self.produced += n as u64;
        if self.produced > self.declared {
            return Err(archive_io(format!(
                "'{}' decompresses to more than the {} bytes the archive declares (a decompression bomb or a lying header); reading stopped",
                self.name, self.declared
            )));
        }
        self.crc.update(buf.get(..n).unwrap_or_default());
        Ok(n)
    }
}

/// The SHA-256 (lower-case hex) a checksum file's text starts with
/// (`<64 hex digits>  <file name>`, as `sha256sum` writes it).
#[must_use]
pub fn parse_checksum(text: &str) -> Option<String> {
    text.split_whitespace()
        .next()
        .filter(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()))
        .map(str::to_ascii_lowercase)
}

/// The `.CHECKSUM` file beside `path` (`X.zip` → `X.zip.CHECKSUM`).
#[must_use]
pub fn checksum_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".CHECKSUM");
    PathBuf::from(name)
}

/// Checks `sha256` (the file's bytes) against a `.CHECKSUM` file beside
/// `path`, when there is one.
///
/// # Errors
/// [`DataErrorKind::ChecksumMismatch`], [`DataErrorKind::BadChecksumFile`]
/// (exit 3), or an I/O error reading the checksum file.
pub fn verify_checksum(path: &Path, sha256: &[u8; 32]) -> Result<(), DataError> {
    let sum_path = checksum_path(path);
    let file = match crate::input::open_regular(&sum_path) {
        Ok(f) => f,
        Err(crate::input::InputError::Io(e)) if e.kind() == io::ErrorKind::NotFound => {
            return Ok(());
        }
        Err(crate::input::InputError::NotRegular(what)) => {
            return Err(DataError::new(
                &sum_path,
                DataErrorKind::NotRegularFile { what },
            ));
        }
        Err(e) => {
            return Err(DataError::new(
                &sum_path,
                DataErrorKind::Io(io::Error::other(e.to_string())),
            ));
        }
    };
    let mut bytes = Vec::new();
    file.take(MAX_CHECKSUM_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| DataError::new(&sum_path, DataErrorKind::Io(e)))?;
    let bad = |detail: &str| {
        DataError::new(
            &sum_path,
            DataErrorKind::BadChecksumFile {
                detail: detail.to_owned(),
            },
        )
    };
    if bytes.len() as u64 > MAX_CHECKSUM_BYTES {
        return Err(bad(
            "longer than 4 KiB; expected `<sha256 hex>  <file name>`",
        ));
    }
    let text = std::str::from_utf8(&bytes).map_err(|_| bad("not UTF-8 text"))?;
    let expected =
        parse_checksum(text).ok_or_else(|| bad("does not start with a SHA-256 (64 hex digits)"))?;
    let got: String = sha256.iter().map(|b| format!("{b:02x}")).collect();
    if expected != got {
        return Err(DataError::new(
            path,
            DataErrorKind::ChecksumMismatch(Box::new(ChecksumMismatch {
                checksum_file: sum_path,
                expected,
                got,
            })),
        ));
    }
    Ok(())
}
