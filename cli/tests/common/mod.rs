//! Helpers of the program's tests: the workspace's shared test helpers (fixtures, tolerances,
//! the law tests' data), and running the binary.

#![allow(dead_code)]

#[path = "../../../tests/common/mod.rs"]
mod shared;
#[allow(unused_imports)]
pub use shared::*;

pub mod cli;
pub mod http;
