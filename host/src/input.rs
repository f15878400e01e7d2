//! Opening input files safely: every file the program reads (data, `.CHECKSUM`, config,
//! `--previous`, entries, cache) is opened here, once per read, and must be a regular
//! file.
//!
//! A FIFO, a terminal or a device is refused at once instead of blocking or reading
//! forever: the file is opened with `O_NONBLOCK` (so opening a FIFO without a writer
//! returns at once instead of waiting for one) and its type is checked on the open file
//! descriptor (`fstat`), so no swap between a check and the open can slip through. On a
//! regular file `O_NONBLOCK` changes nothing. Small files (config, `--previous`) are
//! read whole but only up to a bound ([`MAX_SMALL_FILE_BYTES`]); everything else is
//! streamed.

use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::{self, Read};
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::Path;

/// Largest config or `--previous` file read, bytes (1 MiB: a config is about 10 KiB,
/// a `params.json` about 2 KiB).
pub const MAX_SMALL_FILE_BYTES: u64 = 1 << 20;

/// Why an input file could not be opened or read.
#[derive(Debug)]
pub enum InputError {
    /// The path is not a regular file: what it is instead.
    NotRegular(&'static str),
    /// The file holds more than the bound for its kind.
    TooLarge {
        /// Its size, bytes (at least; it may be growing).
        size: u64,
        /// The bound, bytes.
        max: u64,
    },
    /// The file is not UTF-8 text.
    NotUtf8,
    /// An I/O error (`NotFound` among them).
    Io(io::Error),
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InputError::NotRegular(what) => {
                write!(f, "not a regular file ({what}); give a regular file")
            }
            InputError::TooLarge { size, max } => {
                write!(f, "file too large ({size} bytes, at most {max})")
            }
            InputError::NotUtf8 => f.write_str("not UTF-8 text"),
            InputError::Io(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for InputError {}

impl From<io::Error> for InputError {
    fn from(e: io::Error) -> Self {
        InputError::Io(e)
    }
}

/// What a file type is, in words.
fn describe(t: std::fs::FileType) -> &'static str {
    if t.is_dir() {
        "a folder"
    } else if t.is_fifo() {
        "a named pipe (FIFO)"
    } else if t.is_char_device() {
        "a character device"
    } else if t.is_block_device() {
        "a block device"
    } else if t.is_socket() {
        "a socket"
    } else {
        "not a regular file"
    }
}

/// Opens `path` for reading if it is a regular file (following symbolic links),
/// without ever blocking on a FIFO.
///
/// # Errors
/// [`InputError::NotRegular`], or [`InputError::Io`] (`NotFound` for a missing file or
/// a dangling link).
pub fn open_regular(path: &Path) -> Result<File, InputError> {
    let nonblock = rustix::fs::OFlags::NONBLOCK.bits();
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(nonblock.try_into().unwrap_or_default())
        .open(path)?;
    let kind = file.metadata()?.file_type();
    if !kind.is_file() {
        return Err(InputError::NotRegular(describe(kind)));
    }
    Ok(file)
}

/// Reads a small text file whole: a regular file of at most `max` bytes.
///
/// # Errors
/// As [`read_small_bytes`], and [`InputError::NotUtf8`].
pub fn read_small_text(path: &Path, max: u64) -> Result<String, InputError> {
    String::from_utf8(read_small_bytes(path, max)?).map_err(|_| InputError::NotUtf8)
}

/// Reads a small file whole: a regular file of at most `max` bytes.
///
/// # Errors
/// As [`open_regular`], and [`InputError::TooLarge`] (also for a file that grows past
/// the bound while read).
pub fn read_small_bytes(path: &Path, max: u64) -> Result<Vec<u8>, InputError> {
    let file = open_regular(path)?;
    let size = file.metadata()?.len();
    if size > max {
        return Err(InputError::TooLarge { size, max });
    }
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or_default());
    file.take(max + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max {
        return Err(InputError::TooLarge {
            size: bytes.len() as u64,
            max,
        });
    }
    Ok(bytes)
}
