//! Integration tests of phasebound-core, one module per area, in a single test binary.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod batch;
mod budget;
mod engine;
mod external;
mod first_passage;
mod indicators;
mod phase;
mod portfolio;
mod sampling;
mod signal;
mod significance;
mod sim;
mod stats;
mod support;
mod walk_forward;
mod wire;
