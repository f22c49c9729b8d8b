//! The integration tests of `tests`, one binary (as cargo's own `tests/testsuite`).

mod setup_script;
mod smoke;
