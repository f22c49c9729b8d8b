//! The stingd command line: the argument definitions and the one place a command's failure
//! becomes an exit (`cli/` holds the commands).

mod cli;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

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
    // Those that confine or limit this very process, or need no runtime, run before any
    // runtime thread exists (Landlock confines the calling thread and what it starts).
    let command = match cli.command {
        Command::SandboxExec { read, port, allow_unconfined, command } => {
            let confinement = stingd::sandbox::Confinement { read_files: read, port, allow_unconfined };
            let program = PathBuf::from(&command[0]);
            let error = stingd::sandbox::exec_confined(&confinement, &program, &command[1..]);
            eprintln!("error: {error}");
            return ExitCode::from(127);
        }
        Command::Extract { kind, memory, cpu, max_text, allow_unconfined } => {
            return match stingd::honey_jars::ingest::sniff::DocType::from_name(&kind) {
                Some(kind) => {
                    stingd::honey_jars::ingest::extract::run_child(kind, memory, cpu, max_text, allow_unconfined)
                }
                None => {
                    eprintln!("error: unknown document type `{kind}`");
                    ExitCode::from(2)
                }
            };
        }
        Command::Pii { action: PiiAction::Scan { json, min_score, file } } => {
            return cli::pii::scan(json, min_score, file.as_deref());
        }
        other => other,
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => return cli::exit(Err(anyhow::anyhow!("cannot start the runtime: {e}"))),
    };
    cli::exit(runtime.block_on(async move {
        match command {
            Command::Serve { config, listen, https, http, public_port, status_socket } => {
                cli::serve::run(&config, cli::serve::Addresses { listen, https, http, public_port }, status_socket)
                    .await
            }
            Command::Status { socket } => cli::probe::status(&socket).await,
            Command::Healthcheck { url } => cli::probe::healthcheck(&url).await,
            Command::CheckConfig { config } => cli::check_config(&config),
            Command::Db { action: DbAction::Migrate } => cli::db::run(cli::db::Action::Migrate).await,
            Command::Db { action: DbAction::Status } => cli::db::run(cli::db::Action::Status).await,
            Command::Admin { action: AdminAction::Create { email, config, stdout } } => {
                cli::admin::create(&email, &config, stdout).await
            }
            Command::Admin { action: AdminAction::Rewrap { config } } => cli::admin::rewrap(&config).await,
            Command::Admin { action: AdminAction::RevokeSessions { config } } => {
                cli::admin::revoke_sessions(&config).await
            }
            Command::SandboxExec { .. } | Command::Extract { .. } | Command::Pii { .. } => {
                unreachable!("handled before the runtime")
            }
        }
    }))
}
