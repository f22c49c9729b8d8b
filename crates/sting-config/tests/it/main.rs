//! The integration tests of `crates/sting-config`, one binary (as cargo's own `tests/testsuite`).

mod migration;
mod validation;
