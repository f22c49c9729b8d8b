//! `stingd serve`: the config, the addresses and the gateway keys, then the daemon.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use stingd::app::{API_KEY_FILE_VAR, API_KEY_VAR, Listen, ServeOptions};

/// The addresses the command line asked for.
pub struct Addresses {
    pub listen: Option<SocketAddr>,
    pub https: Option<SocketAddr>,
    pub http: Option<SocketAddr>,
    pub public_port: Option<u16>,
}

pub async fn run(file: &Path, addresses: Addresses, status_socket: Option<PathBuf>) -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        .init();
    let config = super::load(file)?;
    let Addresses { listen, https, http, public_port } = addresses;
    let listen = match (listen, stingd::app::default_listen(&config)) {
        (Some(address), _) => Listen::PlainLoopback(address),
        (None, Listen::Https { https: default_https, http: default_http }) => {
            Listen::Https { https: https.unwrap_or(default_https), http: http.or(default_http) }
        }
        (None, other) => other,
    };
    let api_keys = match (std::env::var(API_KEY_VAR), std::env::var_os(API_KEY_FILE_VAR)) {
        (Ok(keys), _) => keys,
        // Inside the stack: a file msting writes from Vault (0400, stingd's alone).
        (Err(_), Some(file)) => std::fs::read_to_string(&file)
            .map_err(|e| {
                anyhow::anyhow!("cannot read the API key file {} ({API_KEY_FILE_VAR}): {e}", file.to_string_lossy())
            })?
            .trim()
            .to_string(),
        (Err(_), None) => anyhow::bail!(
            "neither {API_KEY_VAR} nor {API_KEY_FILE_VAR} is set: every API route needs a key, and it never comes from the config file"
        ),
    };
    stingd::app::run(ServeOptions { config, listen, api_keys, public_port, status_socket }).await
}
