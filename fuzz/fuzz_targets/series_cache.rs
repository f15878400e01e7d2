#![no_main]
//! Fuzz target `series_cache`: see `phasebound_fuzz::entries::series_cache`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| phasebound_fuzz::entries::series_cache(data));
