//! What every handler shares (no globals): the application's state, built once by `serve`.

use std::sync::Arc;

use crate::gateway::{AuditLog, Metrics, ResponseCache};
use crate::http::ErrorKind;
use crate::http::{ApiError, ApiKeys, Caller, RateLimiter, Zone};
use crate::supervisor::Supervisor;

/// What every handler shares; no globals.
#[derive(Clone)]
pub struct AppState {
    /// Where handlers start work that outlives the request (a mail, an indexing queue, an
    /// audit record), so that a shutdown waits for it.
    pub tasks: crate::tasks::Tasks,
    /// The pages' script and style.
    pub web: Arc<crate::web::Web>,
    /// What makes answers' HTML: Bee when it stores one, the pages for one an older renderer made.
    pub markdown: Arc<crate::markdown::Markdown>,
    /// Who has a new notification, as the database tells it.
    pub notifications: Arc<crate::notifications::Hub>,
    pub supervisor: Supervisor,
    /// The client for requests to the children (loopback, pooled).
    pub upstream: reqwest::Client,
    pub api_keys: Arc<ApiKeys>,
    pub default_model: Option<Arc<str>>,
    pub metrics: Arc<Metrics>,
    pub cache: Option<Arc<ResponseCache>>,
    pub key_rate_limit: Option<Arc<RateLimiter<Caller>>>,
    /// Per-address zones: `api` for every API route, `ai` for the model routes.
    pub zones: Zones,
    /// Where requests sent off the machine are recorded (only when a model may go remote).
    pub audit: Option<Arc<AuditLog>>,
    /// Users, sessions and tokens, when a database is configured.
    pub identity: Option<Identity>,
    /// How long a session lives, used or not (`auth.session.absolute_timeout`).
    pub session_absolute: std::time::Duration,
    /// Outgoing mail for sign-in links, when identity is on.
    pub mailer: Option<Arc<crate::mail::Mailer>>,
    pub magic_link_ttl: std::time::Duration,
    /// Who may create an account (`auth.registration`).
    pub registration: sting_config::Registration,
    /// The sign-in methods the operator offers (`auth.methods`): the routes of the others refuse.
    pub sign_in_methods: Arc<[sting_config::SignInMethod]>,
    /// Finds what must not leave the machine in requests to remote models.
    pub pii: Arc<sting_pii::Scanner>,
    /// stingd's Vault login, when it has one (documents are sealed with its keys).
    pub vault: Option<crate::vault::Session>,
    /// Rules for uploads and search.
    pub documents: Arc<DocumentRules>,
    /// Bee's persona, sources and model windows.
    pub bee: Arc<crate::bee::BeeRules>,
    /// Set when `auth.provider` is `kratos`: sessions are Kratos's, sign-in happens there.
    pub kratos: Option<Arc<crate::identity::kratos::Kratos>>,
}

/// Whether a route belongs to built-in sign-in (and so is answered 409 when Kratos signs in).
pub fn is_builtin_only(path: &str) -> bool {
    path.starts_with("/api/auth/")
        || path.starts_with("/api/account/")
        || path == "/api/admin/invitations"
        || path.ends_with("/reset-factors")
        || (path.starts_with("/api/admin/users/") && path.ends_with("/role"))
}

impl AppState {
    /// stingd's own Vault client, when it has one.
    pub fn vault_client(&self) -> Option<sting_vault::Vault> {
        self.vault.as_ref().map(|session| session.vault())
    }

    /// The model Bee asks when a conversation names none: `bee.model`, else `llm.default_model`.
    pub fn bee_model(&self) -> Option<String> {
        self.bee.model.clone().or_else(|| self.default_model.as_deref().map(str::to_string))
    }

    /// Identity, or a 503 saying why there is none (stingd runs without a database).
    pub fn identity(&self) -> Result<&Identity, ApiError> {
        self.identity.as_ref().ok_or_else(|| {
            ApiError::new(
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                ErrorKind::Server,
                "identity_unavailable",
                "accounts and sign-in need the database (STING_DATABASE_URL)",
            )
        })
    }
}

/// Uploads and search: limits, the upload PII policy and its scanner.
pub struct DocumentRules {
    pub max_document_size: u64,
    /// How the document reader is limited and confined (`honey_jars.max_text_size`, ...).
    pub extract: crate::honey_jars::ingest::extract::Limits,
    pub user_quota: u64,
    pub min_score: f32,
    pub upload_dir: std::path::PathBuf,
    pub scanner: sting_pii::Scanner,
    pub pii_mode: sting_config::PiiMode,
    pub pii_enabled: bool,
    /// Opened data keys, in memory for a while.
    pub keys: crate::envelope::KeyCache,
    /// Documents being read and indexed at once, at most.
    pub ingest_slots: tokio::sync::Semaphore,
    /// The embedding model, when `honey_jars.embeddings.model` is set.
    pub embedder: Option<Arc<crate::honey_jars::embed::Embedder>>,
    pub vectors: crate::honey_jars::vectors::VectorIndex,
    pub min_similarity: f32,
}

impl DocumentRules {
    pub fn policy(&self) -> crate::honey_jars::documents::Policy<'_> {
        crate::honey_jars::documents::Policy {
            scanner: &self.scanner,
            mode: self.pii_mode,
            enabled: self.pii_enabled,
            quota: self.user_quota,
            extract: self.extract,
            embedder: self.embedder.as_ref(),
            keys: &self.keys,
        }
    }

    /// What search reads, with search by meaning when embeddings are on.
    pub fn index<'a>(
        &'a self,
        pool: &'a sqlx::PgPool,
        vault: Option<&'a sting_vault::Vault>,
    ) -> crate::honey_jars::documents::Index<'a> {
        crate::honey_jars::documents::Index {
            pool,
            vault,
            keys: &self.keys,
            semantic: self.embedder.as_ref().map(|embedder| crate::honey_jars::documents::Semantic {
                embedder,
                vectors: &self.vectors,
                min_similarity: self.min_similarity,
            }),
        }
    }
}

/// What the gateway needs of identity: the database and the session rules.
#[derive(Clone)]
pub struct Identity {
    pub pool: sqlx::PgPool,
    pub session_idle: std::time::Duration,
    /// `https://domain[:port]`: the only origin allowed to change state with a session cookie.
    pub origin: Arc<str>,
    /// Validated sessions and tokens, forgotten when the database says they changed.
    pub credentials: Arc<crate::identity::cache::CredentialCache>,
    /// The WebAuthn relying party (this site's domain and origin).
    pub passkeys: Arc<crate::identity::passkeys::Passkeys>,
}

/// The rate-limit zones (`auth.rate_limits`).
#[derive(Clone)]
pub struct Zones {
    pub api: Zone,
    pub ai: Zone,
    pub auth: Zone,
    /// Per signed-in user or gateway key.
    pub user_api: Zone,
    pub user_ai: Zone,
    /// Per account named in a sign-in attempt.
    pub account: Zone,
}
