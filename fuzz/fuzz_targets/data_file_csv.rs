#![no_main]
//! Fuzz target `data_file_csv`: see `phasebound_fuzz::entries::data_file_csv`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| phasebound_fuzz::entries::data_file_csv(data));
