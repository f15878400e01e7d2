#![no_main]
//! Fuzz target `previous`: see `phasebound_fuzz::entries::previous`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| phasebound_fuzz::entries::previous(data));
