//! stingd, the STING-CE daemon: the HTTPS front door and the OpenAI-compatible gateway over the
//! llama.cpp supervisor (identity and Honey Jars arrive with their issues).

pub mod admin;
pub mod bee;
pub mod beeacon;
pub mod db;
pub mod documents;
pub mod documents_api;
pub mod embed;
pub mod envelope;
pub mod gateway;
pub mod gpu;
pub mod http;
pub mod identity;
pub mod indexer;
pub mod ingest;
pub mod jars;
pub mod jars_api;
pub mod mail;
pub mod openapi;
pub mod sandbox;
pub mod serve;
pub mod signin;
pub mod supervisor;
pub mod tls;
pub mod tokens_api;
pub mod vault;
pub mod vectors;
