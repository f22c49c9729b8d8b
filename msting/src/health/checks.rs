//! The checks themselves. Each looks at one thing the way an operator would (the container, the
//! port, the certificate actually served) and says what fixes a fault it finds. They run at once
//! under one timeout each, so a hung service costs one UNKNOWN, not the whole run. `msting
//! status` and `msting support-bundle` use the same functions.

// A check that stops early answers with its result; boxing it would only add noise, and
// nothing here is on a hot path.
#![allow(clippy::result_large_err)]

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bollard::Docker;
use futures_util::future::join_all;
use sting_config::{Config, UnsealMode};

use super::{CheckResult, Metric, Report, Status, Threshold};
use crate::stack::containers::{self, ContainerState, Health, ServiceState, container_name};
use crate::stack::spec::{self, Stack};
use crate::tls::inspect::CertInfo;

/// Every check by name, in the order they are reported.
pub const ALL: &[&str] =
    &["docker", "services", "vault", "db", "stingd", "models", "certificate", "backup", "disk", "shares"];

/// What every check may use. The engine is `None` when it could not be reached (the `docker`
/// check says why; checks that need it are UNKNOWN).
pub struct Context {
    pub config: Config,
    pub stack: Stack,
    pub docker: Result<Docker, String>,
    pub timeout: Duration,
}

/// The checks that apply to this config: `shares` only in manual unseal mode.
pub fn applicable(config: &Config) -> Vec<&'static str> {
    ALL.iter().copied().filter(|name| *name != "shares" || config.vault.unseal == UnsealMode::Manual).collect()
}

/// Runs `names` concurrently, each under `context.timeout`, and folds them into a report.
pub async fn run(config: Config, names: &[&str], timeout: Duration) -> Report {
    let started = Instant::now();
    let docker = tokio::time::timeout(timeout, crate::docker::connect())
        .await
        .map_err(|_| format!("the Docker engine did not answer within {}", humantime::format_duration(timeout)))
        .and_then(|connected| connected.map_err(|e| e.to_string()));
    let stack = spec::desired(&config);
    let context = Arc::new(Context { config, stack, docker, timeout });
    let runs = names.iter().map(|name| {
        let context = context.clone();
        let name = *name;
        async move {
            let began = Instant::now();
            let mut result = match tokio::time::timeout(context.timeout, one(&context, name)).await {
                Ok(result) => result,
                Err(_) => CheckResult::new(
                    name,
                    Status::Unknown,
                    format!("no answer within {}", humantime::format_duration(context.timeout)),
                )
                .with_fix(format!("look at what {name} is waiting for: `msting logs` and `msting doctor`")),
            };
            result.duration_ms = began.elapsed().as_millis() as u64;
            result
        }
    });
    let checks = join_all(runs).await;
    Report::new(&context.stack.project, checks, started.elapsed())
}

async fn one(context: &Context, name: &str) -> CheckResult {
    match name {
        "docker" => docker(context).await,
        "services" => services(context).await,
        "vault" => vault(context).await,
        "db" => db(context).await,
        "stingd" => stingd(context).await,
        "models" => models(context).await,
        "certificate" => certificate(context).await,
        "backup" => backup(context),
        "disk" => disk(context).await,
        "shares" => shares(context),
        other => CheckResult::new(other, Status::Unknown, format!("no check is called `{other}`")),
    }
}

/// The engine, or the check's UNKNOWN saying it is needed.
fn engine<'a>(context: &'a Context, name: &str) -> Result<&'a Docker, CheckResult> {
    context.docker.as_ref().map_err(|_| {
        CheckResult::new(name, Status::Unknown, "needs the Docker engine, which does not answer (see `docker`)")
    })
}

