//! The stingd command line.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use stingd::serve::{API_KEY_FILE_VAR, API_KEY_VAR, Listen, ServeOptions};

/// The STING-CE daemon: HTTPS entry point, API and inference supervisor
#[derive(Debug, Parser)]
#[command(name = "stingd", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the OpenAI-compatible gateway over the configured models
    Serve {
        /// The stack's config file (sections stingd does not need may be absent)
        #[arg(long, value_name = "FILE", env = "STING_CONFIG", default_value = "/opt/sting-ce/conf/config.yml")]
        config: PathBuf,
        /// Serve plain HTTP on this loopback address instead of HTTPS (a local gateway, tests)
        #[arg(long, value_name = "ADDR", conflicts_with_all = ["https", "http"])]
        listen: Option<SocketAddr>,
        /// HTTPS address [default: system.bind_address and services.stingd.https_port]
        #[arg(long, value_name = "ADDR")]
        https: Option<SocketAddr>,
        /// HTTP address for redirects and ACME challenges [default: from the config]
        #[arg(long, value_name = "ADDR")]
        http: Option<SocketAddr>,
        /// The HTTPS port people reach this stingd at, when it differs from the one it listens
        /// on (a container's published port) [default: the listening port]
        #[arg(long, value_name = "PORT")]
        public_port: Option<u16>,
        /// Serve the status report (models, queues, sessions, ingestion, Vault) to local
        /// processes on this Unix socket; its folder is made private to stingd's user
        #[arg(long, value_name = "PATH", env = "STING_STATUS_SOCKET")]
        status_socket: Option<PathBuf>,
    },
    /// Print the status report of the stingd serving on SOCKET, as JSON (what `msting health`
    /// runs in stingd's container)
    Status {
        /// The socket given to `stingd serve --status-socket`
        #[arg(long, value_name = "PATH")]
        socket: PathBuf,
    },
    /// The database: apply migrations, or show where the schema stands
    /// (the URL comes from STING_DATABASE_URL: it holds a password, so never a flag)
    Db {
        #[command(subcommand)]
        action: DbAction,
    },
    /// Administer accounts
    Admin {
        #[command(subcommand)]
        action: AdminAction,
    },
    /// (internal) Confine this process with Landlock, then run a model server in its place
    #[command(hide = true, name = "sandbox-exec")]
    SandboxExec {
        /// A file the program may read
        #[arg(long = "read", value_name = "FILE")]
        read: Vec<PathBuf>,
        /// The TCP port the program may listen on
        #[arg(long)]
        port: u16,
        /// Run the program even if the kernel cannot enforce the confinement
        #[arg(long)]
        allow_unconfined: bool,
        /// The program and its arguments
        #[arg(last = true, required = true)]
        command: Vec<std::ffi::OsString>,
    },
    /// (internal) Read a document from stdin, confined and limited, and print its text as JSON
    #[command(hide = true, name = "extract")]
    Extract {
        #[arg(long = "type")]
        kind: String,
        /// Address space limit in bytes
        #[arg(long)]
        memory: u64,
        /// CPU time limit in seconds
        #[arg(long)]
        cpu: u64,
        /// The most text, in bytes, the document may give
        #[arg(long)]
        max_text: u64,
        /// Read even if the kernel cannot confine this process
        #[arg(long)]
        allow_unconfined: bool,
    },
    /// Personal data in text
    Pii {
        #[command(subcommand)]
        action: PiiAction,
    },
    /// (container health check) Exit 0 when the stingd at URL answers /health/ready with 200
    #[command(hide = true)]
    Healthcheck {
        /// stingd's own address, as `https://127.0.0.1:8443` (its certificate is not checked:
        /// this asks the process beside it whether it is ready, nothing more)
        url: String,
    },
    /// Check the config stingd would start with, and report every problem with its line
    CheckConfig {
        /// The stack's config file
        #[arg(long, value_name = "FILE", env = "STING_CONFIG", default_value = "/opt/sting-ce/conf/config.yml")]
        config: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
enum PiiAction {
    /// What a text contains: kind, byte offsets, score and rule for each finding (never the
    /// values). Exit status 1 when something is found, 0 when nothing is, 2 on an error
    Scan {
        /// Print JSON
        #[arg(long)]
        json: bool,
        /// Report findings scored at least this (0 to 1)
        #[arg(long, default_value_t = 0.5)]
        min_score: f32,
        /// The file to scan; `-` or nothing reads stdin
        file: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
enum AdminAction {
    /// After `msting encryption-keys rotate`: wrap every document's data key again under the
    /// newest key version (inside Vault; uses this stingd's Vault login and database)
    Rewrap {
        /// The stack's config
        #[arg(long, value_name = "FILE", env = "STING_CONFIG", default_value = "/opt/sting-ce/conf/config.yml")]
        config: PathBuf,
    },
    /// Sign everyone out: end every session of every user (API tokens stay valid). Running
    /// stingds drop what they cached at once. What `msting reset-auth` runs in the stack
    RevokeSessions {
        /// The stack's config
        #[arg(long, value_name = "FILE", env = "STING_CONFIG", default_value = "/opt/sting-ce/conf/config.yml")]
        config: PathBuf,
    },
    /// Create an admin account and print its one-time enrolment link (no mail server needed).
    /// The link is a secret: it is printed only to a terminal, unless --stdout says otherwise
    Create {
        /// The admin's email address
        #[arg(long)]
        email: String,
        /// The stack's config (for the domain and port in the link)
        #[arg(long, value_name = "FILE", env = "STING_CONFIG", default_value = "/opt/sting-ce/conf/config.yml")]
        config: PathBuf,
        /// Print the link even when stdout is not a terminal (for a program that shows it)
        #[arg(long)]
        stdout: bool,
    },
}

#[derive(Debug, Subcommand)]
enum DbAction {
    /// Apply this release's migrations (refusing a schema a newer release has contracted)
    Migrate,
    /// Show the schema versions: known to this binary, applied, and the oldest allowed reader
    Status,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve { config, listen, https, http, public_port, status_socket } => {
            serve(&config, listen, https, http, public_port, status_socket)
        }
        Command::Status { socket } => status(&socket),
        Command::CheckConfig { config } => check_config(&config),
        Command::Healthcheck { url } => healthcheck(&url),
        Command::Pii { action: PiiAction::Scan { json, min_score, file } } => pii_scan(json, min_score, file),
        Command::Extract { kind, memory, cpu, max_text, allow_unconfined } => {
            match stingd::honey_jars::ingest::sniff::DocType::from_name(&kind) {
                Some(kind) => {
                    stingd::honey_jars::ingest::extract::run_child(kind, memory, cpu, max_text, allow_unconfined)
                }
                None => {
                    eprintln!("error: unknown document type `{kind}`");
                    ExitCode::from(2)
                }
            }
        }
        Command::Db { action } => database(action),
        Command::Admin { action: AdminAction::Create { email, config, stdout } } => {
            admin_create(&email, &config, stdout)
        }
        Command::Admin { action: AdminAction::Rewrap { config } } => admin_rewrap(&config),
        Command::Admin { action: AdminAction::RevokeSessions { config } } => admin_revoke_sessions(&config),
        Command::SandboxExec { read, port, allow_unconfined, command } => {
            let confinement = stingd::sandbox::Confinement { read_files: read, port, allow_unconfined };
            let program = PathBuf::from(&command[0]);
            let error = stingd::sandbox::exec_confined(&confinement, &program, &command[1..]);
            eprintln!("error: {error}");
            ExitCode::from(127)
        }
    }
}

fn load(file: &std::path::Path) -> Option<sting_config::Config> {
    match sting_config::load_file(file, &sting_config::Overrides::from_process_env()) {
        Ok(loaded) => Some(loaded.config),
        Err(diagnostics) => {
            eprintln!("{diagnostics}");
            None
        }
    }
}

fn serve(
    file: &std::path::Path,
    listen: Option<SocketAddr>,
    https: Option<SocketAddr>,
    http: Option<SocketAddr>,
    public_port: Option<u16>,
    status_socket: Option<PathBuf>,
) -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        .init();
    let Some(config) = load(file) else { return ExitCode::FAILURE };
    let listen = match (listen, stingd::serve::default_listen(&config)) {
        (Some(address), _) => Listen::PlainLoopback(address),
        (None, Listen::Https { https: default_https, http: default_http }) => {
            Listen::Https { https: https.unwrap_or(default_https), http: http.or(default_http) }
        }
        (None, other) => other,
    };
    let api_keys = match (std::env::var(API_KEY_VAR), std::env::var_os(API_KEY_FILE_VAR)) {
        (Ok(keys), _) => keys,
        // Inside the stack: a file msting writes from Vault (0400, stingd's alone).
        (Err(_), Some(file)) => match std::fs::read_to_string(&file) {
            Ok(keys) => keys.trim().to_string(),
            Err(e) => {
                eprintln!("error: cannot read the API key file {} ({API_KEY_FILE_VAR}): {e}", file.to_string_lossy());
                return ExitCode::FAILURE;
            }
        },
        (Err(_), None) => {
            eprintln!(
                "error: neither {API_KEY_VAR} nor {API_KEY_FILE_VAR} is set: every API route needs a key, and it never comes from the config file"
            );
            return ExitCode::FAILURE;
        }
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(stingd::serve::run(ServeOptions { config, listen, api_keys, public_port, status_socket })) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn pii_scan(json: bool, min_score: f32, file: Option<PathBuf>) -> ExitCode {
    use std::io::Read;
    let mut bytes = Vec::new();
    let read = match file.as_deref().filter(|f| f.as_os_str() != "-") {
        Some(path) => std::fs::File::open(path).and_then(|mut f| f.read_to_end(&mut bytes)),
        None => std::io::stdin().read_to_end(&mut bytes),
    };
    if let Err(e) = read {
        eprintln!("error: cannot read {}: {e}", file.as_deref().map_or("stdin".into(), |f| f.display().to_string()));
        return ExitCode::from(2);
    }
    // Invalid UTF-8 is replaced, byte for byte where possible, so offsets stay close.
    let text = String::from_utf8_lossy(&bytes);
    let findings = sting_pii::Scanner::new(sting_pii::Kind::ALL, min_score).scan(&text);
    if json {
        println!("{}", serde_json::json!({ "findings": findings }));
    } else {
        for f in &findings {
            println!("{}-{}\t{}\t{:.2}\t{}", f.start, f.end, f.kind, f.score, f.rule);
        }
        eprintln!("{} finding{}", findings.len(), if findings.len() == 1 { "" } else { "s" });
    }
    ExitCode::from(if findings.is_empty() { 0 } else { 1 })
}

fn check_config(file: &std::path::Path) -> ExitCode {
    let Some(c) = load(file) else { return ExitCode::FAILURE };
    println!(
        "{}: valid (version {}); {} model(s), default `{}`; HTTPS on {}:{}",
        file.display(),
        c.version,
        c.llm.models.len(),
        c.llm.default_model.as_deref().unwrap_or("none"),
        c.system.bind_address,
        c.services.stingd.https_port
    );
    ExitCode::SUCCESS
}

fn database(action: DbAction) -> ExitCode {
    use stingd::db;
    let Ok(url) = std::env::var(db::DATABASE_URL_VAR) else {
        eprintln!(
            "error: {} is not set: give the database URL in it (it holds a password, so never as a flag)",
            db::DATABASE_URL_VAR
        );
        return ExitCode::FAILURE;
    };
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let result = runtime.block_on(async {
        let pool = db::connect(&url, 2, std::time::Duration::from_secs(10)).await?;
        match action {
            DbAction::Migrate => db::migrate(&pool).await,
            DbAction::Status => db::status(&pool).await,
        }
    });
    match result {
        Ok(status) => {
            println!("{}", serde_json::to_string(&status).expect("status serialises"));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn admin_rewrap(config: &std::path::Path) -> ExitCode {
    let Some(config) = load(config) else { return ExitCode::FAILURE };
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let result = runtime.block_on(async {
        let settings = stingd::vault::Settings::from_env(&config)?.ok_or_else(|| {
            anyhow::anyhow!("{} is not set: rewrapping needs stingd's Vault", stingd::vault::ADDRESS_VAR)
        })?;
        let vault = stingd::vault::log_in_now(&settings).await?;
        let login = stingd::vault::database_login(&vault, &settings.kv_mount, &config).await?;
        let pool = stingd::db::connect_with(
            stingd::db::connect_options(&config, &login),
            2,
            std::time::Duration::from_secs(10),
        )
        .await?;
        let (rewrapped, current) = stingd::honey_jars::documents::rewrap_all(&pool, &vault).await?;
        anyhow::Ok((rewrapped, current))
    });
    match result {
        Ok((rewrapped, current)) => {
            println!(
                "rewrapped {rewrapped} data key(s) of documents and conversations and TOTP secret(s); {current} already under the newest key version"
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn admin_revoke_sessions(config: &std::path::Path) -> ExitCode {
    use stingd::identity::{audit, sessions};
    let Some(config) = load(config) else { return ExitCode::FAILURE };
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let result = runtime.block_on(async {
        let pool = admin_pool(&config).await?;
        // No cache of our own to clear: the delete's notification reaches every running stingd.
        let unused_cache = stingd::identity::cache::CredentialCache::new(std::time::Duration::ZERO);
        let revoked = sessions::revoke_all(&pool, &unused_cache).await?;
        audit::record(
            &pool,
            None,
            "sessions.revoke_all",
            None,
            serde_json::json!({ "revoked": revoked, "by": "operator" }),
        )
        .await?;
        anyhow::Ok(revoked)
    });
    match result {
        Ok(revoked) => {
            println!("revoked {revoked} session(s): everyone signs in again");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn admin_create(email: &str, config: &std::path::Path, to_stdout: bool) -> ExitCode {
    use std::io::IsTerminal;
    use stingd::{db, identity};
    if !to_stdout && !std::io::stdout().is_terminal() {
        eprintln!(
            "error: the enrolment link is a secret and stdout is not a terminal: run this on a terminal, or pass --stdout"
        );
        return ExitCode::FAILURE;
    }
    let Some(config) = load(config) else { return ExitCode::FAILURE };
    if config.auth.provider == sting_config::AuthProvider::Kratos {
        eprintln!(
            "error: with `auth.provider: kratos` accounts are Kratos identities: create the admin in Kratos with the trait `role: admin`"
        );
        return ExitCode::FAILURE;
    }
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let result = runtime.block_on(async {
        let pool = admin_pool(&config).await.map_err(|e| format!("{e:#}"))?;
        db::migrate(&pool).await.map_err(|e| e.to_string())?;
        let user = identity::users::create(&pool, email, identity::users::Role::Admin).await.map_err(|e| match e {
            identity::IdentityError::EmailTaken => format!("{email} already has an account"),
            other => other.to_string(),
        })?;
        let token = identity::enrolment::create(&pool, user.id).await.map_err(|e| e.to_string())?;
        Ok::<_, String>(identity::enrolment::link(&config.system.domain, config.services.stingd.https_port, &token))
    });
    match result {
        Ok(link) => {
            println!(
                "Admin account created for {email}. Open this link within 24 hours, once, to register a passkey or TOTP:"
            );
            println!("{link}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The database for an admin command: `STING_DATABASE_URL`, or (inside the stack) the login
/// stingd's Vault role reads, as `stingd serve` does.
async fn admin_pool(config: &sting_config::Config) -> anyhow::Result<sqlx::PgPool> {
    use stingd::db;
    let patience = std::time::Duration::from_secs(10);
    if let Ok(url) = std::env::var(db::DATABASE_URL_VAR) {
        return Ok(db::connect(&url, 2, patience).await?);
    }
    let Some(settings) = stingd::vault::Settings::from_env(config)? else {
        anyhow::bail!(
            "neither {} nor {} is set: give the database URL, or run this inside the stack (`msting` does)",
            db::DATABASE_URL_VAR,
            stingd::vault::ADDRESS_VAR
        );
    };
    let vault = stingd::vault::log_in_now(&settings).await?;
    let login = stingd::vault::database_login(&vault, &settings.kv_mount, config).await?;
    Ok(db::connect_with(db::connect_options(config, &login), 2, patience).await?)
}

fn status(socket: &std::path::Path) -> ExitCode {
    let answer = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(anyhow::Error::from)
        .and_then(|runtime| runtime.block_on(stingd::beeacon::read_socket(socket)));
    match answer {
        Ok(text) => {
            print!("{text}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// One readiness request, for Docker's health check: no shell or curl in the image.
fn healthcheck(url: &str) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("unhealthy: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async {
        let client = match reqwest::Client::builder()
            .danger_accept_invalid_certs(true)
            .timeout(std::time::Duration::from_secs(4))
            .build()
        {
            Ok(client) => client,
            Err(e) => {
                eprintln!("unhealthy: {e}");
                return ExitCode::FAILURE;
            }
        };
        match client.get(format!("{}/health/ready", url.trim_end_matches('/'))).send().await {
            Ok(response) if response.status().is_success() => ExitCode::SUCCESS,
            Ok(response) => {
                eprintln!("unhealthy: {} {}", response.status(), response.text().await.unwrap_or_default());
                ExitCode::FAILURE
            }
            Err(e) => {
                eprintln!("unhealthy: {e}");
                ExitCode::FAILURE
            }
        }
    })
}
