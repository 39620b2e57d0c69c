#![no_main]
//! Fuzz target `number`: see `tidewater_fuzz::checks::number` for what it asserts.
libfuzzer_sys::fuzz_target!(|data: &[u8]| tidewater_fuzz::checks::number(data));