async fn docker(context: &Context) -> CheckResult {
    let docker = match &context.docker {
        Ok(docker) => docker,
        Err(why) => {
            return CheckResult::new("docker", Status::Critical, format!("the Docker engine does not answer: {why}"))
                .with_fix("`systemctl start docker` (and `systemctl enable docker`), then `msting start`");
        }
    };
    match docker.version().await {
        Ok(version) => CheckResult::ok(
            "docker",
            format!("engine {} (API {})", version.version.unwrap_or_default(), version.api_version.unwrap_or_default()),
        ),
        Err(e) => CheckResult::new("docker", Status::Critical, format!("the Docker engine answers with an error: {e}"))
            .with_fix("`systemctl restart docker`"),
    }
}

/// How long a container's health check may say `starting` before that is worth a warning: its
/// start period and two intervals (Docker runs the first check one interval after the start).
pub fn starting_grace(stack: &Stack, service: &str) -> i64 {
    stack
        .services
        .iter()
        .find(|s| s.name == service)
        .map_or(60, |s| i64::from(s.health.start_period_s) + 2 * i64::from(s.health.interval_s))
}

/// Judges the containers: not running (or restarting) is CRITICAL, unhealthy too, a health
/// check still starting after `grace(service)` seconds is WARNING.
pub fn judge_services(states: &[ServiceState], grace: impl Fn(&str) -> i64) -> CheckResult {
    let mut status = Status::Ok;
    let mut problems = Vec::new();
    let mut fixes = Vec::new();
    for s in states {
        let found = match (s.state, s.health) {
            (ContainerState::Running, Health::Healthy | Health::None) => Status::Ok,
            (ContainerState::Running, Health::Starting) if s.uptime_s.unwrap_or(0) <= grace(&s.service) => Status::Ok,
            (ContainerState::Running, Health::Starting) => Status::Warning,
            _ => Status::Critical,
        };
        if found != Status::Ok {
            let health = match s.state {
                ContainerState::Running => format!("running, {}", s.health),
                other => other.to_string(),
            };
            problems.push(format!("{} is {health}", s.service));
            fixes.push(match s.state {
                ContainerState::Running | ContainerState::Restarting => format!("`msting logs {}`", s.service),
                ContainerState::Missing => "`sudo msting install`".to_string(),
                _ => format!("`msting start {}`", s.service),
            });
        }
        status = status.worst(found);
    }
    let running = states.iter().filter(|s| s.state == ContainerState::Running).count();
    let metric = Metric::new("services_running", running as f64, "").bounded(0.0, states.len() as f64);
    let result = if problems.is_empty() {
        CheckResult::ok("services", format!("all {} services running and healthy", states.len()))
    } else {
        fixes.dedup();
        CheckResult::new("services", status, problems.join("; ")).with_fix(fixes.join(", then "))
    };
    result.with_metric(metric)
}

async fn services(context: &Context) -> CheckResult {
    let docker = match engine(context, "services") {
        Ok(docker) => docker,
        Err(unknown) => return unknown,
    };
    match containers::states(docker, &context.stack).await {
        Ok(states) => judge_services(&states, |service| starting_grace(&context.stack, service)),
        Err(e) => CheckResult::new("services", Status::Unknown, format!("cannot list the containers: {e}")),
    }
}

/// Whether `service`'s container runs; the check's CRITICAL saying how to start it if not.
async fn running(docker: &Docker, context: &Context, check: &str, service: &str) -> Result<(), CheckResult> {
    let name = container_name(&context.stack.project, service);
    match docker.inspect_container(&name, None).await {
        Ok(found) => {
            let state = found.state.unwrap_or_default();
            if state.running == Some(true) && state.restarting != Some(true) {
                Ok(())
            } else {
                let status = state.status.map(|s| s.to_string()).unwrap_or_else(|| "not running".into());
                Err(CheckResult::new(check, Status::Critical, format!("the {service} container is {status}"))
                    .with_fix(format!("`msting start {service}`; if it stops again, `msting logs {service}`")))
            }
        }
        Err(bollard::errors::Error::DockerResponseServerError { status_code: 404, .. }) => {
            Err(CheckResult::new(check, Status::Critical, format!("the {service} container does not exist"))
                .with_fix("`sudo msting install`"))
        }
        Err(e) => Err(CheckResult::new(check, Status::Unknown, format!("cannot inspect {name}: {e}"))),
    }
}

