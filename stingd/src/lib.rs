//! stingd, the STING-CE daemon: the HTTPS front door and the OpenAI-compatible gateway over the
//! llama.cpp supervisor (identity and Honey Jars arrive with their issues).

pub mod app;
pub mod bee;
pub mod beeacon;
pub mod db;
pub mod envelope;
pub mod gateway;
pub mod gpu;
pub mod honey_jars;
pub mod http;
pub mod identity;
pub mod mail;
pub mod markdown;
pub mod notifications;
pub mod phase;
pub mod sandbox;
pub mod supervisor;
pub mod tasks;
pub mod tls;
pub mod vault;
pub mod web;
