//! Support for tests that run against real components: finding them (from the variables that
//! `tests/env/setup.sh` prints), free ports, child processes that never outlive a test, and
//! Docker resources named per test so they never touch another stack on the same engine.

pub mod bao;
pub mod bench;
pub mod browser;
pub mod certs;
pub mod docker;
pub mod env;
pub mod pebble;
pub mod postgres;
pub mod process;
pub mod site;
pub mod smtp;

pub use env::{Component, require};
pub use process::{ChildGuard, free_port, llama_child_endpoint, wait_for_http};