async fn vault(context: &Context) -> CheckResult {
    let connection = crate::vault_access::connection(&context.config);
    let address = connection.address.clone();
    let client = match sting_vault::Vault::new(connection) {
        Ok(client) => client,
        Err(e) => return CheckResult::new("vault", Status::Unknown, format!("cannot make a Vault client: {e}")),
    };
    match sting_vault::seal::status(&client).await {
        Ok(seal) if !seal.initialized => {
            CheckResult::new("vault", Status::Critical, "Vault is not initialised").with_fix("`sudo msting install`")
        }
        Ok(seal) if seal.sealed => {
            let progress = if seal.progress > 0 {
                format!(" ({} of {} shares given)", seal.progress, seal.threshold)
            } else {
                String::new()
            };
            CheckResult::new("vault", Status::Critical, format!("Vault is sealed{progress}: nothing can log in"))
                .with_fix("`msting unseal`")
        }
        Ok(seal) => CheckResult::ok("vault", format!("initialised and unsealed (OpenBao {})", seal.version)),
        Err(e) => {
            let mut result =
                CheckResult::new("vault", Status::Critical, format!("Vault does not answer at {address}: {e}"));
            result.fix = Some("`msting start vault`; if it stops again, `msting logs vault`".into());
            if let Ok(docker) = &context.docker
                && let Err(stopped) = running(docker, context, "vault", "vault").await
            {
                result.message = stopped.message;
            }
            result
        }
    }
}

async fn db(context: &Context) -> CheckResult {
    let docker = match engine(context, "db") {
        Ok(docker) => docker,
        Err(unknown) => return unknown,
    };
    if let Err(stopped) = running(docker, context, "db", "db").await {
        return stopped;
    }
    let name = container_name(&context.stack.project, "db");
    match crate::stack::exec::run(docker, &name, &["pg_isready", "-h", "/run/postgresql"], None).await {
        Ok(done) if done.code == 0 => CheckResult::ok("db", "PostgreSQL accepts connections"),
        Ok(done) => CheckResult::new(
            "db",
            Status::Critical,
            format!("PostgreSQL does not accept connections: {}", done.stdout.trim()),
        )
        .with_fix("`msting logs db`"),
        Err(e) => CheckResult::new("db", Status::Unknown, format!("cannot run pg_isready in {name}: {e}")),
    }
}

fn probe_client() -> reqwest::Client {
    reqwest::Client::builder()
        // Readiness over loopback; what certificate is served is the `certificate` check's.
        .danger_accept_invalid_certs(true)
        .build()
        .unwrap_or_default()
}

async fn stingd(context: &Context) -> CheckResult {
    let address = crate::install::probe_address(&context.config);
    match probe_client().get(format!("https://{address}/health/ready")).send().await {
        Ok(response) if response.status().is_success() => {
            CheckResult::ok("stingd", format!("ready at https://{address}"))
        }
        Ok(response) => {
            let code = response.status();
            let said = response.text().await.unwrap_or_default();
            CheckResult::new("stingd", Status::Critical, format!("not ready ({code}): {}", said.trim()))
                .with_fix("`msting logs stingd`")
        }
        Err(e) => {
            let mut result = CheckResult::new(
                "stingd",
                Status::Critical,
                format!("no answer at https://{address}: {:#}", anyhow::Error::new(e)),
            )
            .with_fix("`msting start stingd`; if it stops again, `msting logs stingd`");
            if let Ok(docker) = &context.docker
                && let Err(stopped) = running(docker, context, "stingd", "stingd").await
            {
                result.message = stopped.message;
            }
            result
        }
    }
}

