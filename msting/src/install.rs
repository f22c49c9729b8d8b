//! `msting install`'s work, in dependency order, each step gated on msting's own probe (not on
//! Docker's health interval): folders and certificates, images, networks and volumes, Vault
//! (started, initialised once, unsealed, set up), the database (its login from Vault), stingd
//! (its single-use Vault login), and the first admin. Every step compares what is with what the
//! config asks for and changes only what differs, so a second run changes nothing.

use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use bollard::Docker;
use sting_config::Config;
use sting_vault::server::{STATIC_KEY_FILE, ServerConfig};

use crate::output::Output;
use crate::progress::Progress;
use crate::recipes::Inputs;
use crate::stack::containers::{self, Change, container_name};
use crate::stack::spec::{self, Service, Stack};
use crate::stack::{exec, resources};
use crate::{fsio, images, tls, vault_access};

#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Preflight checks not to run.
    pub skip: Vec<String>,
    /// Where image builds take their programs.
    pub inputs: Inputs,
}

/// What an install changed (empty: nothing).
#[derive(Debug, Default, serde::Serialize)]
pub struct Outcome {
    pub changes: Vec<String>,
    pub url: String,
}

/// Patience of the readiness probes.
pub(crate) const VAULT_PATIENCE: Duration = Duration::from_secs(60);
pub(crate) const DB_PATIENCE: Duration = Duration::from_secs(90);
const STINGD_PATIENCE: Duration = Duration::from_secs(180);

/// The services that run (the profile-gated ones only when enabled, which the spec decides).
pub(crate) fn service<'a>(stack: &'a Stack, name: &str) -> anyhow::Result<&'a Service> {
    stack.services.iter().find(|s| s.name == name).with_context(|| format!("the stack has no {name} service"))
}

pub async fn run(
    docker: &Docker,
    config: &Config,
    options: &Options,
    out: &Output,
    progress: &mut Progress,
) -> anyhow::Result<Outcome> {
    let stack = spec::desired(config);
    let mut outcome = Outcome { url: url(config), ..Default::default() };

    step(progress, "files and certificates", prepare_files(config, &mut outcome.changes)).await?;
    let mut build_log = Vec::new();
    let images = ensure_images(docker, config, &stack, options, &mut build_log, &mut outcome.changes);
    let images = step(progress, "images", images).await;
    for line in build_log {
        progress.log(&line);
    }
    images?;
    step(progress, "networks and volumes", async {
        let made = resources::ensure(docker, &stack).await?;
        outcome.changes.extend(made.iter().map(|m| format!("made {m}")));
        Ok(if made.is_empty() { "present".to_string() } else { made.join(", ") })
    })
    .await?;
    step(progress, "vault", bring_up_vault(docker, config, &stack, out, &mut outcome.changes)).await?;
    step(progress, "database", bring_up_db(docker, config, &stack, &mut outcome.changes)).await?;
    step(progress, "stingd", bring_up_stingd(docker, config, &stack, &mut outcome.changes)).await?;
    for extra in stack.services.iter().filter(|s| !["vault", "db", "stingd"].contains(&s.name)) {
        step(progress, extra.name, async {
            let change = apply(docker, &stack, extra).await?;
            record(&mut outcome.changes, extra.name, change);
            Ok(describe(change))
        })
        .await?;
    }
    Ok(outcome)
}

pub(crate) async fn step<F>(progress: &mut Progress, name: &str, work: F) -> anyhow::Result<()>
where
    F: std::future::Future<Output = anyhow::Result<String>>,
{
    progress.start(name);
    match work.await {
        Ok(result) => {
            progress.done(&result);
            Ok(())
        }
        Err(error) => {
            progress.failed(&error);
            Err(error.context(format!("the {name} step failed")))
        }
    }
}

fn record(changes: &mut Vec<String>, what: &str, change: Change) {
    match change {
        Change::Unchanged => {}
        Change::Created => changes.push(format!("created {what}")),
        Change::Replaced => changes.push(format!("replaced {what}")),
    }
}

fn describe(change: Change) -> String {
    match change {
        Change::Unchanged => "running, unchanged".into(),
        Change::Created => "created and started".into(),
        Change::Replaced => "replaced and started".into(),
    }
}

