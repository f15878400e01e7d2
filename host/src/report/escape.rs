//! Text into HTML: the one escape every page and chart uses.

/// `text` with `&`, `<`, `>` and `"` escaped, for element text and attribute values.
pub(super) fn esc(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