/// What stingd says of its model servers: a crash loop (`failed`) is CRITICAL, a restart in
/// progress WARNING.
pub fn judge_models(status: &serde_json::Value) -> CheckResult {
    let models = status["models"].as_array().cloned().unwrap_or_default();
    if models.is_empty() {
        return CheckResult::ok("models", "no local models configured");
    }
    let mut verdict = Status::Ok;
    let mut problems = Vec::new();
    let mut loaded = 0;
    for model in &models {
        let name = model["name"].as_str().unwrap_or("?");
        match model["state"].as_str().unwrap_or("unknown") {
            "failed" => {
                verdict = verdict.worst(Status::Critical);
                let reason = model["failure"]["reason"].as_str().unwrap_or("it keeps crashing");
                problems.push(format!("{name} failed: {reason}"));
            }
            "restarting" => {
                verdict = verdict.worst(Status::Warning);
                problems.push(format!("{name} is restarting after a crash"));
            }
            "loaded" => loaded += 1,
            _ => {}
        }
    }
    let metric = Metric::new("models_loaded", loaded as f64, "").bounded(0.0, models.len() as f64);
    let result = if problems.is_empty() {
        CheckResult::ok("models", format!("{} models, {loaded} loaded, none failing", models.len()))
    } else {
        CheckResult::new("models", verdict, problems.join("; "))
            .with_fix("`msting logs stingd`, `msting models list`, then `msting restart stingd`")
    };
    result.with_metric(metric)
}

async fn models(context: &Context) -> CheckResult {
    let docker = match engine(context, "models") {
        Ok(docker) => docker,
        Err(unknown) => return unknown,
    };
    if let Err(stopped) = running(docker, context, "models", "stingd").await {
        return CheckResult::new("models", Status::Unknown, format!("cannot ask: {}", stopped.message));
    }
    match crate::stack::exec::stingd_status(docker, &context.stack.project).await {
        Ok(status) => judge_models(&status),
        Err(e) => CheckResult::new("models", Status::Unknown, e.to_string()),
    }
}

/// Renewal is due with a third of the lifetime left (as `msting setup-ssl --renew` does it).
const RENEW_AT: f64 = 1.0 / 3.0;
/// CRITICAL under a tenth of the lifetime, or under a day, whichever comes first.
const CRITICAL_FRACTION: f64 = 0.1;
const DAY: f64 = 86_400.0;

/// The levels, in seconds left, for a certificate of `lifetime` seconds: WARNING once renewal
/// is overdue (a day after it fell due, or halfway to CRITICAL for a short-lived one: the
/// daily renewal had its chance), CRITICAL under a tenth of the lifetime or a day.
pub fn certificate_threshold(lifetime: f64) -> Threshold {
    let critical = (lifetime * CRITICAL_FRACTION).max(DAY);
    let due = lifetime * RENEW_AT;
    let grace = DAY.min((due - critical).max(0.0) / 2.0);
    Threshold::below((due - grace).max(critical), critical)
}

pub fn judge_certificate(cert: &CertInfo, now: i64, mode: sting_config::TlsMode) -> CheckResult {
    let lifetime = (cert.not_after - cert.not_before).max(1) as f64;
    let left = (cert.not_after - now) as f64;
    let threshold = certificate_threshold(lifetime);
    let metric = Metric::new("certificate_left", left.max(0.0), "s").judged(threshold).bounded(0.0, lifetime);
    let names = cert.names.join(", ");
    let human = |seconds: f64| humantime::format_duration(Duration::from_secs(seconds.max(0.0) as u64 / 60 * 60));
    let fix = match mode {
        sting_config::TlsMode::Provided => "install a new certificate: `msting setup-ssl --cert FILE --key FILE`",
        _ => "`msting setup-ssl --renew`",
    };
    let result = if left <= 0.0 {
        CheckResult::new(
            "certificate",
            Status::Critical,
            format!("the certificate for {names} expired {} ago", human(-left)),
        )
        .with_fix(fix)
    } else {
        let status = threshold.judge(left);
        let message = format!(
            "the certificate for {names} has {} left ({:.0}% of its lifetime){}",
            human(left),
            left / lifetime * 100.0,
            match status {
                Status::Ok => String::new(),
                _ => "; its renewal is overdue".into(),
            }
        );
        let result = CheckResult::new("certificate", status, message);
        if status == Status::Ok { result } else { result.with_fix(fix) }
    };
    result.with_metric(metric)
}

