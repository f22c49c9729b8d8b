//! msting's integration tests, one binary (as cargo's own `tests/testsuite`): each module is a
//! command tried against real parts (the Docker engine, OpenBao, PostgreSQL, Pebble), `common`
//! what they share. One binary links the crate once.

mod acme;
mod backup;
mod cli;
mod common;
mod compose;
mod doctor;
mod first_install;
mod health;
mod images;
mod install;
mod models;
mod preflight;
mod restore;
mod stack_resources;
mod tls;
mod vault;
