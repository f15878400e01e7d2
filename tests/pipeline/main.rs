//! Cross-crate pipeline tests: the host's run, in process, against the core.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