async fn certificate(context: &Context) -> CheckResult {
    let address = crate::install::probe_address(&context.config);
    match crate::tls::served::fetch(address, &context.config.system.domain).await {
        Ok(cert) => judge_certificate(&cert, time::OffsetDateTime::now_utc().unix_timestamp(), context.config.tls.mode),
        Err(e) => CheckResult::new(
            "certificate",
            Status::Unknown,
            format!("cannot read the certificate served at {address}: {e}"),
        ),
    }
}

/// Backups count once they are set up: recipients for the nightly backup, or any backup taken.
/// The age is the newest verified one's: read back from the disk after writing (every backup
/// is), or opened whole by `msting backup verify`.
pub fn judge_backup(config: &Config, listed: &[crate::backup::catalog::Listed], now: i64) -> CheckResult {
    let health = &config.health;
    let threshold = Threshold::above(
        health.backup_warning_age.as_std().as_secs_f64(),
        health.backup_critical_age.as_std().as_secs_f64(),
    );
    let parse = |t: &str| {
        time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).ok().map(|t| t.unix_timestamp())
    };
    let checked = |b: &&crate::backup::catalog::Listed| b.verified.is_some() || b.read_back.is_some();
    let newest = listed
        .iter()
        .filter(checked)
        .filter_map(|b| Some((b, parse(b.created.as_deref()?)?)))
        .max_by_key(|(_, created)| *created);
    let Some((backup, created)) = newest else {
        if config.backup.recipients.is_empty() && listed.is_empty() {
            return CheckResult::ok(
                "backup",
                "no backup configured or taken (set `backup.recipients` for a nightly backup)",
            );
        }
        let message = if listed.is_empty() {
            "backups are configured but none has been taken".to_string()
        } else {
            format!("none of the {} backups is verified (none was read back after writing)", listed.len())
        };
        return CheckResult::new("backup", Status::Warning, message)
            .with_fix("`msting backup --encrypt`, and `msting cron install` for a nightly one");
    };
    let age = (now - created).max(0) as f64;
    let status = threshold.judge(age);
    let how = match &backup.verified {
        Some(when) => format!("opened whole by `backup verify` {when}"),
        None => "read back after writing".into(),
    };
    let file = backup.file.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
    let result = CheckResult::new(
        "backup",
        status,
        format!(
            "newest verified backup {file} is {} old ({how})",
            humantime::format_duration(Duration::from_secs(age as u64 / 60 * 60))
        ),
    );
    let result = if status == Status::Ok {
        result
    } else {
        result.with_fix("`msting backup --encrypt`; is `msting cron install` in place?")
    };
    result.with_metric(Metric::new("backup_age", age, "s").judged(threshold))
}

fn backup(context: &Context) -> CheckResult {
    match crate::backup::catalog::list(&context.config.paths.backup_dir) {
        Ok(listed) => judge_backup(&context.config, &listed, time::OffsetDateTime::now_utc().unix_timestamp()),
        Err(e) => CheckResult::new("backup", Status::Unknown, e.to_string()),
    }
}

