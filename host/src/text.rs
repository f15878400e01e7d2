//! Raw input echoed in messages, made visible: control bytes would otherwise vanish in
//! a terminal (a NUL, a bell) or break the message across lines.

/// `s` with every control character escaped: `\0`, `\t`, `\r`, `\n`, `\\`-free
/// `\xNN` for the other C0 controls and DEL, `\u{NN}` for the C1 controls (U+0080 to
/// U+009F) and the byte-order mark U+FEFF. Everything else is kept as it is.
#[must_use]
pub fn escape_controls(s: &str) -> String {
    use std::fmt::Write as _;
    if !s.chars().any(needs_escape) {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\0' => out.push_str("\\0"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\n' => out.push_str("\\n"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if needs_escape(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

fn needs_escape(c: char) -> bool {
    c.is_control() || c == '\u{feff}'
}
