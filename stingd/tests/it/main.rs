//! stingd's integration tests, one binary (as cargo's own `tests/testsuite`): each module is a
//! feature tried against real parts, `common` what they share. One binary links the crate once.

mod access;
mod account;
mod api_tokens;
mod bee;
mod cache_limits_remote;
mod certificates;
mod check_config;
mod common;
mod database;
mod documents;
mod embeddings;
mod extract;
mod gateway;
mod honey_jars;
mod https;
mod identity;
mod identity_gateway;
mod kratos;
mod magic_links;
mod notifications;
mod openai_client;
mod openapi;
mod passkeys;
mod pii_cli;
mod registration;
mod remote_redaction;
mod sandbox;
mod session_binding;
mod sessions;
mod signin;
mod user_zones;
mod vault;
mod web;
mod zones;
