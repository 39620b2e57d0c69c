#![no_main]
//! Fuzz target `libsvm`: see `tidewater_fuzz::checks::libsvm` for what it asserts.
libfuzzer_sys::fuzz_target!(|data: &[u8]| tidewater_fuzz::checks::libsvm(data));
