//! `msting doctor`: the slower, deeper questions health does not ask every five minutes, each
//! answered with the command that fixes what it finds: is the clock right (TOTP codes, tokens
//! and certificates all depend on it), does the domain resolve, do the models fit stingd's
//! memory limit, do msting's and stingd's Vault logins still work, has the database every
//! migration this release knows, is the Docker engine recent enough with a sound storage
//! driver, and are the stack's ports free or held by the stack itself.

use std::time::Duration;

use bollard::Docker;
use sting_config::{Config, TlsMode};

use crate::preflight::Check;
use crate::stack::containers::container_name;

/// The checks, in the order they are reported.
pub const CHECKS: &[&str] = &["clock", "dns", "memory", "credentials", "migrations", "docker", "ports"];

/// A TOTP code is valid for 30 s; beyond that skew sign-in fails.
const CLOCK_FAIL_S: f64 = 30.0;
const CLOCK_WARN_S: f64 = 5.0;

/// Judges the skew between this host and `reference` (positive: the host is ahead).
pub fn judge_skew(reference: &str, skew_s: f64) -> Check {
    let said = format!(
        "this host's clock is {:.1} s {} {reference}",
        skew_s.abs(),
        if skew_s >= 0.0 { "ahead of" } else { "behind" }
    );
    let fix =
        "turn on time synchronisation: `timedatectl set-ntp true` (or install chrony), then check with `timedatectl`";
    if skew_s.abs() > CLOCK_FAIL_S {
        Check::fail("clock", format!("{said}: one-time codes, tokens and certificates fail"), fix)
    } else if skew_s.abs() > CLOCK_WARN_S {
        Check::warn("clock", said, fix)
    } else {
        Check::pass("clock", format!("in step with {reference} ({skew_s:+.1} s)"))
    }
}

/// The time an HTTP server says it is (its `Date` header), for acme mode's CA.
async fn http_date(url: &str) -> Option<(time::OffsetDateTime, Duration)> {
    let client = reqwest::Client::builder().timeout(Duration::from_secs(5)).build().ok()?;
    let asked = std::time::Instant::now();
    let response = client.get(url).send().await.ok()?;
    let date = response.headers().get(reqwest::header::DATE)?.to_str().ok()?;
    let format = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    let parsed = time::PrimitiveDateTime::parse(date, format).ok()?.assume_utc();
    Some((parsed, asked.elapsed()))
}

async fn clock(config: &Config, docker: Option<&Docker>) -> Vec<Check> {
    let now = time::OffsetDateTime::now_utc();
    let mut checks = Vec::new();
    if config.tls.mode == TlsMode::Acme
        && let Some((theirs, took)) = http_date(&config.tls.acme.directory_url).await
    {
        // The Date header has whole seconds: allow for that and the round trip.
        let skew = (now - theirs).as_seconds_f64() - took.as_secs_f64() / 2.0;
        let skew = if skew.abs() < 1.0 { 0.0 } else { skew };
        checks.push(judge_skew(&format!("the ACME CA ({})", config.tls.acme.directory_url), skew));
    }
    if let Some(docker) = docker
        && let Ok(info) = docker.info().await
        && let Some(engine) = info
            .system_time
            .as_deref()
            .and_then(|t| time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).ok())
    {
        checks.push(judge_skew("the Docker engine", (now - engine).as_seconds_f64()));
    }
    let synced = std::process::Command::new("timedatectl")
        .args(["show", "--property=NTPSynchronized", "--value"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "yes");
    match synced {
        Some(false) => checks.push(Check::warn(
            "clock",
            "the clock is not synchronised with a time server (timedatectl: NTPSynchronized=no)",
            "`timedatectl set-ntp true` (or install chrony)",
        )),
        Some(true) => checks.push(Check::pass("clock", "synchronised with a time server")),
        None => {}
    }
    if checks.is_empty() {
        checks.push(Check::warn(
            "clock",
            "no reference to compare the clock with (no timedatectl, no Docker engine)",
            "make sure a time service (chrony, systemd-timesyncd) runs",
        ));
    }
    checks
}

