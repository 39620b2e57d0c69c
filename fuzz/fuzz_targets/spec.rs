#![no_main]
//! Fuzz target `spec`: see `tidewater_fuzz::checks::spec` for what it asserts.
libfuzzer_sys::fuzz_target!(|data: &[u8]| tidewater_fuzz::checks::spec(data));