async fn disk(context: &Context) -> CheckResult {
    let health = &context.config.health;
    let threshold =
        Threshold::below(f64::from(health.disk_free_warning_percent), f64::from(health.disk_free_critical_percent));
    let mut places = vec![("install", context.config.paths.install_dir.clone())];
    if let Ok(docker) = &context.docker
        && let Ok(info) = docker.info().await
        && let Some(root) = info.docker_root_dir
    {
        places.push(("docker", root.into()));
    }
    let mut status = Status::Ok;
    let mut said = Vec::new();
    let mut metrics = Vec::new();
    let mut seen = Vec::new();
    for (label, path) in places {
        let Some(crate::preflight::DiskSpace { mount, available, total }) = crate::preflight::disk_of(&path) else {
            status = status.worst(Status::Unknown);
            said.push(format!("cannot find the disk of {}", path.display()));
            continue;
        };
        let percent = available as f64 / total as f64 * 100.0;
        let found = threshold.judge(percent);
        status = status.worst(found);
        let shared = seen.contains(&mount);
        if !shared {
            said.push(format!(
                "{}: {:.1}% free ({} GB of {} GB) on {mount}",
                path.display(),
                percent,
                available / 1_000_000_000,
                total / 1_000_000_000
            ));
            seen.push(mount);
        }
        metrics.push(Metric::new(&format!("disk_free_{label}"), percent, "%").judged(threshold).bounded(0.0, 100.0));
    }
    let mut result = CheckResult::new("disk", status, said.join("; "));
    if status != Status::Ok && status != Status::Unknown {
        result.fix = Some("free space: `msting backup prune`, `docker system prune`, or a larger disk".into());
    }
    // The fullest place is the main value.
    metrics.sort_by(|a, b| a.value.total_cmp(&b.value));
    for metric in metrics {
        result = result.with_metric(metric);
    }
    result
}

/// Files on this host that hold an unseal key share in the clear: a base64 line of 33 bytes
/// (a Shamir share of a 32-byte key) or a 32-byte key, in a small file. Armoured age files
/// (shares encrypted to their holders) are not shares in the clear.
pub fn find_shares(roots: &[&Path], depth: usize) -> Vec<std::path::PathBuf> {
    fn looks_like_share(text: &str) -> bool {
        use base64::Engine;
        text.lines().map(str::trim).any(|line| {
            (43..=45).contains(&line.len())
                && base64::engine::general_purpose::STANDARD
                    .decode(line)
                    .is_ok_and(|bytes| bytes.len() == 33 || bytes.len() == 32)
        })
    }
    fn walk(dir: &Path, depth: usize, found: &mut Vec<std::path::PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        for entry in entries.flatten() {
            let Ok(meta) = entry.metadata() else { continue };
            let path = entry.path();
            if meta.is_dir() && depth > 0 {
                walk(&path, depth - 1, found);
            } else if meta.is_file()
                && meta.len() <= 4096
                && std::fs::read_to_string(&path).is_ok_and(|text| looks_like_share(&text))
            {
                found.push(path);
            }
        }
    }
    let mut found = Vec::new();
    for root in roots {
        walk(root, depth, &mut found);
    }
    found.sort();
    found.dedup();
    found
}

/// Where an operator would leave a share: the install directory, root's and users' homes, /tmp.
fn share_places(config: &Config) -> Vec<std::path::PathBuf> {
    let mut places = vec![config.paths.install_dir.clone(), "/root".into(), "/tmp".into()];
    if let Ok(homes) = std::fs::read_dir("/home") {
        places.extend(homes.flatten().map(|e| e.path()));
    }
    places
}