/// The address people open.
pub fn url(config: &Config) -> String {
    let port = config.services.stingd.https_port;
    if port == 443 {
        format!("https://{}/", config.system.domain)
    } else {
        format!("https://{}:{port}/", config.system.domain)
    }
}

/// Folders with their owners and modes, stingd's certificate (local CA), Vault's certificate and
/// server configuration, and the unseal key in auto mode.
pub(crate) async fn prepare_files(config: &Config, changes: &mut Vec<String>) -> anyhow::Result<String> {
    let install = &config.paths.install_dir;
    let dir = |p: &Path| spec::absolute(config, p);
    for (path, mode) in [
        (install.join("conf"), 0o755),
        (dir(&config.paths.models_dir), 0o755),
        (dir(&config.paths.log_dir), 0o700),
        (dir(&config.paths.backup_dir), 0o700),
        (dir(&config.paths.secrets_dir), 0o700),
        (dir(&config.paths.certs_dir), 0o700),
    ] {
        ensure_dir(&path, mode)?;
    }
    let now = time::OffsetDateTime::now_utc();
    let certs = dir(&config.paths.certs_dir);
    if config.tls.mode == sting_config::TlsMode::LocalCa && tls::install::current(&certs)?.is_none() {
        let names = tls::local::server_names(config, &tls::local::host_addresses())?;
        tls::local::setup(config, &names, false, now)?;
        changes.push("issued stingd's certificate".into());
    }
    // The certificate folder is stingd's: renewed keys written by root stay readable by it.
    fsio::give_to(&certs, spec::STINGD_UID)?;

    let vault_dir = spec::vault_server_dir(config);
    ensure_dir(&vault_dir, 0o700)?;
    if tls::local::vault_certificate(config, &vault_dir.join("tls"), now)? {
        changes.push("issued Vault's certificate".into());
    }
    let server = ServerConfig {
        storage_dir: "/vault/data".into(),
        listen: "0.0.0.0:8200".parse().expect("an address"),
        cluster_listen: "0.0.0.0:8201".parse().expect("an address"),
        cluster_addr: Some(format!("https://{}:8201", spec::VAULT_HOST)),
        api_addr: format!("https://{}:8200", spec::VAULT_HOST),
        tls: Some((
            format!("{}/tls/server.crt", spec::VAULT_CONFIG_DIR).into(),
            format!("{}/tls/server.key", spec::VAULT_CONFIG_DIR).into(),
        )),
        static_key: (config.vault.unseal == sting_config::UnsealMode::Auto)
            .then(|| format!("{}/{STATIC_KEY_FILE}", spec::VAULT_CONFIG_DIR).into()),
        audit_file: "/vault/logs/audit.log".into(),
    };
    let file = vault_dir.join(spec::VAULT_CONFIG_FILE);
    let rendered = server.render();
    if std::fs::read_to_string(&file).ok().as_deref() != Some(rendered.as_str()) {
        fsio::atomic_write(&file, rendered.as_bytes(), Some(0o400))?;
        changes.push("wrote Vault's server configuration".into());
    }
    if config.vault.unseal == sting_config::UnsealMode::Auto && !vault_dir.join(STATIC_KEY_FILE).exists() {
        sting_vault::server::ensure_static_key(&vault_dir)?;
        changes.push("made Vault's unseal key".into());
    }
    fsio::give_to(&vault_dir, spec::VAULT_UID)?;

    let stingd_auth = vault_access::service_credentials_dir(config, "stingd");
    ensure_dir(stingd_auth.parent().expect("a parent"), 0o700)?;
    ensure_dir(&stingd_auth, 0o700)?;
    fsio::give_to(&stingd_auth, spec::STINGD_UID)?;
    Ok(format!("in {}", install.display()))
}

pub(crate) fn ensure_dir(path: &Path, mode: u32) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(path).with_context(|| format!("cannot create {}", path.display()))?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .with_context(|| format!("cannot set the mode of {}", path.display()))
}

