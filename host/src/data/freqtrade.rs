//! Streaming reader of freqtrade json data files: `[[t,o,h,l,c,v],...]`.
//!
//! A small hand-written tokenizer over a `BufRead`, one byte of look-ahead and
//! a fixed 48-byte buffer per number, so memory does not depend on the file
//! size (a whole data set usually sits on one line). Blanks may appear between
//! tokens. Each candle must hold exactly six numbers; `NaN` and `Infinity`,
//! which Python's json module writes, are read and then refused by validation
//! with their value in the message. Anything after the closing `]` other than
//! blanks is an error, so a concatenated or truncated file is never half-read.

use std::io::BufRead;

use super::csv::{RawRow, not_number, parse_time, parse_value};
use super::error::{DataErrorKind, Located};

/// Longest number token kept (longer ones are reported cut to 40 characters).
const TOKEN_BYTES: usize = 48;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// After the opening `[`: a candle or `]` (empty data) comes next.
    First,
    /// After a candle: `,` or `]`.
    Next,
    /// After the closing `]`.
    Done,
}

/// The candles of one freqtrade json file.
pub(crate) struct JsonRows<R> {
    reader: R,
    line: u64,
    record: u64,
    state: State,
}

impl<R: BufRead> JsonRows<R> {
    /// Reads up to and including the opening `[`.
    pub(crate) fn open(reader: R) -> Result<Self, Located> {
        let mut rows = Self {
            reader,
            line: 1,
            record: 0,
            state: State::First,
        };
        rows.skip_blanks()?;
        rows.expect(b'[', "'[' opening the list of candles")?;
        Ok(rows)
    }

    /// Line of the current position (1-based).
    pub(crate) fn line(&self) -> u64 {
        self.line
    }

    /// Number of the last candle read (1-based; 0 before the first).
    pub(crate) fn record(&self) -> u64 {
        self.record
    }

    /// The underlying reader.
    pub(crate) fn into_reader(self) -> R {
        self.reader
    }

    /// The next candle; `Ok(None)` after the closing `]`.
    pub(crate) fn next_row(&mut self) -> Result<Option<RawRow>, Located> {
        match self.state {
            State::Done => return Ok(None),
            State::First => {
                self.skip_blanks()?;
                if self.peek()? == Some(b']') {
                    self.bump();
                    return self.finish();
                }
            }
            State::Next => {
                self.skip_blanks()?;
                match self.peek()? {
                    Some(b',') => {
                        self.bump();
                        self.skip_blanks()?;
                    }
                    Some(b']') => {
                        self.bump();
                        return self.finish();
                    }
                    found => return Err(self.syntax("',' or ']' after a candle", found)),
                }
            }
        }
        self.state = State::Next;
        self.record += 1;
        self.expect(b'[', "'[' opening a candle")?;
        self.candle().map(Some)
    }

    /// The values of one candle, after its `[`, through its `]`.
    fn candle(&mut self) -> Result<RawRow, Located> {
        let mut row = RawRow {
            time: 0,
            values: [0.0; 5],
        };
        let mut count = 0_usize;
        self.skip_blanks()?;
        if self.peek()? == Some(b']') {
            return Err(self.here(DataErrorKind::WrongColumnCount {
                expected: 6,
                got: 0,
            }));
        }
        loop {
            let mut token = [0_u8; TOKEN_BYTES];
            let mut len = 0_usize;
            let mut too_long = false;
            while let Some(b) = self.peek()? {
                if !(b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.')) {
                    break;
                }
                match token.get_mut(len) {
                    Some(slot) => *slot = b,
                    None => too_long = true,
                }
                len += 1;
                self.bump();
            }
            if len == 0 {
                let found = self.peek()?;
                return Err(self.syntax("a number", found));
            }
            let kept = token.get(..len.min(TOKEN_BYTES)).unwrap_or_default();
            // Only ASCII bytes were collected, so this cannot fail.
            let text = std::str::from_utf8(kept).unwrap_or_default();
            if too_long {
                return Err(self.here(not_number(count, text)));
            }
            match count {
                0 => row.time = parse_time(text).map_err(|k| self.here(k))?,
                1..=5 => {
                    let v = parse_value(count, text).map_err(|k| self.here(k))?;
                    if let Some(slot) = row.values.get_mut(count - 1) {
                        *slot = v;
                    }
                }
                _ => {}
            }
            count += 1;
            self.skip_blanks()?;
            match self.peek()? {
                Some(b',') => {
                    self.bump();
                    self.skip_blanks()?;
                }
                Some(b']') => {
                    self.bump();
                    break;
                }
                found => return Err(self.syntax("',' or ']' inside a candle", found)),
            }
        }
        if count != 6 {
            return Err(self.here(DataErrorKind::WrongColumnCount {
                expected: 6,
                got: count,
            }));
        }
        Ok(row)
    }

    /// After the closing `]`: only blanks may follow.
    fn finish(&mut self) -> Result<Option<RawRow>, Located> {
        self.state = State::Done;
        self.skip_blanks()?;
        match self.peek()? {
            None => Ok(None),
            found => Err(self.syntax("the end of the file after the closing ']'", found)),
        }
    }

    fn expect(&mut self, byte: u8, what: &'static str) -> Result<(), Located> {
        match self.peek()? {
            Some(b) if b == byte => {
                self.bump();
                Ok(())
            }
            found => Err(self.syntax(what, found)),
        }
    }

    fn skip_blanks(&mut self) -> Result<(), Located> {
        while let Some(b) = self.peek()? {
            if !b.is_ascii_whitespace() {
                break;
            }
            if b == b'\n' {
                self.line += 1;
            }
            self.bump();
        }
        Ok(())
    }

    fn peek(&mut self) -> Result<Option<u8>, Located> {
        loop {
            match self.reader.fill_buf() {
                Ok(buf) => return Ok(buf.first().copied()),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(self.here(DataErrorKind::Io(e))),
            }
        }
    }

    /// Consumes the byte just peeked.
    fn bump(&mut self) {
        self.reader.consume(1);
    }

    fn syntax(&self, expected: &'static str, found: Option<u8>) -> Located {
        self.here(DataErrorKind::JsonSyntax { expected, found })
    }

    fn here(&self, kind: DataErrorKind) -> Located {
        Located {
            line: Some(self.line),
            record: (self.record > 0).then_some(self.record),
            kind,
        }
    }
}