fn shares(context: &Context) -> CheckResult {
    if context.config.vault.unseal != UnsealMode::Manual {
        return CheckResult::ok("shares", "auto unseal: there are no key shares to hold");
    }
    let places = share_places(&context.config);
    let roots: Vec<&Path> = places.iter().map(|p| p.as_path()).collect();
    let found = find_shares(&roots, 2);
    let metric = Metric::new("shares_on_host", found.len() as f64, "");
    if found.is_empty() {
        return CheckResult::ok("shares", "no unseal key share found on this host").with_metric(metric);
    }
    CheckResult::new(
        "shares",
        Status::Warning,
        format!(
            "{} file(s) on this host look like unseal key shares: {}; whoever reads them can unseal Vault",
            found.len(),
            found.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
        ),
    )
    .with_fix("give each share to its holder (or encrypt it to them with age), then delete the file with `shred -u`")
    .with_metric(metric)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cert(not_before: i64, not_after: i64) -> CertInfo {
        CertInfo {
            subject: "CN=sting.local".into(),
            issuer: "CN=ca".into(),
            names: vec!["sting.local".into()],
            not_before,
            not_after,
            is_ca: false,
            serial: "01".into(),
            public_key: Vec::new(),
        }
    }

    #[test]
    fn a_thirty_day_certificate_warns_a_day_after_renewal_was_due_and_is_critical_at_three_days() {
        let day = DAY as i64;
        let mode = sting_config::TlsMode::LocalCa;
        let issued = 0;
        let expires = 30 * day;
        // Renewal is due with 10 days left; the daily job gets a day before anyone is warned.
        assert_eq!(judge_certificate(&cert(issued, expires), expires - 10 * day + 1, mode).status, Status::Ok);
        assert_eq!(judge_certificate(&cert(issued, expires), expires - 9 * day + 1, mode).status, Status::Warning);
        assert_eq!(judge_certificate(&cert(issued, expires), expires - 3 * day + 1, mode).status, Status::Critical);
        let expired = judge_certificate(&cert(issued, expires), expires + day, mode);
        assert_eq!(expired.status, Status::Critical);
        assert!(expired.message.contains("expired 1day ago"), "{}", expired.message);
        assert_eq!(expired.fix.as_deref(), Some("`msting setup-ssl --renew`"));
    }

    #[test]
    fn a_short_lived_certificate_is_critical_under_a_day_and_warns_before() {
        let day = DAY as i64;
        let lifetime = 6 * day;
        let t = certificate_threshold(lifetime as f64);
        assert_eq!(t.critical, DAY);
        assert!(t.warning > DAY && t.warning < 2.0 * DAY, "{t:?}");
        let c = cert(0, lifetime);
        assert_eq!(judge_certificate(&c, lifetime - day + 60, sting_config::TlsMode::Acme).status, Status::Critical);
    }

    #[test]
    fn services_not_running_are_critical_and_a_starting_health_check_warns() {
        use bollard::models::{ContainerStateStatusEnum as C, HealthStatusEnum as H};
        let state = |service: &str, state: C, health: Option<H>| ServiceState {
            service: service.into(),
            container: format!("x-{service}"),
            state: Some(state).into(),
            health: health.into(),
            started_at: None,
            uptime_s: None,
            image: None,
            ports: Vec::new(),
            restarts: 0,
        };
        let grace = |_: &str| 30;
        let fine =
            judge_services(&[state("db", C::RUNNING, Some(H::HEALTHY)), state("vault", C::RUNNING, None)], grace);
        assert_eq!(fine.status, Status::Ok);
        let mut just_started = state("db", C::RUNNING, Some(H::STARTING));
        just_started.uptime_s = Some(5);
        assert_eq!(judge_services(&[just_started.clone()], grace).status, Status::Ok, "Docker has not checked yet");
        just_started.uptime_s = Some(120);
        assert_eq!(judge_services(&[just_started], grace).status, Status::Warning, "starting for too long");
        let down =
            judge_services(&[state("db", C::EXITED, None), state("stingd", C::RUNNING, Some(H::STARTING))], grace);
        assert_eq!(down.status, Status::Critical);
        assert!(down.message.contains("db is exited"), "{}", down.message);
        assert!(down.fix.as_deref().unwrap().contains("msting start db"));
        assert_eq!(down.value, Some(1.0));
    }

    #[test]
    fn a_crash_looping_model_is_critical() {
        let status = serde_json::json!({"models": [
            {"name": "gemma", "state": "failed", "failure": {"reason": "exited 3 times in 60 s"}},
            {"name": "embed", "state": "loaded"}
        ]});
        let found = judge_models(&status);
        assert_eq!(found.status, Status::Critical);
        assert!(found.message.contains("gemma failed: exited 3 times"), "{}", found.message);
        let restarting = judge_models(&serde_json::json!({"models": [{"name": "gemma", "state": "restarting"}]}));
        assert_eq!(restarting.status, Status::Warning);
        assert_eq!(judge_models(&serde_json::json!({"models": []})).status, Status::Ok);
    }

    #[test]
    fn backups_are_judged_by_the_newest_complete_one_once_configured() {
        let mut config = Config::default();
        let listed = |created: Option<&str>| crate::backup::catalog::Listed {
            file: "/b/sting-x.tar.zst.age".into(),
            size: 1,
            encrypted: true,
            created: created.map(String::from),
            sting_version: None,
            verified: None,
            read_back: created.map(String::from),
            entries: None,
        };
        let now = time::OffsetDateTime::parse("2026-11-24T12:00:00Z", &time::format_description::well_known::Rfc3339)
            .unwrap()
            .unix_timestamp();
        assert_eq!(judge_backup(&config, &[], now).status, Status::Ok);
        config.backup.recipients = vec!["age1x".into()];
        assert_eq!(judge_backup(&config, &[], now).status, Status::Warning);
        // A backup without its manifest is not complete and does not count; one never read back
        // (an older msting's) does not either.
        assert_eq!(judge_backup(&config, &[listed(None)], now).status, Status::Warning);
        let mut unchecked = listed(Some("2026-11-24T02:00:00Z"));
        unchecked.read_back = None;
        let found = judge_backup(&config, &[unchecked.clone()], now);
        assert_eq!(found.status, Status::Warning);
        assert!(found.message.contains("none of the 1 backups is verified"), "{}", found.message);
        unchecked.verified = Some("2026-11-24T03:00:00Z".into());
        assert_eq!(judge_backup(&config, &[unchecked], now).status, Status::Ok, "`backup verify` counts");
        assert_eq!(judge_backup(&config, &[listed(Some("2026-11-24T02:00:00Z"))], now).status, Status::Ok);
        assert_eq!(judge_backup(&config, &[listed(Some("2026-11-23T02:00:00Z"))], now).status, Status::Warning);
        let old = judge_backup(&config, &[listed(Some("2026-11-20T02:00:00Z"))], now);
        assert_eq!(old.status, Status::Critical);
        assert_eq!(old.threshold.unwrap().critical, 74.0 * 3600.0);
    }

    #[test]
    fn a_share_in_the_clear_is_found_and_an_encrypted_one_is_not() {
        use base64::Engine;
        let dir = tempfile::tempdir().unwrap();
        let nested = dir.path().join("notes");
        std::fs::create_dir(&nested).unwrap();
        let share = base64::engine::general_purpose::STANDARD.encode([7u8; 33]);
        std::fs::write(nested.join("unseal.txt"), format!("share 2:\n{share}\n")).unwrap();
        std::fs::write(
            dir.path().join("share.age"),
            "-----BEGIN AGE ENCRYPTED FILE-----\nYWdlLWVuY3J5cHRpb24ub3JnL3YxCi0+IFgyNTUxOQ\n-----END AGE ENCRYPTED FILE-----\n",
        )
        .unwrap();
        std::fs::write(dir.path().join("readme"), "nothing here\n").unwrap();
        assert_eq!(find_shares(&[dir.path()], 2), vec![nested.join("unseal.txt")]);
        assert!(find_shares(&[dir.path()], 0).is_empty(), "depth is honoured");
    }
}
