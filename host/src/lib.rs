//! # phasebound (host)
//!
//! The command-line tool around [`phasebound_core`]: reads kline files (Binance
//! public-data CSV, freqtrade json, plain CSV) into a compact cache, streams them through
//! the core's phases, and writes `report.json`, `params.json` (what the live bot reads)
//! and `run.json` atomically. See the README for the commands and `error` for exit codes.
#![forbid(unsafe_code)]

pub mod args;
pub mod cgroup;
pub mod cli;
pub mod config;
pub mod data;
pub mod decision;
pub mod download;
pub mod error;
pub mod exits;
pub mod export;
pub mod fixtures;
pub mod input;
pub mod memory;
pub mod output;
pub mod pipeline;
pub mod procedure;
pub mod progress;
pub mod report;
pub mod resources;
pub mod scenarios;
pub mod source;
pub mod synth;
pub mod text;
pub mod trades;
pub mod workspace;
