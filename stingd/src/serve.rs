//! `stingd serve`: turns the config into a supervisor and a gateway, listens, and shuts down
//! gracefully (children stopped and reaped) on SIGTERM or Ctrl-C.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use sting_config::{Config, GpuLayers};

use crate::gateway;
use crate::http::AppState;
use crate::supervisor::{ChildSpec, ModelConfig, RemoteConfig, RestartPolicy, Supervisor, SupervisorConfig};
use crate::tls;

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

/// The supervisor's view of the `llm` section.
pub fn supervisor_config(config: &Config) -> anyhow::Result<SupervisorConfig> {
    let binary = llama_server_binary(config.llm.llama_server.as_deref())?;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get() as u32);
    // Children start through this binary's `sandbox-exec`, which confines them: without it
    // they do not start at all.
    let launcher = std::env::current_exe()
        .map_err(|e| anyhow::anyhow!("cannot find stingd's own binary to confine models: {e}"))?;
    let models = config
        .llm
        .models
        .iter()
        .map(|m| ModelConfig {
            remote: m.remote.as_ref().map(|r| RemoteConfig {
                base_url: r.base_url.clone(),
                model: r.model.clone(),
                allowed: m.allow_remote,
                api_key: None,
            }),
            name: m.name.clone(),
            aliases: m.aliases.clone(),
            spec: ChildSpec {
                name: m.name.clone(),
                binary: binary.clone(),
                model: m.path.clone(),
                context: m.context,
                parallel: m.parallel,
                threads: m.threads.unwrap_or(cores),
                // `auto` is decided when the model is checked (see `gpu::auto_layers`).
                gpu_layers: match m.gpu_layers {
                    GpuLayers::Auto => 0,
                    GpuLayers::Count(n) => n,
                },
                embeddings: m.embeddings,
                launcher: launcher.clone(),
                unconfined: config.system.unconfined_children,
                pooling: None,
            },
            sha256: m.sha256.clone(),
            idle_ttl: m.idle_ttl.as_std(),
            pinned: m.pinned,
            replicas: m.replicas,
            auto_gpu_layers: m.gpu_layers == GpuLayers::Auto,
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

/// What the state is built from once the secrets are known.
struct Parts {
    config: Arc<Config>,
    listen: Listen,
    /// The port in the site's origin (see [`ServeOptions::public_port`]).
    public_port: u16,
    api_keys: Arc<crate::http::ApiKeys>,
    supervisor_config: SupervisorConfig,
    audit: Option<Arc<gateway::AuditLog>>,
    metrics: Arc<gateway::Metrics>,
}

/// The secrets the state needs: from Vault, or for a standalone stingd from its environment.
struct Secrets {
    /// The database connection, when identity is on.
    database: Option<sqlx::postgres::PgConnectOptions>,
    smtp_password: Option<sting_vault::Secret>,
    remote_keys: std::collections::HashMap<String, sting_vault::Secret>,
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
            let watcher = store.watch()?;
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
    let parts = Arc::new(Parts {
        config: Arc::new(options.config),
        listen: options.listen.clone(),
        public_port: options.public_port.unwrap_or(listening_port),
        api_keys: Arc::new(api_keys),
        supervisor_config,
        audit,
        metrics: gateway::Metrics::shared(),
    });
    let supervisor: Arc<std::sync::OnceLock<Supervisor>> = Arc::default();
    let started: Arc<std::sync::OnceLock<AppState>> = Arc::default();
    let readiness = crate::vault::Readiness::default();

    let app = match vault {
        // Standalone: everything is known now, and stingd serves once it is built.
        None => {
            let secrets = standalone_secrets(&parts.config, database_url.as_deref())?;
            let state = build_state(&parts, secrets, None).await?;
            let _ = supervisor.set(state.supervisor.clone());
            let _ = started.set(state.clone());
            crate::http::router(state)
        }
        // With Vault: serve at once (`/health/ready` says what is awaited), build when it answers.
        Some(settings) => {
            let built = Arc::new(std::sync::OnceLock::new());
            readiness.waiting(format!("waiting for Vault at {}", settings.connection.address));
            tokio::spawn(start_with_vault(
                parts.clone(),
                settings,
                readiness.clone(),
                built.clone(),
                supervisor.clone(),
                started.clone(),
            ));
            crate::http::starting_router(built, readiness.clone())
        }
    };
    if let Some(path) = options.status_socket {
        crate::beeacon::serve_socket(path.clone(), started.clone(), readiness.clone())
            .await
            .with_context(|| format!("cannot serve the status socket at {}", path.display()))?;
    }
    if let Some(address) = &parts.config.observability.metrics_listen {
        let address: SocketAddr = address.parse().context("observability.metrics_listen is not an address")?;
        let listener = tokio::net::TcpListener::bind(address)
            .await
            .with_context(|| format!("cannot listen for metrics on {address}"))?;
        tracing::info!(%address, "metrics listening (no key: keep this address internal)");
        let router = gateway::metrics_router(parts.metrics.clone(), supervisor.clone());
        tokio::spawn(async move { axum::serve(listener, router).await });
    }
    let app = app.layer(axum::middleware::map_response(crate::http::front::security_headers));

    match (parts.listen.clone(), tls) {
        (Listen::PlainLoopback(address), _) => {
            let listener = bind(address).await?;
            tracing::info!(address = %listener.local_addr()?, "stingd listening (plain HTTP, loopback)");
            let listener = tls::PlainListener(listener);
            axum::serve(listener, app.into_make_service_with_connect_info::<crate::http::PeerAddr>())
                .with_graceful_shutdown(shutdown_signal())
                .await?;
        }
        (Listen::Https { https, http }, Some((store, _watcher))) => {
            let redirector = match http {
                Some(address) => {
                    let listener = bind(address).await?;
                    tracing::info!(address = %listener.local_addr()?, "HTTP: redirects to HTTPS and ACME challenges");
                    let router = crate::http::front::http_router(
                        &parts.config.system.domain,
                        parts.public_port,
                        challenge_dir(&parts.config),
                    )
                    .layer(axum::middleware::map_response(crate::http::front::security_headers));
                    Some(tokio::spawn(async move { axum::serve(listener, router).await }))
                }
                None => None,
            };
            let listener = tls::TlsListener::new(bind(https).await?, tls::server_config(store))?;
            tracing::info!(address = %https, "stingd listening (HTTPS)");
            axum::serve(listener, app.into_make_service_with_connect_info::<crate::http::PeerAddr>())
                .with_graceful_shutdown(shutdown_signal())
                .await?;
            if let Some(task) = redirector {
                task.abort();
            }
        }
        (Listen::Https { .. }, None) => unreachable!("certificates are loaded for HTTPS"),
    }
    if let Some(supervisor) = supervisor.get() {
        tracing::info!("stopping model processes");
        supervisor.shutdown().await;
    }
    Ok(())
}

/// A standalone stingd's secrets: the database URL from its environment, and no references,
/// which only Vault can resolve.
fn standalone_secrets(config: &Config, database_url: Option<&str>) -> anyhow::Result<Secrets> {
    if config.auth.smtp.password.is_some() {
        bail!("auth.smtp.password is a vault-ref, and no Vault is named: set {}", crate::vault::ADDRESS_VAR);
    }
    for (i, m) in config.llm.models.iter().enumerate() {
        if m.remote.as_ref().is_some_and(|r| r.api_key.is_some()) {
            bail!(
                "llm.models[{i}].remote.api_key is a vault-ref, and no Vault is named: set {}",
                crate::vault::ADDRESS_VAR
            );
        }
    }
    let database = match database_url {
        Some(url) => Some(
            url.parse::<sqlx::postgres::PgConnectOptions>()
                .map_err(|e| anyhow::anyhow!("{} is not a PostgreSQL URL: {e}", crate::db::DATABASE_URL_VAR))?,
        ),
        None => None,
    };
    Ok(Secrets { database, smtp_password: None, remote_keys: Default::default() })
}

/// Waits for Vault, reads the secrets, connects the database (each with backoff, each wait
/// shown on `/health/ready`), then puts the full router in place.
async fn start_with_vault(
    parts: Arc<Parts>,
    settings: crate::vault::Settings,
    readiness: crate::vault::Readiness,
    built: Arc<std::sync::OnceLock<axum::Router>>,
    supervisor: Arc<std::sync::OnceLock<Supervisor>>,
    started: Arc<std::sync::OnceLock<AppState>>,
) {
    let session = crate::vault::log_in(&settings, &readiness).await;
    let mut delay = Duration::from_secs(1);
    loop {
        let attempt = async {
            let vault = session.vault();
            let login = crate::vault::database_login(&vault, &settings.kv_mount, &parts.config).await?;
            let others = crate::vault::config_secrets(&vault, &settings.kv_mount, &parts.config).await?;
            let secrets = Secrets {
                database: Some(crate::db::connect_options(&parts.config, &login)),
                smtp_password: others.smtp_password,
                remote_keys: others.remote_keys,
            };
            let state = build_state(&parts, secrets, Some(session.clone())).await?;
            anyhow::Ok((state, login))
        }
        .await;
        match attempt {
            Ok((state, login)) => {
                if let Some(identity) = &state.identity {
                    tokio::spawn(crate::vault::follow_database_login(
                        session.clone(),
                        identity.pool.clone(),
                        settings.kv_mount.clone(),
                        parts.config.clone(),
                        login,
                        DATABASE_LOGIN_CHECK,
                    ));
                }
                let _ = supervisor.set(state.supervisor.clone());
                let _ = started.set(state.clone());
                let _ = built.set(crate::http::router(state));
                readiness.ready();
                tracing::info!("stingd is ready");
                return;
            }
            Err(error) => {
                let reason = format!("starting: {error:#}");
                tracing::warn!(retry_in = ?delay, "{reason}");
                readiness.waiting(reason);
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(crate::vault::MAX_DELAY);
            }
        }
    }
}

/// How often stingd looks for a rotated database login in Vault.
const DATABASE_LOGIN_CHECK: Duration = Duration::from_secs(5);

/// TOTP secrets stored before they were sealed (schema 12) are sealed now, before anyone signs
/// in. Without Vault they stay as they are, and TOTP answers that it needs Vault.
async fn seal_totp_secrets(pool: &sqlx::PgPool, vault: Option<&crate::vault::Session>) -> anyhow::Result<()> {
    let Some(vault) = vault else {
        let plain = crate::identity::factors::count_plain_secrets(pool).await?;
        if plain > 0 {
            tracing::warn!(accounts = plain, "TOTP secrets are stored unsealed and cannot be used without Vault");
        }
        return Ok(());
    };
    let sealed = crate::identity::factors::seal_plain_secrets(pool, &vault.vault())
        .await
        .context("cannot seal the TOTP secrets stored before they were sealed")?;
    if sealed > 0 {
        tracing::info!(accounts = sealed, "sealed TOTP secrets stored unsealed");
    }
    Ok(())
}

async fn build_state(
    parts: &Parts,
    secrets: Secrets,
    vault: Option<crate::vault::Session>,
) -> anyhow::Result<AppState> {
    let config = &parts.config;
    let cache_config = &config.llm.cache;
    let cache = cache_config.enabled.then(|| {
        Arc::new(gateway::ResponseCache::new(cache_config.max_size.bytes() as usize, cache_config.ttl.as_std()))
    });
    let identity = match secrets.database {
        Some(options) => {
            let database = &config.database;
            let pool = crate::db::connect_with(options, database.pool_size, database.connect_timeout.as_std()).await?;
            let status = crate::db::migrate(&pool).await?;
            tracing::info!(schema = ?status.applied.last(), "database ready");
            seal_totp_secrets(&pool, vault.as_ref()).await?;
            let https_port = parts.public_port;
            let domain = &config.system.domain;
            let origin =
                if https_port == 443 { format!("https://{domain}") } else { format!("https://{domain}:{https_port}") };
            let credentials = crate::identity::cache::CredentialCache::new(crate::identity::cache::MAX_AGE);
            tokio::spawn(credentials.clone().listen(pool.clone()));
            let passkeys = crate::identity::passkeys::Passkeys::new(&pool, domain, &origin)
                .await
                .context("cannot set up passkeys for system.domain")?;
            Some(crate::http::Identity {
                credentials,
                passkeys: Arc::new(passkeys),
                pool,
                session_idle: config.auth.session.idle_timeout.as_std(),
                origin: origin.into(),
            })
        }
        None => None,
    };
    let kratos = match config.auth.provider {
        sting_config::AuthProvider::Builtin => None,
        sting_config::AuthProvider::Kratos => {
            anyhow::ensure!(
                identity.is_some(),
                "auth.provider kratos needs the database too (STING_DATABASE_URL): local accounts hold roles, tokens and the audit log"
            );
            tracing::info!(url = %config.auth.kratos.public_url, "sessions are Ory Kratos's");
            Some(Arc::new(
                crate::identity::kratos::Kratos::new(&config.auth.kratos)
                    .context("cannot build the HTTP client for Kratos")?,
            ))
        }
    };
    let mailer = match (&identity, &config.auth.smtp.host) {
        (Some(_), Some(host)) => {
            Some(Arc::new(crate::mail::Mailer::from_config(host, &config.auth.smtp, secrets.smtp_password)?))
        }
        (Some(_), None) => {
            tracing::info!("auth.smtp.host is null: no mail is sent; invitations return their link to the admin");
            None
        }
        (None, _) => None,
    };
    let upstream = reqwest::Client::builder()
        .no_proxy()
        // llama-server drops idle connections after 5 s; stop reusing them before it does.
        .pool_idle_timeout(Duration::from_secs(3))
        .tcp_nodelay(true)
        .build()
        .context("cannot build the HTTP client for the model processes")?;
    let mut supervisor_config = parts.supervisor_config.clone();
    for model in &mut supervisor_config.models {
        if let (Some(remote), Some(key)) = (&mut model.remote, secrets.remote_keys.get(&model.name)) {
            remote.api_key = Some(key.expose().into());
        }
    }
    let supervisor = Supervisor::start(supervisor_config, upstream.clone()).context("cannot start the supervisor")?;
    let embedder = match &config.honey_jars.embeddings.model {
        Some(dir) => {
            let dir = config.paths.models_dir.join(dir);
            let started = std::time::Instant::now();
            let embedder = tokio::task::spawn_blocking(move || crate::honey_jars::embed::Embedder::load(&dir))
                .await
                .context("the embedding model's loader panicked")?
                .context("honey_jars.embeddings.model")?;
            tracing::info!(dimensions = embedder.dimensions(), took = ?started.elapsed(), "embedding model loaded");
            Some(Arc::new(embedder))
        }
        None => None,
    };
    let state = AppState {
        supervisor,
        upstream,
        api_keys: parts.api_keys.clone(),
        default_model: config.llm.default_model.as_deref().map(Arc::from),
        metrics: parts.metrics.clone(),
        cache,
        key_rate_limit: config.llm.key_rate_limit.map(|rate| Arc::new(crate::http::RateLimiter::new(rate))),
        zones: zones(config, identity.as_ref().map(|i| i.pool.clone())),
        audit: parts.audit.clone(),
        identity,
        session_absolute: config.auth.session.absolute_timeout.as_std(),
        mailer,
        magic_link_ttl: config.auth.magic_link_ttl.as_std(),
        registration: config.auth.registration,
        sign_in_methods: config.auth.methods.clone().into(),
        kratos,
        pii: Arc::new(sting_pii::Scanner::new(sting_pii::Kind::ALL, config.pii.min_score as f32)),
        vault,
        documents: Arc::new(crate::http::DocumentRules {
            max_document_size: config.honey_jars.max_document_size.bytes(),
            extract: crate::honey_jars::ingest::extract::Limits {
                max_text: config.honey_jars.max_text_size.bytes(),
                unconfined: config.system.unconfined_children,
                ..Default::default()
            },
            user_quota: config.honey_jars.user_quota.bytes(),
            min_score: config.honey_jars.min_score as f32,
            upload_dir: config.paths.data_dir.join("uploads"),
            scanner: sting_pii::Scanner::new(&pii_kinds(&config.pii.entities), config.pii.min_score as f32),
            pii_mode: config.pii.mode,
            pii_enabled: config.pii.enabled,
            keys: crate::envelope::KeyCache::new(Duration::from_secs(600), 4096),
            // Reading a document is CPU work; leave the rest of the machine to the models.
            ingest_slots: tokio::sync::Semaphore::new(crate::honey_jars::indexer::SLOTS),
            embedder,
            vectors: Default::default(),
            min_similarity: config.honey_jars.embeddings.min_similarity as f32,
        }),
        bee: Arc::new(crate::bee::BeeRules::from_config(config)),
    };
    if let Some(identity) = &state.identity {
        tokio::spawn(crate::honey_jars::indexer::resume(
            identity.pool.clone(),
            state.vault.clone(),
            state.documents.clone(),
        ));
    }
    Ok(state)
}

/// The config's PII entity names, as the scanner's kinds.
fn pii_kinds(entities: &[sting_config::PiiEntity]) -> Vec<sting_pii::Kind> {
    use sting_config::PiiEntity as E;
    use sting_pii::Kind as K;
    entities
        .iter()
        .map(|e| match e {
            E::Email => K::Email,
            E::Phone => K::Phone,
            E::CreditCard => K::CreditCard,
            E::Iban => K::Iban,
            E::Ssn => K::Ssn,
            E::IpAddress => K::IpAddress,
            E::Person => K::Person,
        })
        .collect()
}

fn zones(config: &Config, pool: Option<sqlx::PgPool>) -> crate::http::Zones {
    // The config's validation guarantees each entry parses.
    let trusted: Arc<Vec<crate::http::Network>> =
        Arc::new(config.auth.trusted_proxies.iter().filter_map(|p| crate::http::Network::parse(p)).collect());
    let rejections = crate::http::RejectionLog::new(pool);
    let limits = &config.auth.rate_limits;
    let zone = |name, rate| crate::http::Zone::new(name, rate, trusted.clone(), rejections.clone());
    crate::http::Zones {
        api: zone("api", limits.api),
        ai: zone("ai", limits.ai),
        auth: zone("auth", limits.auth),
        user_api: zone("api", limits.per_user.api),
        user_ai: zone("ai", limits.per_user.ai),
        account: zone("auth", limits.per_user.auth),
    }
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
