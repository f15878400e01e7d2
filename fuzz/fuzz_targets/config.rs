#![no_main]
//! Fuzz target `config`: see `phasebound_fuzz::entries::config`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| phasebound_fuzz::entries::config(data));
