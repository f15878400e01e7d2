//! Integration tests of phasebound-core, one module per area, in a single test binary.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod budget;
mod engine;
mod phase;
mod indicators;
mod sampling;
mod signal;
mod stats;
mod support;
mod wire;
