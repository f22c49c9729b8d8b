//! The application: built from the config and the secrets (`state`, `secrets`, `models`),
//! started in phases (`start`: serving at once, ready once Vault and the database answer), and
//! shut down as a whole: on SIGTERM or Ctrl-C the listeners stop taking requests, in-flight
//! ones finish, every background task is stopped and joined, and the model processes are
//! stopped and reaped.

mod models;
mod secrets;
mod start;
mod state;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use sting_config::Config;

pub use models::supervisor_config;
pub use start::{Started, phase_router};

use crate::gateway;
use crate::phase::Phases;
use crate::tasks::Tasks;
use crate::tls;

/// How long a shutdown waits for background tasks (an indexing pass, a mail) to finish.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(20);

/// The variable that holds the gateway's API key for a standalone run (never the config file).
pub const API_KEY_VAR: &str = "STING_API_KEY";
/// A file holding the key(s) instead (how the stack gives them: no secret in the environment).
pub const API_KEY_FILE_VAR: &str = "STING_API_KEY_FILE";

/// Where stingd listens.
#[derive(Clone, Debug)]
pub enum Listen {
    /// Plain HTTP, allowed on loopback only (a local gateway, tests).
    PlainLoopback(SocketAddr),
    /// HTTPS with the certificate folder's certificate, and optionally the HTTP port that
    /// redirects and answers ACME challenges.
    Https { https: SocketAddr, http: Option<SocketAddr> },
}

pub struct ServeOptions {
    pub config: Config,
    pub listen: Listen,
    /// One or more keys, separated by commas.
    pub api_keys: String,
    /// The HTTPS port people reach stingd at, when it is not the one it listens on (in a
    /// container, the published port): the sign-in origin and redirects use it.
    pub public_port: Option<u16>,
    /// Where to serve the status report to local processes (`stingd status`).
    pub status_socket: Option<PathBuf>,
}

/// The default addresses from the config: `system.bind_address` with the service's ports.
pub fn default_listen(config: &Config) -> Listen {
    let ip = config.system.bind_address;
    Listen::Https {
        https: SocketAddr::new(ip, config.services.stingd.https_port),
        http: Some(SocketAddr::new(ip, config.services.stingd.http_port)),
    }
}

/// Where ACME HTTP-01 answers are left for the HTTP port to serve.
pub fn challenge_dir(config: &Config) -> PathBuf {
    config.paths.certs_dir.join("acme-challenge")
}

pub async fn run(options: ServeOptions) -> anyhow::Result<()> {
    if let Listen::PlainLoopback(address) = &options.listen {
        if !address.ip().is_loopback() {
            bail!("{address} is not a loopback address: plain HTTP is allowed on loopback only (use HTTPS elsewhere)");
        }
    }
    let api_keys = crate::http::ApiKeys::parse(&options.api_keys).map_err(|e| anyhow::anyhow!("{API_KEY_VAR}: {e}"))?;
    let supervisor_config = supervisor_config(&options.config)?;
    let audit = if options.config.llm.models.iter().any(|m| m.allow_remote && m.remote.is_some()) {
        let log = gateway::AuditLog::open(&options.config.paths.log_dir)
            .with_context(|| format!("cannot open the audit log in {}", options.config.paths.log_dir.display()))?;
        tracing::info!(path = %log.path().display(), "requests sent off this machine are recorded");
        Some(Arc::new(log))
    } else {
        None
    };
    let tasks = Tasks::default();
    // Certificates first: a missing one is reported before any model starts.
    let tls = match &options.listen {
        Listen::Https { .. } => {
            let dir = &options.config.paths.certs_dir;
            let store = tls::CertStore::load(dir).with_context(|| {
                format!(
                    "no usable certificate in {} ({} and {}): run `msting setup-ssl`, or serve plain HTTP on loopback with --listen",
                    dir.display(),
                    tls::CERT_FILE,
                    tls::KEY_FILE
                )
            })?;
            let watcher = store.watch(&tasks)?;
            Some((store, watcher))
        }
        Listen::PlainLoopback(_) => None,
    };
    let vault = crate::vault::Settings::from_env(&options.config)?;
    let database_url = std::env::var(crate::db::DATABASE_URL_VAR).ok();
    if vault.is_some() && database_url.is_some() {
        bail!(
            "both {} and {} are set: with Vault, the database login comes from Vault; unset {}",
            crate::vault::ADDRESS_VAR,
            crate::db::DATABASE_URL_VAR,
            crate::db::DATABASE_URL_VAR
        );
    }
    let listening_port = match &options.listen {
        Listen::Https { https, .. } => https.port(),
        Listen::PlainLoopback(address) => address.port(),
    };
    let parts = Arc::new(state::Parts {
        config: Arc::new(options.config),
        public_port: options.public_port.unwrap_or(listening_port),
        api_keys: Arc::new(api_keys),
        supervisor_config,
        audit,
        metrics: gateway::Metrics::shared(),
    });

    let phases = match vault {
        // Standalone: everything is known now, and stingd serves once it is built.
        None => {
            let secrets = secrets::standalone_secrets(&parts.config, database_url.as_deref())?;
            let state = state::build_state(&parts, &tasks, secrets, None).await?;
            Phases::ready_with(Started::new(state))
        }
        // With Vault: serve at once (`/health/ready` says what is awaited), build when it answers.
        Some(settings) => {
            let phases = Phases::new(
                crate::phase::Awaited::Vault,
                format!("waiting for Vault at {}", settings.connection.address),
            );
            // Joined, not cancelled: it writes (migrations, sealing); it stops itself between attempts.
            tasks.spawn(start::with_vault(parts.clone(), settings, phases.clone(), tasks.clone()));
            phases
        }
    };
    let status_socket = options.status_socket;
    // The watcher lives as long as this binding: until the listeners stop.
    let (store, _watcher) = tls.unzip();
    let served = serve(&parts, options.listen, &phases, &tasks, store, status_socket).await;
    tracing::info!("stopping background tasks");
    let unfinished = tasks.shut_down(SHUTDOWN_GRACE).await;
    if unfinished > 0 {
        tracing::warn!(tasks = unfinished, grace = ?SHUTDOWN_GRACE, "background tasks still running at shutdown");
    }
    if let Some(started) = phases.app() {
        tracing::info!("stopping model processes");
        started.state.supervisor.shutdown().await;
    }
    served
}

