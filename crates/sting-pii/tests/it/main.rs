//! The integration tests of `crates/sting-pii`, one binary (as cargo's own `tests/testsuite`).

mod accuracy;
mod scan;