/// Each service's image: present, else pulled (as `images.pull` allows), else built.
pub(crate) async fn ensure_images(
    docker: &Docker,
    config: &Config,
    stack: &Stack,
    options: &Options,
    build_log: &mut Vec<String>,
    changes: &mut Vec<String>,
) -> anyhow::Result<String> {
    let obtained =
        images::obtain(docker, stack, config.images.pull, &config.images.base, &options.inputs, &mut |line| {
            build_log.push(line.to_string())
        })
        .await?;
    let new: Vec<String> = obtained
        .iter()
        .filter(|o| o.how != crate::images::Outcome::Current)
        .map(|o| format!("{} {}", o.how, o.image))
        .collect();
    changes.extend(new.iter().cloned());
    Ok(if new.is_empty() { "present".into() } else { new.join(", ") })
}

/// Creates or replaces a service's container as needed and makes sure it runs.
pub async fn apply(docker: &Docker, stack: &Stack, service: &Service) -> anyhow::Result<Change> {
    let change = containers::ensure(docker, stack, service).await?;
    let name = container_name(&stack.project, service.name);
    let running = docker.inspect_container(&name, None).await?.state.and_then(|s| s.running).unwrap_or(false);
    if !running {
        docker.start_container(&name, None::<bollard::query_parameters::StartContainerOptions>).await?;
    }
    Ok(change)
}

async fn bring_up_vault(
    docker: &Docker,
    config: &Config,
    stack: &Stack,
    out: &Output,
    changes: &mut Vec<String>,
) -> anyhow::Result<String> {
    let change = apply(docker, stack, service(stack, "vault")?).await?;
    record(changes, "vault", change);
    ready(docker, config, stack, "vault", VAULT_PATIENCE).await?;
    let vault = sting_vault::Vault::new(vault_access::connection(config))?;
    let status = sting_vault::seal::status(&vault).await?;
    if status.initialized && status.sealed && !status.recovery_seal {
        anyhow::bail!("Vault is sealed (manual unseal mode): unseal it with `msting unseal`, then run install again");
    }
    let initialised = crate::vault_setup::initialise(out, config).await?;
    if initialised.handed.is_some() {
        changes.push("initialised Vault".into());
    }
    if !initialised.configured.generated.is_empty() {
        changes.push(format!("generated {} secrets", initialised.configured.generated.len()));
    }
    Ok(if initialised.handed.is_some() { "initialised, unsealed".into() } else { "unsealed".into() })
}

async fn bring_up_db(
    docker: &Docker,
    config: &Config,
    stack: &Stack,
    changes: &mut Vec<String>,
) -> anyhow::Result<String> {
    let change = apply(docker, stack, service(stack, "db")?).await?;
    record(changes, "db", change);
    let name = container_name(&stack.project, "db");
    ready(docker, config, stack, "db", DB_PATIENCE).await?;

    let (user, password) = database_login(config).await?;
    let password = &password;
    let database = &config.database.name;
    let present = exec::psql(
        docker,
        &name,
        "postgres",
        &format!(
            "SELECT (SELECT count(*) FROM pg_roles WHERE rolname = {u}) + (SELECT count(*) FROM pg_database WHERE datname = {d});",
            u = crate::db_admin::literal(&user),
            d = crate::db_admin::literal(database)
        ),
    )
    .await?;
    if present.trim() == "2" {
        return Ok("ready".into());
    }
    // The password reaches PostgreSQL only as its SCRAM verifier, on psql's stdin.
    let sql = format!(
        "DO $$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = {ul}) THEN CREATE ROLE {ui} LOGIN; END IF; END$$;\n\
         ALTER ROLE {ui} LOGIN PASSWORD {verifier};\n\
         SELECT 'CREATE DATABASE {di} OWNER {ui}' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = {dl})\\gexec\n",
        ul = crate::db_admin::literal(&user),
        ui = crate::db_admin::identifier(&user),
        verifier = crate::db_admin::literal(&crate::db_admin::scram_verifier(password)),
        di = crate::db_admin::identifier(database).replace('\'', "''"),
        dl = crate::db_admin::literal(database),
    );
    exec::psql(docker, &name, "postgres", &sql).await?;
    changes.push(format!("made the database {database} and its login {user}"));
    Ok(format!("ready; made {database} for {user}"))
}

