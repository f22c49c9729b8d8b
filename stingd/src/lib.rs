//! stingd, the STING-CE daemon: the OpenAI-compatible gateway over the llama.cpp supervisor
//! (identity, Honey Jars and HTTPS arrive with their issues).

pub mod db;
pub mod gateway;
pub mod gpu;
pub mod sandbox;
pub mod serve;
pub mod supervisor;
