//! The typed schema of `config.yml`: one struct per section, with the defaults that
//! `conf/config.yml` documents (a test keeps the two equal).
//!
//! The JSON schema the validator walks is derived from these types (schemars), so a field added
//! here is known to validation, `config show` and the documentation check at once.

use std::net::IpAddr;
use std::path::PathBuf;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::values::{ByteSize, Duration, GpuLayers, Rate, SecretRef};

/// The config schema version this build reads and writes.
pub const CURRENT_VERSION: u32 = 1;

/// The whole stack's configuration.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// The schema version of this file. msting migrates older versions (`msting config migrate`).
    #[schemars(range(min = 1))]
    pub version: u32,
    pub system: System,
    pub paths: Paths,
    pub services: Services,
    pub images: Images,
    pub database: Database,
    pub vault: Vault,
    pub auth: Auth,
    pub llm: Llm,
    pub honey_jars: HoneyJars,
    pub bee: Bee,
    pub pii: Pii,
    pub backup: Backup,
    pub tls: Tls,
    pub health: Health,
    pub observability: Observability,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            version: CURRENT_VERSION,
            system: System::default(),
            paths: Paths::default(),
            services: Services::default(),
            images: Images::default(),
            database: Database::default(),
            vault: Vault::default(),
            auth: Auth::default(),
            llm: Llm::default(),
            honey_jars: HoneyJars::default(),
            bee: Bee::default(),
            pii: Pii::default(),
            backup: Backup::default(),
            tls: Tls::default(),
            health: Health::default(),
            observability: Observability::default(),
        }
    }
}

/// Names and addresses of this installation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct System {
    /// The Compose project name: prefixes every container, network and volume, so two stacks can
    /// share one Docker engine.
    pub project_name: String,
    /// The host name people use to reach STING (certificates are issued for it).
    pub domain: String,
    /// The address stingd's published ports bind to. `127.0.0.1` keeps STING local to this host.
    #[schemars(extend("format" = "ip"))]
    #[schemars(with = "String")]
    pub bind_address: IpAddr,
    /// `production` or `development` (development adds mailpit and relaxes nothing else).
    pub environment: Environment,
    /// Log verbosity of every service: `error`, `warn`, `info`, `debug` or `trace`.
    pub log_level: LogLevel,
    /// Run llama-server and the document reader without their sandbox (Landlock, seccomp) when
    /// the kernel cannot enforce it (Linux before 6.7). Off, such children refuse to start.
    pub unconfined_children: bool,
}