/// The database login stingd uses, as Vault keeps it: its user and password.
pub(crate) async fn database_login(config: &Config) -> anyhow::Result<(String, sting_vault::Secret)> {
    let operator = vault_access::operator(config).await?;
    let login = sting_vault::kv::get(&operator, &config.vault.kv_mount, &config.database.password.path)
        .await?
        .context("Vault holds no database password: run `msting vault init` to generate the stack's secrets")?;
    let user = login.get("username").map(|u| u.expose().to_string()).unwrap_or_else(|| config.database.user.clone());
    let password = login
        .get(&config.database.password.key)
        .context("Vault's database secret has no password: run `msting vault init`")?;
    Ok((user, password.clone()))
}

async fn bring_up_stingd(
    docker: &Docker,
    config: &Config,
    stack: &Stack,
    changes: &mut Vec<String>,
) -> anyhow::Result<String> {
    let stingd = service(stack, "stingd")?;
    let name = container_name(&stack.project, "stingd");
    let existing = docker.inspect_container(&name, None).await.ok();
    let auth = vault_access::service_credentials_dir(config, "stingd");
    // A new container logs in afresh with a single-use secret-id; a running one keeps its token.
    let needs_login = existing.is_none() || !auth.join("role-id").exists();
    if needs_login {
        let operator = vault_access::operator(config).await?;
        let role_id = sting_vault::approle::role_id(&operator, "stingd").await?;
        let wrapped =
            sting_vault::approle::issue_wrapped_secret_id(&operator, "stingd", Duration::from_secs(24 * 3600)).await?;
        vault_access::save_service_credentials(&auth, &role_id, &wrapped)?;
    }
    let key_changed = write_api_key(config).await?;
    let mut change = apply(docker, stack, stingd).await?;
    if key_changed && change == Change::Unchanged {
        // stingd reads its key at start.
        docker.restart_container(&name, None::<bollard::query_parameters::RestartContainerOptions>).await?;
        change = Change::Replaced;
    }
    record(changes, "stingd", change);
    ready(docker, config, stack, "stingd", STINGD_PATIENCE).await?;
    Ok(match change {
        Change::Unchanged => "ready, unchanged".into(),
        _ => format!("ready at {}", url(config)),
    })
}

/// The gateway's API key, from Vault into the file stingd reads (`secrets/stingd/api-key`,
/// 0400, stingd's folder); returns whether the file changed.
async fn write_api_key(config: &Config) -> anyhow::Result<bool> {
    let operator = vault_access::operator(config).await?;
    let keys = sting_vault::kv::get(&operator, &config.vault.kv_mount, "stingd/keys")
        .await?
        .context("Vault holds no stingd/keys: run `msting vault init` to generate the stack's secrets")?;
    let key = keys.get("api_key").context("Vault's stingd/keys has no api_key: run `msting vault init`")?;
    let dir = spec::absolute(config, &config.paths.secrets_dir).join("stingd");
    ensure_dir(&dir, 0o700)?;
    fsio::give_to(&dir, spec::STINGD_UID)?;
    let file = dir.join("api-key");
    let current = std::fs::read(&file).ok().map(zeroize::Zeroizing::new);
    if current.as_deref().map(|c| c.as_slice()) == Some(key.expose().as_bytes()) {
        return Ok(false);
    }
    fsio::atomic_write(&file, key.expose().as_bytes(), Some(0o400))?;
    Ok(true)
}

/// Where msting reaches stingd's published HTTPS port from this host.
pub fn probe_address(config: &Config) -> std::net::SocketAddr {
    let ip = config.system.bind_address;
    let ip = if ip.is_unspecified() { std::net::IpAddr::from([127, 0, 0, 1]) } else { ip };
    std::net::SocketAddr::new(ip, config.services.stingd.https_port)
}

