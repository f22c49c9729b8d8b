//! `stingd serve`: turns the config into a supervisor and a gateway, listens, and shuts down
//! gracefully (children stopped and reaped) on SIGTERM or Ctrl-C.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use sting_config::{Config, GpuLayers};

use crate::gateway::{self, AppState};
use crate::supervisor::{ChildSpec, ModelConfig, RestartPolicy, Supervisor, SupervisorConfig};

/// The variable that holds the gateway's API key for a standalone run (never the config file).
pub const API_KEY_VAR: &str = "STING_API_KEY";

pub struct ServeOptions {
    pub config: Config,
    pub listen: SocketAddr,
    pub api_key: String,
}

/// The supervisor's view of the `llm` section.
pub fn supervisor_config(config: &Config) -> anyhow::Result<SupervisorConfig> {
    let binary = llama_server_binary(config.llm.llama_server.as_deref())?;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get() as u32);
    let models = config
        .llm
        .models
        .iter()
        .map(|m| ModelConfig {
            name: m.name.clone(),
            aliases: m.aliases.clone(),
            spec: ChildSpec {
                name: m.name.clone(),
                binary: binary.clone(),
                model: m.path.clone(),
                context: m.context,
                parallel: m.parallel,
                threads: m.threads.unwrap_or(cores),
                // No GPU is detected yet (NVML arrives later): auto means CPU.
                gpu_layers: match m.gpu_layers {
                    GpuLayers::Auto => 0,
                    GpuLayers::Count(n) => n,
                },
                embeddings: m.embeddings,
                pooling: None,
            },
            sha256: m.sha256.clone(),
            idle_ttl: m.idle_ttl.as_std(),
            pinned: m.pinned,
            replicas: m.replicas,
        })
        .collect();
    Ok(SupervisorConfig {
        models,
        queue_depth: config.llm.queue_depth,
        memory_budget: config.llm.memory_budget.map_or_else(detect_memory_budget, |b| b.bytes()),
        restart: RestartPolicy::default(),
        load_timeout: Duration::from_secs(120),
    })
}

/// The config's binary, else `STING_LLAMA_SERVER`, else `llama-server` on the PATH.
fn llama_server_binary(configured: Option<&Path>) -> anyhow::Result<PathBuf> {
    let candidate = configured
        .map(Path::to_path_buf)
        .or_else(|| std::env::var_os("STING_LLAMA_SERVER").map(PathBuf::from))
        .or_else(|| {
            std::env::var_os("PATH")
                .and_then(|paths| std::env::split_paths(&paths).map(|p| p.join("llama-server")).find(|p| p.is_file()))
        });
    match candidate {
        Some(path) if path.is_file() => Ok(path),
        Some(path) => {
            bail!("llama-server not found at {}: set `llm.llama_server` or STING_LLAMA_SERVER", path.display())
        }
        None => bail!("llama-server not found: set `llm.llama_server` in the config, or STING_LLAMA_SERVER"),
    }
}

/// What this host (or this container's cgroup) allows, less a quarter for everything else.
fn detect_memory_budget() -> u64 {
    let mut system = sysinfo::System::new();
    system.refresh_memory();
    let host = system.total_memory();
    let limit = system.cgroup_limits().map_or(host, |c| c.total_memory.min(host));
    limit / 4 * 3
}

pub async fn run(options: ServeOptions) -> anyhow::Result<()> {
    if !options.listen.ip().is_loopback() {
        bail!(
            "{} is not a loopback address: plain HTTP is allowed on loopback only (HTTPS arrives with the identity issue)",
            options.listen
        );
    }
    let supervisor_config = supervisor_config(&options.config)?;
    let upstream = reqwest::Client::builder()
        .no_proxy()
        .pool_idle_timeout(Duration::from_secs(30))
        .tcp_nodelay(true)
        .build()
        .context("cannot build the HTTP client for the model processes")?;
    let supervisor = Supervisor::start(supervisor_config, upstream.clone()).context("cannot start the supervisor")?;
    let state = AppState {
        supervisor: supervisor.clone(),
        upstream,
        api_key: options.api_key.into(),
        default_model: options.config.llm.default_model.as_deref().map(Arc::from),
        metrics: gateway::Metrics::shared(),
    };
    if let Some(address) = &options.config.observability.metrics_listen {
        let address: SocketAddr = address.parse().context("observability.metrics_listen is not an address")?;
        let listener = tokio::net::TcpListener::bind(address)
            .await
            .with_context(|| format!("cannot listen for metrics on {address}"))?;
        tracing::info!(%address, "metrics listening (no key: keep this address internal)");
        let router = gateway::metrics_router(state.clone());
        tokio::spawn(async move { axum::serve(listener, router).await });
    }
    let listener = tokio::net::TcpListener::bind(options.listen)
        .await
        .with_context(|| format!("cannot listen on {}", options.listen))?;
    tracing::info!(address = %listener.local_addr()?, "stingd gateway listening");
    axum::serve(listener, gateway::router(state)).with_graceful_shutdown(shutdown_signal()).await?;
    tracing::info!("stopping model processes");
    supervisor.shutdown().await;
    Ok(())
}

async fn shutdown_signal() {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("SIGTERM handler");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}
