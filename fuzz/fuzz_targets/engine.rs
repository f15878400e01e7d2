#![no_main]
//! Fuzz target `engine`: see `phasebound_fuzz::entries::engine`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| phasebound_fuzz::entries::engine(data));
