#![no_main]
//! Fuzz target `wire`: see `phasebound_fuzz::entries::wire_decode`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| phasebound_fuzz::entries::wire_decode(data));