/// Waits until `service` answers msting's own probe: Vault its seal status, PostgreSQL
/// `pg_isready` in its container, stingd `/health/ready` on its published port, others Docker's
/// health status. A container that exits or restarts over and over fails at once.
pub async fn ready(
    docker: &Docker,
    config: &Config,
    stack: &Stack,
    service: &str,
    patience: Duration,
) -> anyhow::Result<()> {
    let name = container_name(&stack.project, service);
    let started = tokio::time::Instant::now();
    let mut last = String::from("no answer yet");
    let probe = reqwest::Client::builder()
        // A readiness probe over loopback: the certificate is checked by `msting certs status`.
        .danger_accept_invalid_certs(true)
        .timeout(Duration::from_secs(5))
        .build()?;
    let vault = sting_vault::Vault::new(vault_access::connection(config))?;
    let restarts_before = docker.inspect_container(&name, None).await.ok().and_then(|c| c.restart_count).unwrap_or(0);
    loop {
        let found = docker.inspect_container(&name, None).await?;
        let state = found.state.clone().unwrap_or_default();
        let restarts = found.restart_count.unwrap_or(0) - restarts_before;
        if restarts >= 3 {
            let said = last_lines(docker, &name).await;
            anyhow::bail!(
                "{service} is in a crash loop ({restarts} restarts; its last words: {said}); {}",
                logs_hint(stack, service)
            );
        }
        let status = crate::stack::containers::ContainerState::from(state.status);
        use crate::stack::containers::ContainerState as C;
        if matches!(status, C::Exited | C::Dead) {
            anyhow::bail!(
                "{service} stopped (exit code {}; its last words: {}); {}",
                state.exit_code.unwrap_or(-1),
                last_lines(docker, &name).await,
                logs_hint(stack, service)
            );
        }
        let answer: Result<bool, String> = if state.running != Some(true) || status == C::Restarting {
            Err(format!("its container is {status}"))
        } else {
            match service {
                "vault" => sting_vault::seal::status(&vault).await.map(|_| true).map_err(|e| e.to_string()),
                "db" => exec::run(docker, &name, &["pg_isready", "-q", "-h", "/run/postgresql"], None)
                    .await
                    .map(|done| done.code == 0)
                    .map_err(|e| e.to_string()),
                "stingd" => match probe.get(format!("https://{}/health/ready", probe_address(config))).send().await {
                    Ok(response) if response.status().is_success() => Ok(true),
                    Ok(response) => {
                        Err(format!("{}: {}", response.status(), response.text().await.unwrap_or_default()))
                    }
                    Err(e) => Err(e.to_string()),
                },
                _ => Ok(state.health.and_then(|h| h.status).is_some_and(|h| h.to_string() == "healthy")),
            }
        };
        match answer {
            Ok(true) => return Ok(()),
            Ok(false) => {}
            Err(why) => last = why,
        }
        if started.elapsed() >= patience {
            anyhow::bail!("{service} was not ready within {patience:?}: {last}; {}", logs_hint(stack, service));
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// The last lines a container wrote, for an error message.
async fn last_lines(docker: &Docker, name: &str) -> String {
    use futures_util::StreamExt;
    let options = bollard::query_parameters::LogsOptionsBuilder::default().stdout(true).stderr(true).tail("3").build();
    let mut lines = Vec::new();
    let mut stream = docker.logs(name, Some(options));
    while let Some(Ok(chunk)) = stream.next().await {
        lines.extend(String::from_utf8_lossy(&chunk.into_bytes()).lines().map(|l| l.trim().to_string()));
    }
    if lines.is_empty() { "nothing".into() } else { lines.join(" / ") }
}

fn logs_hint(stack: &Stack, service: &str) -> String {
    format!("see its log: msting logs {service} --tail 50 (container {})", container_name(&stack.project, service))
}

/// Creates the first admin in stingd's container; returns stingd's message with the one-time
/// enrolment link (a secret: the caller shows it only on a terminal). `None` when the account
/// exists already.
pub async fn create_admin(docker: &Docker, stack: &Stack, email: &str) -> anyhow::Result<Option<String>> {
    match exec::stingd_admin(docker, &stack.project, &["create", "--email", email, "--stdout"]).await {
        Ok(Some(said)) => Ok(Some(said)),
        Ok(None) => {
            anyhow::bail!("stingd is not running: start the stack (`msting start`) and run `msting install` again")
        }
        Err(e) if e.downcast_ref::<exec::StingdFailed>().is_some_and(|f| f.code == exec::StingdFailed::EXISTS) => {
            Ok(None)
        }
        Err(e) => anyhow::bail!("stingd could not create the admin: {e}"),
    }
}