impl Default for System {
    fn default() -> Self {
        Self {
            project_name: "sting-ce".into(),
            domain: "localhost".into(),
            bind_address: IpAddr::from([0, 0, 0, 0]),
            environment: Environment::Production,
            log_level: LogLevel::Info,
            unconfined_children: false,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Environment {
    Production,
    Development,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum LogLevel {
    Error,
    Warn,
    Info,
    Debug,
    Trace,
}

/// Where things live on the host. Relative paths are relative to `install_dir`. Each can be
/// overridden from the environment (`STING_INSTALL_DIR`, `STING_DATA_DIR`, ...).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Paths {
    pub install_dir: PathBuf,
    pub data_dir: PathBuf,
    pub models_dir: PathBuf,
    pub backup_dir: PathBuf,
    pub log_dir: PathBuf,
    pub certs_dir: PathBuf,
    pub secrets_dir: PathBuf,
}

impl Default for Paths {
    fn default() -> Self {
        Self {
            install_dir: "/opt/sting-ce".into(),
            data_dir: "data".into(),
            models_dir: "models".into(),
            backup_dir: "backups".into(),
            log_dir: "logs".into(),
            certs_dir: "certs".into(),
            secrets_dir: "secrets".into(),
        }
    }
}

/// Published ports and resource limits of each container.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Services {
    pub stingd: StingdService,
    pub vault: VaultService,
    pub db: DbService,
    pub mailpit: MailpitService,
    pub redis: RedisService,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct StingdService {
    /// The HTTPS port published on `system.bind_address`.
    #[schemars(range(min = 1))]
    pub https_port: u16,
    /// The HTTP port: redirects to HTTPS and answers ACME HTTP-01 challenges.
    #[schemars(range(min = 1))]
    pub http_port: u16,
    pub memory_limit: ByteSize,
    /// How many stingd containers run (more than one needs `services.redis.enabled`).
    #[schemars(range(min = 1, max = 16))]
    pub replicas: u32,
    /// NVIDIA GPUs given to stingd's container: `auto` (all, when msting finds one with NVML),
    /// `all`, or `none`. Needs the NVIDIA container toolkit in the engine.
    pub gpus: GpuAccess,
}

impl Default for StingdService {
    fn default() -> Self {
        Self { https_port: 443, http_port: 80, memory_limit: ByteSize::gib(4), replicas: 1, gpus: GpuAccess::Auto }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum GpuAccess {
    Auto,
    All,
    None,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct VaultService {
    /// Published on 127.0.0.1 only, for msting.
    #[schemars(range(min = 1))]
    pub port: u16,
    pub memory_limit: ByteSize,
}

impl Default for VaultService {
    fn default() -> Self {
        Self { port: 8200, memory_limit: ByteSize::mib(256) }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct DbService {
    pub memory_limit: ByteSize,
}

impl Default for DbService {
    fn default() -> Self {
        Self { memory_limit: ByteSize::gib(1) }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct MailpitService {
    /// Captures sign-in mail; on by default only in `development`.
    pub enabled: bool,
    /// The web UI port, published on 127.0.0.1.
    #[schemars(range(min = 1))]
    pub ui_port: u16,
}

impl Default for MailpitService {
    fn default() -> Self {
        Self { enabled: false, ui_port: 8025 }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct RedisService {
    /// Shared rate-limit counters and sessions for several stingd replicas.
    pub enabled: bool,
    pub memory_limit: ByteSize,
}

impl Default for RedisService {
    fn default() -> Self {
        Self { enabled: false, memory_limit: ByteSize::mib(256) }
    }
}

/// Container images: built locally from `templates/` on a base image, or loaded from a bundle.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Images {
    /// Image names are `<prefix>/<service>:<tag>`.
    pub prefix: String,
    pub tag: String,
    /// The Debian base image every recipe builds on; msting can make it with debootstrap.
    pub base: String,
    /// `never` (build or load only), `if-missing`, or `always`.
    pub pull: PullPolicy,
    /// Keep the previous image of each service after an upgrade, to roll back to.
    pub keep_previous: bool,
}

impl Default for Images {
    fn default() -> Self {
        Self {
            prefix: "sting-ce".into(),
            tag: "latest".into(),
            base: "sting-ce/base:bookworm".into(),
            pull: PullPolicy::Never,
            keep_previous: true,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum PullPolicy {
    Never,
    IfMissing,
    Always,
}

/// PostgreSQL, reached on the internal network only.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Database {
    pub host: String,
    #[schemars(range(min = 1))]
    pub port: u16,
    pub name: String,
    pub user: String,
    pub password: SecretRef,
    /// Connections in stingd's pool.
    #[schemars(range(min = 1, max = 1000))]
    pub pool_size: u32,
    pub connect_timeout: Duration,
}

impl Default for Database {
    fn default() -> Self {
        Self {
            host: "db".into(),
            port: 5432,
            name: "sting".into(),
            user: "sting".into(),
            password: SecretRef::new("database/stingd", "password"),
            pool_size: 16,
            connect_timeout: Duration::from_secs(5),
        }
    }
}

/// Vault (OpenBao by default) and how it is unsealed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Vault {
    pub provider: VaultProvider,
    /// `auto`: static-key auto-unseal (comes back by itself after a reboot). `manual`: Shamir
    /// shares, `msting unseal` after every restart.
    pub unseal: UnsealMode,
    /// Key shares handed to operators (recovery shares in `auto` mode).
    #[schemars(range(min = 1, max = 255))]
    pub key_shares: u32,
    /// Shares needed to unseal (or to recover).
    #[schemars(range(min = 1, max = 255))]
    pub key_threshold: u32,
    /// age recipients (`age1...`) that receive the shares encrypted at install, instead of the
    /// terminal.
    pub share_recipients: Vec<String>,
    /// The KV v2 mount that holds the stack's secrets.
    pub kv_mount: String,
    /// Lifetime of msting's own operator tokens.
    pub operator_token_ttl: Duration,
}

impl Default for Vault {
    fn default() -> Self {
        Self {
            provider: VaultProvider::Openbao,
            unseal: UnsealMode::Auto,
            key_shares: 5,
            key_threshold: 3,
            share_recipients: Vec::new(),
            kv_mount: "sting".into(),
            operator_token_ttl: Duration::from_mins(10),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum VaultProvider {
    Openbao,
    Hashicorp,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum UnsealMode {
    Auto,
    Manual,
}

/// Sign-in, sessions and rate limits.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Auth {
    /// `builtin` (stingd) or `kratos` (an Ory Kratos server).
    pub provider: AuthProvider,
    /// `open`, `invite` (admins invite by email) or `closed`.
    pub registration: Registration,
    /// Sign-in methods offered: `magic-link`, `passkey`, `totp`, `password` (password always
    /// needs a second factor).
    pub methods: Vec<SignInMethod>,
    /// Lifetime of an emailed sign-in link (15 minutes at most).
    pub magic_link_ttl: Duration,
    pub session: Session,
    pub rate_limits: RateLimits,
    /// Proxies whose `X-Forwarded-For` is trusted (IP addresses).
    pub trusted_proxies: Vec<String>,
    pub smtp: Smtp,
    pub kratos: Kratos,
}

impl Default for Auth {
    fn default() -> Self {
        Self {
            provider: AuthProvider::Builtin,
            registration: Registration::Invite,
            methods: vec![SignInMethod::MagicLink, SignInMethod::Passkey, SignInMethod::Totp],
            magic_link_ttl: Duration::from_mins(15),
            session: Session::default(),
            rate_limits: RateLimits::default(),
            trusted_proxies: Vec::new(),
            smtp: Smtp::default(),
            kratos: Kratos::default(),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum AuthProvider {
    Builtin,
    Kratos,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Registration {
    Open,
    Invite,
    Closed,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum SignInMethod {
    MagicLink,
    Passkey,
    Totp,
    Password,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Session {
    /// A session unused this long ends.
    pub idle_timeout: Duration,
    /// A session ends this long after sign-in, used or not.
    pub absolute_timeout: Duration,
}

impl Default for Session {
    fn default() -> Self {
        Self { idle_timeout: Duration::from_mins(30), absolute_timeout: Duration::from_hours(12) }
    }
}

/// Rate-limit zones per client address (the original's nginx zones), and the same zones again
/// per user, so that one account spread over many addresses is slowed as well.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct RateLimits {
    pub api: Rate,
    pub auth: Rate,
    pub ai: Rate,
    pub per_user: PerUserRateLimits,
}

impl Default for RateLimits {
    fn default() -> Self {
        Self {
            api: Rate::per_second(10),
            auth: Rate::per_minute(5),
            ai: Rate::per_second(2),
            per_user: PerUserRateLimits::default(),
        }
    }
}

/// The zones keyed by who is calling rather than from where.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct PerUserRateLimits {
    /// Every API route, per signed-in user (or gateway key).
    pub api: Rate,
    /// Password sign-in attempts per account named, from any address (passkeys
    /// cannot be guessed, and magic links have their own limit per address).
    pub auth: Rate,
    /// Chat and completions, per signed-in user (or gateway key).
    pub ai: Rate,
}

impl Default for PerUserRateLimits {
    fn default() -> Self {
        Self { api: Rate::per_second(10), auth: Rate::per_minute(5), ai: Rate::per_second(2) }
    }
}

/// Outgoing mail for sign-in links and invitations.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Smtp {
    /// The SMTP server; null sends no mail (invitations give the admin the link to pass on).
    pub host: Option<String>,
    #[schemars(range(min = 1))]
    pub port: u16,
    pub from: String,
    pub username: Option<String>,
    pub password: Option<SecretRef>,
    /// `starttls`, `tls` (implicit) or `none` (only for a capture server such as mailpit).
    pub security: SmtpSecurity,
}

impl Default for Smtp {
    fn default() -> Self {
        Self {
            host: None,
            port: 587,
            from: "STING <sting@localhost>".into(),
            username: None,
            password: None,
            security: SmtpSecurity::Starttls,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum SmtpSecurity {
    Starttls,
    Tls,
    None,
}

/// Used when `auth.provider` is `kratos`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Kratos {
    /// Kratos's public API: stingd asks its `/sessions/whoami` who a request is.
    pub public_url: String,
    /// Kratos's admin API (kept from the original's config; stingd does not call it: identities
    /// are administered in Kratos).
    pub admin_url: String,
    /// The session cookie's name, as Kratos's `session.cookie.name` sets it.
    pub session_cookie: String,
}

impl Default for Kratos {
    fn default() -> Self {
        Self {
            public_url: "http://kratos:4433".into(),
            admin_url: "http://kratos:4434".into(),
            session_cookie: "ory_kratos_session".into(),
        }
    }
}

/// Local models served by llama.cpp's llama-server under stingd's supervision.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Llm {
    /// The llama-server binary; empty means the one in stingd's image (or `STING_LLAMA_SERVER`).
    pub llama_server: Option<PathBuf>,
    /// The model Bee uses when a request names none.
    pub default_model: Option<String>,
    /// Memory that loaded models may use together; empty means what the host or container has.
    pub memory_budget: Option<ByteSize>,
    /// Requests waiting per model before new ones get 429.
    #[schemars(range(min = 1, max = 100000))]
    pub queue_depth: u32,
    /// Requests per API key (a token bucket); empty means no limit per key.
    pub key_rate_limit: Option<Rate>,
    pub cache: ResponseCache,
    pub models: Vec<Model>,
}

/// Answers to deterministic requests (temperature 0 or a fixed seed, not streamed), kept per
/// caller so one user never sees another's.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct ResponseCache {
    pub enabled: bool,
    /// Memory the cached answers may use together.
    pub max_size: ByteSize,
    /// How long an answer is reused.
    pub ttl: Duration,
}

impl Default for ResponseCache {
    fn default() -> Self {
        Self { enabled: true, max_size: ByteSize::mib(64), ttl: Duration::from_mins(10) }
    }
}

impl Default for Llm {
    fn default() -> Self {
        Self {
            llama_server: None,
            default_model: Some("bee".into()),
            memory_budget: None,
            queue_depth: 64,
            key_rate_limit: None,
            cache: ResponseCache::default(),
            models: vec![Model {
                name: "bee".into(),
                aliases: vec!["gemma3-270m".into()],
                path: "gemma-3-270m-q4_k_m.gguf".into(),
                ..Model::default()
            }],
        }
    }
}

/// One model: a GGUF file and how llama-server runs it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Model {
    /// The name clients ask for.
    pub name: String,
    /// Other names that route to this model.
    pub aliases: Vec<String>,
    /// The GGUF file; relative paths are relative to `paths.models_dir`. Not used (and may be
    /// empty) for a model served by `remote`.
    pub path: PathBuf,
    /// Expected sha256 of the file, checked before it is loaded.
    pub sha256: Option<String>,
    /// Context window in tokens (llama-server `-c`).
    #[schemars(range(min = 128))]
    pub context: u32,
    /// Requests served at once (llama-server `-np`).
    #[schemars(range(min = 1, max = 256))]
    pub parallel: u32,
    /// CPU threads; empty means one per available core.
    pub threads: Option<u32>,
    /// Layers offloaded to the GPU: `auto` or a number.
    pub gpu_layers: GpuLayers,
    /// An idle model is unloaded after this long (unless pinned).
    pub idle_ttl: Duration,
    /// Keep loaded at all times.
    pub pinned: bool,
    /// Serve `/v1/embeddings` with this model.
    pub embeddings: bool,
    /// Processes to run for this model.
    #[schemars(range(min = 1, max = 64))]
    pub replicas: u32,
    /// Allow requests for this model to go to `remote` (off the machine).
    pub allow_remote: bool,
    pub remote: Option<RemoteUpstream>,
}

impl Default for Model {
    fn default() -> Self {
        Self {
            name: String::new(),
            aliases: Vec::new(),
            path: PathBuf::new(),
            sha256: None,
            context: 4096,
            parallel: 4,
            threads: None,
            gpu_layers: GpuLayers::Auto,
            idle_ttl: Duration::from_mins(15),
            pinned: false,
            embeddings: false,
            replicas: 1,
            allow_remote: false,
            remote: None,
        }
    }
}

/// An OpenAI-compatible server off this machine, used only where `allow_remote` is set.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RemoteUpstream {
    pub base_url: String,
    /// The remote model's name, if it differs.
    #[serde(default)]
    pub model: Option<String>,
    #[serde(default)]
    pub api_key: Option<SecretRef>,
}

/// Knowledge bases: what an upload may be, and what search returns.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct HoneyJars {
    /// The largest document one upload may be.
    pub max_document_size: ByteSize,
    /// The most text one document may hold once read (a small compressed file can unpack to
    /// gigabytes): a document with more is refused.
    pub max_text_size: ByteSize,
    /// What one user's documents may take in all.
    pub user_quota: ByteSize,
    /// Search results (and Bee's sources) below this relevance (0 to 1) are never returned.
    #[schemars(range(min = 0.0, max = 1.0))]
    pub min_score: f64,
    /// Search by meaning as well as by words.
    pub embeddings: Embeddings,
}

impl Default for HoneyJars {
    fn default() -> Self {
        Self {
            max_document_size: ByteSize::mib(50),
            max_text_size: ByteSize::mib(16),
            user_quota: ByteSize::gib(1),
            min_score: 0.05,
            embeddings: Embeddings::default(),
        }
    }
}

/// Embeddings of every passage, for search by meaning fused with full-text search.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Embeddings {
    /// Folder of a sentence-transformer (config.json, tokenizer.json, model.safetensors), such as
    /// all-MiniLM-L6-v2; relative paths are relative to `paths.models_dir`. null: words only.
    pub model: Option<PathBuf>,
    /// Passages less similar than this (cosine, -1 to 1) are not returned on meaning alone.
    #[schemars(range(min = -1.0, max = 1.0))]
    pub min_similarity: f64,
}

impl Default for Embeddings {
    fn default() -> Self {
        Self { model: None, min_similarity: 0.35 }
    }
}

/// Bee, the assistant that answers from Honey Jars.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Bee {
    /// Who Bee is and how it answers: the start of every prompt.
    pub persona: String,
    /// The model Bee asks; null means `llm.default_model`.
    pub model: Option<String>,
    /// Passages from Honey Jars given to the model with each question, at most.
    #[schemars(range(min = 0, max = 20))]
    pub sources: u32,
    /// Tokens kept free in the model's window for the answer.
    #[schemars(range(min = 16))]
    pub answer_tokens: u32,
}

impl Default for Bee {
    fn default() -> Self {
        Self {
            persona:
                "You are Bee, the assistant of this organisation's STING. Answer from the sources when they help, \
                      and cite them by their number in brackets, as [1]. When the sources do not hold the answer, say \
                      so plainly instead of guessing."
                    .into(),
            model: None,
            sources: 5,
            answer_tokens: 512,
        }
    }
}

/// Detection of personal data in uploads and conversations.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Pii {
    pub enabled: bool,
    /// `flag` (mark for review), `redact` (replace before storing or sending), `block`.
    pub mode: PiiMode,
    /// In chat with a local model: `off`, or `flag` (the message is marked with the kinds found).
    /// Requests to a remote model are always redacted, whatever this says.
    pub chat: ChatPiiMode,
    /// Kinds detected: `email`, `phone`, `credit-card`, `iban`, `ssn`, `ip-address`, `person`.
    pub entities: Vec<PiiEntity>,
    /// Findings below this confidence (0 to 1) are ignored.
    #[schemars(range(min = 0.0, max = 1.0))]
    pub min_score: f64,
}

impl Default for Pii {
    fn default() -> Self {
        Self {
            enabled: true,
            mode: PiiMode::Flag,
            chat: ChatPiiMode::Flag,
            entities: vec![
                PiiEntity::Email,
                PiiEntity::Phone,
                PiiEntity::CreditCard,
                PiiEntity::Iban,
                PiiEntity::Ssn,
                PiiEntity::IpAddress,
            ],
            min_score: 0.5,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum PiiMode {
    Flag,
    Redact,
    Block,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ChatPiiMode {
    Off,
    Flag,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum PiiEntity {
    Email,
    Phone,
    CreditCard,
    Iban,
    Ssn,
    IpAddress,
    Person,
}

/// `msting backup`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Backup {
    /// Encrypt with age. A plain backup leaves out every private key and the unseal key.
    pub encrypt: bool,
    /// age recipients (`age1...` public keys); empty means a passphrase asked on the terminal.
    pub recipients: Vec<String>,
    /// Include model files (large; they can usually be fetched again).
    pub include_models: bool,
    pub retention: Retention,
}

impl Default for Backup {
    fn default() -> Self {
        Self { encrypt: true, recipients: Vec::new(), include_models: false, retention: Retention::default() }
    }
}

/// Which backups `msting backup prune` keeps (the newest of each period).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Retention {
    pub keep_last: u32,
    pub keep_daily: u32,
    pub keep_weekly: u32,
    pub keep_monthly: u32,
}

impl Default for Retention {
    fn default() -> Self {
        Self { keep_last: 3, keep_daily: 7, keep_weekly: 4, keep_monthly: 6 }
    }
}

/// Certificates for stingd's HTTPS port.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Tls {
    /// `local-ca` (a CA made at install), `acme` (Let's Encrypt or another ACME CA), or
    /// `provided` (your own files).
    pub mode: TlsMode,
    /// Extra names for the certificate besides `system.domain`.
    pub extra_names: Vec<String>,
    pub local_ca: LocalCa,
    pub acme: Acme,
    pub provided: ProvidedCert,
}

impl Default for Tls {
    fn default() -> Self {
        Self {
            mode: TlsMode::LocalCa,
            extra_names: Vec::new(),
            local_ca: LocalCa::default(),
            acme: Acme::default(),
            provided: ProvidedCert::default(),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum TlsMode {
    LocalCa,
    Acme,
    Provided,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct LocalCa {
    pub root_lifetime: Duration,
    pub leaf_lifetime: Duration,
}

impl Default for LocalCa {
    fn default() -> Self {
        Self { root_lifetime: Duration::from_days(3650), leaf_lifetime: Duration::from_days(30) }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Acme {
    /// The ACME directory URL.
    pub directory_url: String,
    /// Contact address given to the CA.
    pub email: Option<String>,
}

impl Default for Acme {
    fn default() -> Self {
        Self { directory_url: "https://acme-v02.api.letsencrypt.org/directory".into(), email: None }
    }
}

impl Acme {
    /// Whether `token` may name a file of the HTTP-01 challenge folder, which msting writes and
    /// stingd serves: RFC 8555 tokens are base64url, so anything else (a `/`, a `..`) is a CA
    /// or a request trying to reach outside it.
    pub fn is_challenge_token(token: &str) -> bool {
        !token.is_empty()
            && token.len() <= 256
            && token.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    }
}

#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct ProvidedCert {
    pub cert_file: Option<PathBuf>,
    pub key_file: Option<PathBuf>,
}

/// Thresholds of `msting health`. The certificate's come from its own lifetime (renewal is due
/// with a third left; CRITICAL under a tenth or a day), so they are not set here.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Health {
    /// Free space (percent of the disk) under which the disk check gives WARNING.
    #[schemars(range(min = 1, max = 100))]
    pub disk_free_warning_percent: u8,
    /// Free space (percent of the disk) under which it gives CRITICAL.
    #[schemars(range(min = 0, max = 99))]
    pub disk_free_critical_percent: u8,
    /// Age of the newest backup that gives WARNING (once backups are configured).
    pub backup_warning_age: Duration,
    /// Age of the newest backup that gives CRITICAL.
    pub backup_critical_age: Duration,
    /// How long one check may take before it counts as UNKNOWN.
    pub check_timeout: Duration,
}

impl Default for Health {
    fn default() -> Self {
        Self {
            disk_free_warning_percent: 15,
            disk_free_critical_percent: 5,
            // A nightly backup with two hours' slack; three missed nights are critical.
            backup_warning_age: Duration::from_hours(26),
            backup_critical_age: Duration::from_hours(74),
            check_timeout: Duration::from_secs(5),
        }
    }
}

/// Metrics and logs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Observability {
    /// `text` or `json` log lines.
    pub log_format: LogFormat,
    /// Serve Prometheus metrics.
    pub metrics: bool,
    /// A separate internal address for `/metrics`; empty means the main port, behind auth.
    #[schemars(extend("format" = "socket-addr"))]
    pub metrics_listen: Option<String>,
    /// Run Prometheus in the `observability` profile.
    pub prometheus: bool,
    pub retention: Duration,
}

impl Default for Observability {
    fn default() -> Self {
        Self {
            log_format: LogFormat::Text,
            metrics: true,
            metrics_listen: None,
            prometheus: false,
            retention: Duration::from_days(15),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum LogFormat {
    Text,
    Json,
}
