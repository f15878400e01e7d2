#![no_main]
//! Fuzz target `data_file`: see `phasebound_fuzz::entries::data_file`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| phasebound_fuzz::entries::data_file(data));
