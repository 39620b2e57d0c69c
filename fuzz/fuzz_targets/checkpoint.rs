#![no_main]
//! Fuzz target `checkpoint`: see `tidewater_fuzz::checks::checkpoint` for what it asserts.
libfuzzer_sys::fuzz_target!(|data: &[u8]| tidewater_fuzz::checks::checkpoint(data));
