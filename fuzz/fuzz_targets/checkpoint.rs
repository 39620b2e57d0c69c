#![no_main]
//! Fuzz target `checkpoint`: see `tidewater_fuzz::checks::checkpoint` for what it asserts.
libfuzzer_sys::fuzz_target!(
    init: tidewater_fuzz::catch_stack_overflows(),
    |data: &[u8]| tidewater_fuzz::checks::checkpoint(data)
);
