#![no_main]
//! Fuzz target `data_file_json`: see `phasebound_fuzz::entries::data_file_json`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| phasebound_fuzz::entries::data_file_json(data));