async fn dns(config: &Config) -> Check {
    let domain = &config.system.domain;
    if domain.parse::<std::net::IpAddr>().is_ok() {
        return Check::pass("dns", format!("{domain} is an address: nothing to resolve"));
    }
    let lookup = tokio::time::timeout(Duration::from_secs(5), tokio::net::lookup_host((domain.as_str(), 443))).await;
    let addresses: Vec<std::net::IpAddr> = match lookup {
        Ok(Ok(found)) => found.map(|a| a.ip()).collect(),
        Ok(Err(e)) => {
            return Check::fail(
                "dns",
                format!("{domain} does not resolve ({e}): browsers and passkeys cannot reach STING by its name"),
                format!(
                    "add an A record for {domain} in your DNS, or on each machine that uses it a line `ADDRESS {domain}` in /etc/hosts"
                ),
            );
        }
        Err(_) => {
            return Check::fail(
                "dns",
                format!("resolving {domain} took over 5 s"),
                "check /etc/resolv.conf and your DNS server",
            );
        }
    };
    let public = |ip: &std::net::IpAddr| match ip {
        std::net::IpAddr::V4(v4) => !(v4.is_loopback() || v4.is_private() || v4.is_link_local()),
        std::net::IpAddr::V6(v6) => !(v6.is_loopback() || (v6.segments()[0] & 0xfe00) == 0xfc00),
    };
    let list = addresses.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ");
    if config.tls.mode == TlsMode::Acme && !addresses.iter().any(public) {
        return Check::fail(
            "dns",
            format!("{domain} resolves only to private addresses ({list}): an ACME CA cannot reach it"),
            format!("publish {domain} with this host's public address, or use `tls.mode: local-ca`"),
        );
    }
    Check::pass("dns", format!("{domain} resolves to {list}"))
}

