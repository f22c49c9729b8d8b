//! The application's state, built once from the config, the secrets and stingd's Vault login:
//! the database and its migrations, identity, mail, the supervisor, the embedding model.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use sting_config::Config;

use super::secrets::Secrets;
use crate::gateway;
use crate::http::AppState;
use crate::supervisor::{Supervisor, SupervisorConfig};
use crate::tasks::Tasks;

/// What the state is built from once the secrets are known.
pub(super) struct Parts {
    pub config: Arc<Config>,
    /// The port in the site's origin (see [`super::ServeOptions::public_port`]).
    pub public_port: u16,
    pub api_keys: Arc<crate::http::ApiKeys>,
    pub supervisor_config: SupervisorConfig,
    pub audit: Option<Arc<gateway::AuditLog>>,
    pub metrics: Arc<gateway::Metrics>,
}

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

pub(super) async fn build_state(
    parts: &Parts,
    tasks: &Tasks,
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
    // Last of what can fail, so that a failed attempt (retried with Vault) leaves no model
    // process or listener behind.
    let supervisor = Supervisor::start(supervisor_config, upstream.clone()).context("cannot start the supervisor")?;
    let notifications = Arc::new(crate::notifications::Hub::default());
    if let Some(identity) = &identity {
        tasks.spawn_until_shutdown(identity.credentials.clone().listen(identity.pool.clone()));
        tasks.spawn_until_shutdown(notifications.clone().listen(identity.pool.clone()));
    }
    let state = AppState {
        tasks: tasks.clone(),
        web: Arc::default(),
        markdown: Arc::default(),
        notifications,
        supervisor,
        upstream,
        api_keys: parts.api_keys.clone(),
        default_model: config.llm.default_model.as_deref().map(Arc::from),
        metrics: parts.metrics.clone(),
        cache,
        key_rate_limit: config.llm.key_rate_limit.map(|rate| Arc::new(crate::http::RateLimiter::new(rate))),
        zones: zones(config, identity.as_ref().map(|i| i.pool.clone()), tasks),
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
        tasks.spawn(crate::honey_jars::indexer::resume(
            identity.pool.clone(),
            state.vault.clone(),
            state.documents.clone(),
            tasks.clone(),
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

fn zones(config: &Config, pool: Option<sqlx::PgPool>, tasks: &Tasks) -> crate::http::Zones {
    // The config's validation guarantees each entry parses.
    let trusted: Arc<Vec<crate::http::Network>> =
        Arc::new(config.auth.trusted_proxies.iter().filter_map(|p| crate::http::Network::parse(p)).collect());
    let rejections = crate::http::RejectionLog::new(pool, tasks.clone());
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
