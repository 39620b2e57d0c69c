#![no_main]
//! Fuzz target `csv`: see `tidewater_fuzz::checks::csv` for what it asserts.
libfuzzer_sys::fuzz_target!(|data: &[u8]| tidewater_fuzz::checks::csv(data));