/// What the configured local models need at most at once: every pinned model, and the largest
/// of the others (the supervisor unloads idle ones to make room).
pub fn models_need(config: &Config) -> Result<(u64, Vec<String>), String> {
    let mut pinned = 0;
    let mut largest = 0;
    let mut named = Vec::new();
    for model in config.llm.models.iter().filter(|m| m.remote.is_none() || !m.allow_remote) {
        let path =
            if model.path.is_absolute() { model.path.clone() } else { config.paths.models_dir.join(&model.path) };
        if !path.exists() {
            return Err(format!("{} is not there yet", path.display()));
        }
        let info = sting_models::read_gguf(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let need = info.estimate_memory(u64::from(model.context)).total() * u64::from(model.replicas.max(1));
        named.push(format!("{} {} MiB", model.name, need >> 20));
        if model.pinned {
            pinned += need;
        } else {
            largest = largest.max(need);
        }
    }
    Ok((pinned + largest, named))
}

async fn memory(config: &Config, docker: Option<&Docker>) -> Check {
    if config.llm.models.is_empty() {
        return Check::pass("memory", "no local models configured");
    }
    let configured = config.services.stingd.memory_limit.bytes();
    // The limit the running container has, if it differs from the file (not restarted yet).
    let mut limit = configured;
    if let Some(docker) = docker
        && let Ok(found) = docker.inspect_container(&container_name(&config.system.project_name, "stingd"), None).await
        && let Some(memory) = found.host_config.and_then(|h| h.memory).filter(|m| *m > 0)
    {
        limit = memory as u64;
    }
    let (need, named) = match models_need(config) {
        Ok(found) => found,
        Err(e) if e.ends_with("is not there yet") => {
            return Check::warn(
                "memory",
                format!("cannot weigh the models against stingd's memory: {e}"),
                "put the file there with `msting models import FILE`, then run this again",
            );
        }
        Err(e) => {
            return Check::fail(
                "memory",
                format!("a model cannot be read: {e}"),
                "`msting models list`, then fix llm.models",
            );
        }
    };
    // stingd itself, the embedding model and the response cache need room too.
    let headroom = 256 << 20;
    if need + headroom > limit {
        let wanted = (need + headroom).div_ceil(1 << 30);
        Check::fail(
            "memory",
            format!(
                "the models need about {} MiB ({}) but stingd's memory limit is {} MiB: the kernel will kill them",
                need >> 20,
                named.join(", "),
                limit >> 20
            ),
            format!("set services.stingd.memory_limit to at least {wanted}g in config.yml, then `msting start`"),
        )
    } else {
        Check::pass("memory", format!("the models need about {} MiB of stingd's {} MiB", need >> 20, limit >> 20))
    }
}

async fn credentials(config: &Config) -> Vec<Check> {
    let path = crate::vault_access::credentials_path(config);
    if !path.exists() {
        return vec![Check::fail(
            "credentials",
            format!("msting's Vault login ({}) is missing: it cannot manage secrets or renewals", path.display()),
            "`msting vault init` (with Vault initialised, it makes msting a new login with the stack's CA)",
        )];
    }
    let vault = match crate::vault_access::operator(config).await {
        Ok(vault) => vault,
        Err(e) => {
            return vec![Check::fail(
                "credentials",
                format!("msting cannot log in to Vault: {e:#}"),
                "if Vault is sealed, `msting unseal`; if the login was refused, `msting vault init` makes a new one",
            )];
        }
    };
    let mut checks = Vec::new();
    match vault.call(reqwest::Method::GET, "auth/token/lookup-self", None).await {
        Ok(Some(answer)) => {
            let ttl = answer["data"]["ttl"].as_u64().unwrap_or(0);
            checks.push(Check::pass("credentials", format!("msting logs in to Vault; its token lives {ttl} s")));
        }
        Ok(None) => checks.push(Check::warn("credentials", "Vault gave no token details", "`msting vault status`")),
        Err(e) => checks.push(Check::warn(
            "credentials",
            format!("cannot look up msting's token: {e}"),
            "`msting vault status`",
        )),
    }
    // The secret-id behind the login: when does it expire?
    let stored: Option<crate::vault_access::OperatorCredentials> =
        std::fs::read(&path).ok().and_then(|bytes| serde_json::from_slice(&bytes).ok());
    if let Some(stored) = stored {
        let body = serde_json::json!({ "secret_id": stored.secret_id });
        let lookup = vault
            .call(
                reqwest::Method::POST,
                &format!("auth/approle/role/{}/secret-id/lookup", sting_vault::bootstrap::OPERATOR_ROLE),
                Some(&body),
            )
            .await;
        if let Ok(Some(answer)) = lookup {
            let expires = answer["data"]["expiration_time"].as_str().unwrap_or("");
            let parsed = time::OffsetDateTime::parse(expires, &time::format_description::well_known::Rfc3339).ok();
            match parsed.filter(|t| t.year() > 1) {
                Some(when) if when - time::OffsetDateTime::now_utc() < time::Duration::days(7) => {
                    checks.push(Check::warn(
                        "credentials",
                        format!("msting's Vault secret-id expires {expires}"),
                        "`msting vault init` renews msting's login",
                    ))
                }
                Some(_) => {
                    checks.push(Check::pass("credentials", format!("msting's secret-id is valid until {expires}")))
                }
                None => checks.push(Check::pass("credentials", "msting's secret-id does not expire")),
            }
        }
    }
    checks
}

/// stingd's status report, when it runs.
async fn inside_view(config: &Config, docker: Option<&Docker>) -> Option<serde_json::Value> {
    crate::stack::exec::stingd_status(docker?, &config.system.project_name).await.ok()
}

/// stingd's own Vault login: the token it renews while it runs, or why it cannot log in.
fn stingd_login(inside: Option<&serde_json::Value>) -> Option<Check> {
    let inside = inside?;
    // stingd names what it waits on (`vault`: its login), so this does not read its words.
    if let Some(waiting) = inside["waiting_for"].as_str().filter(|_| inside["waiting_on"] == "vault") {
        return Some(Check::fail(
            "credentials",
            format!("stingd cannot log in to Vault: {waiting}"),
            "if Vault is sealed, `msting unseal`; otherwise give stingd a new login: `msting vault credentials stingd`, then `msting restart stingd`",
        ));
    }
    let ttl = inside["vault"]["token_ttl_s"].as_u64()?;
    Some(Check::pass("credentials", format!("stingd's Vault token renews itself ({ttl} s left now)")))
}

async fn migrations(inside: Option<&serde_json::Value>, docker: Option<&Docker>) -> Check {
    if docker.is_none() {
        return Check::warn("migrations", "needs the Docker engine", "start Docker, then run this again");
    }
    let Some(schema) = inside.map(|a| &a["schema"]).filter(|s| s.is_object()) else {
        return Check::warn(
            "migrations",
            "stingd is not running or not connected to its database",
            "`msting health`, then `msting start`",
        );
    };
    let known = schema["known"].as_i64().unwrap_or(0);
    let applied: Vec<i64> = schema["applied"].as_array().into_iter().flatten().filter_map(|v| v.as_i64()).collect();
    let pending: Vec<i64> = (1..=known).filter(|v| !applied.contains(v)).collect();
    if pending.is_empty() {
        Check::pass("migrations", format!("the database has all {known} migrations of this release"))
    } else {
        Check::fail(
            "migrations",
            format!("{} migration(s) not applied: {:?}", pending.len(), pending),
            "`msting restart stingd` (stingd applies its migrations as it starts)",
        )
    }
}

/// The oldest engine msting is tested with, and the storage driver Docker recommends.
pub fn judge_docker(version: &str, api: &str, driver: &str) -> Vec<Check> {
    let mut checks = Vec::new();
    let major: u32 = version.split('.').next().and_then(|m| m.parse().ok()).unwrap_or(0);
    let api_ok = crate::docker::parse_api(api).is_some_and(|v| v >= crate::docker::MIN_API);
    if !api_ok || major < 20 {
        checks.push(Check::fail(
            "docker",
            format!("Docker {version} (API {api}) is older than msting needs (20.10, API 1.41)"),
            "upgrade Docker from your distribution or docs.docker.com/engine/install",
        ));
    } else {
        checks.push(Check::pass("docker", format!("Docker {version} (API {api})")));
    }
    match driver {
        "overlay2" | "overlayfs" => checks.push(Check::pass("docker", format!("storage driver {driver}"))),
        other => checks.push(Check::warn(
            "docker",
            format!("storage driver {other}: Docker recommends overlay2 (others are slow or deprecated)"),
            "set \"storage-driver\": \"overlay2\" in /etc/docker/daemon.json and restart Docker (images are pulled again)",
        )),
    }
    checks
}

async fn ports(config: &Config, docker: Option<&Docker>) -> Vec<Check> {
    let ours = match docker {
        Some(docker) => docker
            .inspect_container(&container_name(&config.system.project_name, "stingd"), None)
            .await
            .ok()
            .and_then(|c| c.state?.running)
            .unwrap_or(false),
        None => false,
    };
    use crate::preflight::{Port, port_check, probe_port, published_ports};
    published_ports(config)
        .iter()
        .map(|(key, address)| match probe_port(address) {
            Port::Taken(_) if ours => Check::pass("ports", format!("{address} is held by this stack's stingd")),
            port => port_check(key, address, port),
        })
        .collect()
}

pub async fn run(config: &Config) -> Vec<Check> {
    let docker = crate::docker::connect().await.ok();
    let docker = docker.as_ref();
    let (clock, dns, memory, credentials, inside, ports) = tokio::join!(
        clock(config, docker),
        dns(config),
        memory(config, docker),
        credentials(config),
        inside_view(config, docker),
        ports(config, docker),
    );
    let mut checks = clock;
    checks.push(dns);
    checks.push(memory);
    checks.extend(credentials);
    checks.extend(stingd_login(inside.as_ref()));
    checks.push(migrations(inside.as_ref(), docker).await);
    match docker {
        Some(docker) => match crate::docker::info(docker).await {
            Ok(info) => checks.extend(judge_docker(&info.version, &info.api_version, &info.storage_driver)),
            Err(e) => checks.push(Check::fail("docker", e.to_string(), "upgrade or restart Docker")),
        },
        None => checks.push(Check::fail("docker", "the Docker engine does not answer", "`systemctl start docker`")),
    }
    checks.extend(ports);
    checks
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::preflight::Status;

    #[test]
    fn a_clock_half_a_minute_off_fails_and_a_few_seconds_warn() {
        assert_eq!(judge_skew("x", 0.4).status, Status::Pass);
        assert_eq!(judge_skew("x", -8.0).status, Status::Warn);
        let off = judge_skew("the ACME CA", 600.0);
        assert_eq!(off.status, Status::Fail);
        assert!(off.message.contains("600.0 s ahead of the ACME CA"), "{}", off.message);
        assert!(off.fix.unwrap().contains("timedatectl set-ntp true"));
    }

    #[test]
    fn an_old_engine_fails_and_a_slow_storage_driver_warns() {
        let old = judge_docker("19.03.2", "1.40", "overlay2");
        assert_eq!(old[0].status, Status::Fail);
        let fine = judge_docker("24.0.7", "1.43", "overlay2");
        assert!(fine.iter().all(|c| c.status == Status::Pass));
        let vfs = judge_docker("24.0.7", "1.43", "vfs");
        assert_eq!(vfs[1].status, Status::Warn);
        assert!(vfs[1].fix.as_deref().unwrap().contains("daemon.json"));
    }
}