/// Listens until SIGTERM or Ctrl-C, then lets in-flight requests finish.
async fn serve(
    parts: &state::Parts,
    listen: Listen,
    phases: &Phases<Started>,
    tasks: &Tasks,
    tls: Option<Arc<tls::CertStore>>,
    status_socket: Option<PathBuf>,
) -> anyhow::Result<()> {
    if let Some(path) = &status_socket {
        let phases = phases.clone();
        crate::beeacon::serve_socket(path.clone(), tasks, move || phases.current().map(|started| started.state))
            .await
            .with_context(|| format!("cannot serve the status socket at {}", path.display()))?;
    }
    if let Some(address) = &parts.config.observability.metrics_listen {
        let address: SocketAddr = address.parse().context("observability.metrics_listen is not an address")?;
        let listener = tokio::net::TcpListener::bind(address)
            .await
            .with_context(|| format!("cannot listen for metrics on {address}"))?;
        tracing::info!(%address, "metrics listening (no key: keep this address internal)");
        let phases = phases.clone();
        let router = gateway::metrics_router(parts.metrics.clone(), move || {
            phases.app().map(|started| started.state.supervisor)
        });
        tasks.spawn_until_shutdown(async move { axum::serve(listener, router).await });
    }
    let app = phase_router(phases.clone()).layer(axum::middleware::map_response(crate::http::front::security_headers));
    // The other listeners stop with the background tasks, after this one.
    let draining = tasks.clone();
    let shutdown = async move {
        shutdown_signal().await;
        tracing::info!("shutting down: finishing requests in flight");
        draining.begin_draining();
    };
    match (listen, tls) {
        (Listen::PlainLoopback(address), _) => {
            let listener = bind(address).await?;
            tracing::info!(address = %listener.local_addr()?, "stingd listening (plain HTTP, loopback)");
            let listener = tls::PlainListener(listener);
            axum::serve(listener, app.into_make_service_with_connect_info::<crate::http::PeerAddr>())
                .with_graceful_shutdown(shutdown)
                .await?;
        }
        (Listen::Https { https, http }, Some(store)) => {
            if let Some(address) = http {
                let listener = bind(address).await?;
                tracing::info!(address = %listener.local_addr()?, "HTTP: redirects to HTTPS and ACME challenges");
                let router = crate::http::front::http_router(
                    &parts.config.system.domain,
                    parts.public_port,
                    challenge_dir(&parts.config),
                )
                .layer(axum::middleware::map_response(crate::http::front::security_headers));
                tasks.spawn_until_shutdown(async move { axum::serve(listener, router).await });
            }
            let listener = tls::TlsListener::new(bind(https).await?, tls::server_config(store), tasks)?;
            tracing::info!(address = %https, "stingd listening (HTTPS)");
            axum::serve(listener, app.into_make_service_with_connect_info::<crate::http::PeerAddr>())
                .with_graceful_shutdown(shutdown)
                .await?;
        }
        (Listen::Https { .. }, None) => unreachable!("certificates are loaded for HTTPS"),
    }
    Ok(())
}

async fn bind(address: SocketAddr) -> anyhow::Result<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind(address).await.with_context(|| format!("cannot listen on {address}"))
}

async fn shutdown_signal() {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("SIGTERM handler");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}
