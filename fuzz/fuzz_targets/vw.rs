#![no_main]
//! Fuzz target `vw`: see `tidewater_fuzz::checks::vw` for what it asserts.
libfuzzer_sys::fuzz_target!(|data: &[u8]| tidewater_fuzz::checks::vw(data));
