//! Integration tests of the `phasebound` host, one module per area, in a single test binary.
//! Real-data tests read `../shared/data/` and print a SKIP line when it is absent.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout
)]

mod bad_input;
mod bad_input_more;
mod cache_integrity;
mod cgroup;
mod cli;
mod config;
mod crash;
mod data;
mod download;
mod exits;
mod exits_limits;
mod export;
mod inputs;
mod layering;
mod layouts;
mod limits;
mod pipeline;
mod scale;
mod see_it;
mod shard;
mod synth;
mod targets;
mod timerange;
mod verdict;
mod zips;
