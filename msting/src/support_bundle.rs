//! `msting support-bundle`: what someone helping needs in one archive (versions, the health
//! report, the effective config with secrets redacted, container states and recent logs),
//! and nothing they must not see. Two guards: no file from the secrets folder, the certificate
//! keys or Vault's files is ever read into it, and every text put in is scrubbed of every
//! secret value found on this host (and of token and key shapes) before it is written, so a
//! service that logged a secret by mistake does not leak it here.

use std::io::Write;
use std::path::{Path, PathBuf};

use bollard::Docker;
use bollard::query_parameters::LogsOptionsBuilder;
use futures_util::StreamExt;
use sting_config::Config;

/// Lines of each service's log.
pub const LOG_LINES: &str = "1000";
pub const REDACTED: &str = "[REDACTED]";

/// Every secret value on this host that a text could carry: the contents of the files under
/// the secrets folder (and each string inside JSON ones), the certificate keys and Vault's
/// unseal key. Short values are left out: they would redact ordinary words.
pub fn known_secrets(config: &Config) -> Vec<String> {
    fn walk(dir: &Path, found: &mut Vec<String>) {
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, found);
            } else if let Ok(text) = std::fs::read_to_string(&path) {
                collect(&text, found);
            }
        }
    }
    fn collect(text: &str, found: &mut Vec<String>) {
        if let Ok(value) = serde_json::from_str::<serde_json::Value>(text) {
            strings(&value, found);
        }
        found.push(text.trim().to_string());
        found.extend(text.lines().map(|l| l.trim().to_string()));
    }
    fn strings(value: &serde_json::Value, found: &mut Vec<String>) {
        match value {
            serde_json::Value::String(s) => found.push(s.clone()),
            serde_json::Value::Array(items) => items.iter().for_each(|v| strings(v, found)),
            serde_json::Value::Object(map) => map.values().for_each(|v| strings(v, found)),
            _ => {}
        }
    }
    let mut found = Vec::new();
    walk(&config.paths.secrets_dir, &mut found);
    for key in ["server.key", "vault.key"] {
        if let Ok(text) = std::fs::read_to_string(config.paths.certs_dir.join(key)) {
            collect(&text, &mut found);
        }
    }
    // PEM armour lines and the like are not secrets; the base64 inside them is.
    found.retain(|s| s.len() >= 12 && !s.starts_with("-----"));
    found.sort_by_key(|s| std::cmp::Reverse(s.len()));
    found.dedup();
    found
}

/// `text` with every known secret and every token or key shape replaced by [`REDACTED`].
pub fn scrub(text: &str, secrets: &[String]) -> String {
    let mut out = text.to_string();
    for secret in secrets {
        if out.contains(secret.as_str()) {
            out = out.replace(secret.as_str(), REDACTED);
        }
    }
    // Shapes: Vault tokens, STING API tokens, age identities, PEM private keys.
    let mut lines = Vec::new();
    let mut in_key = false;
    for line in out.lines() {
        if line.contains("PRIVATE KEY-----") {
            in_key = line.contains("BEGIN");
            lines.push(if in_key { format!("{REDACTED} private key") } else { String::new() });
            continue;
        }
        if in_key {
            continue;
        }
        lines.push(scrub_shapes(line));
    }
    let mut joined = lines.into_iter().filter(|l| !l.is_empty() || !in_key).collect::<Vec<_>>().join("\n");
    if text.ends_with('\n') {
        joined.push('\n');
    }
    joined
}

/// Vault tokens, STING API tokens and age identities wherever they start in `line`.
fn scrub_shapes(line: &str) -> String {
    const PREFIXES: [&str; 5] = ["hvs.", "hvb.", "hvr.", "sting_", "AGE-SECRET-KEY-"];
    let token_char = |c: char| c.is_ascii_alphanumeric() || "._-".contains(c);
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some((at, prefix)) =
        PREFIXES.iter().filter_map(|p| rest.find(p).map(|at| (at, *p))).min_by_key(|(at, _)| *at)
    {
        let run = rest[at..].find(|c: char| !token_char(c)).unwrap_or(rest.len() - at);
        out.push_str(&rest[..at]);
        if run > prefix.len() + 8 {
            out.push_str(REDACTED);
        } else {
            out.push_str(&rest[at..at + run]);
        }
        rest = &rest[at + run..];
    }
    out.push_str(rest);
    out
}

/// The effective config as YAML. It holds references (`vault-ref:PATH#KEY`), never secret
/// values, by design; still, any other value under a key that names a secret is replaced, in
/// case a `${VAR}` expanded into one.
pub fn redacted_config(config: &Config) -> anyhow::Result<String> {
    let mut value = serde_json::to_value(config)?;
    redact(&mut value);
    Ok(serde_yaml_ng::to_string(&value)?)
}

fn redact(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, inner) in map.iter_mut() {
                let lower = key.to_lowercase();
                let secret_key =
                    ["password", "secret", "token", "api_key", "private"].iter().any(|w| lower.contains(w))
                        && !lower.ends_with("_ttl");
                let reference = inner.as_str().is_some_and(|s| s.starts_with("vault-ref:"));
                if secret_key && !inner.is_null() && !reference && !inner.is_object() {
                    *inner = serde_json::Value::String(REDACTED.into());
                } else {
                    redact(inner);
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(redact),
        _ => {}
    }
}

/// The last lines of a container's log.
async fn logs(docker: &Docker, container: &str) -> String {
    let options = LogsOptionsBuilder::default().stdout(true).stderr(true).timestamps(true).tail(LOG_LINES).build();
    let mut stream = docker.logs(container, Some(options));
    let mut text = String::new();
    while let Some(item) = stream.next().await {
        match item {
            Ok(line) => text.push_str(&String::from_utf8_lossy(&line.into_bytes())),
            Err(e) => {
                text.push_str(&format!("(cannot read more: {e})\n"));
                break;
            }
        }
    }
    text
}

/// What went into the bundle.
pub struct Made {
    pub file: PathBuf,
    pub entries: Vec<String>,
}

/// Writes the bundle to `file` (0600: it describes the installation).
pub async fn create(config: &Config, file: &Path) -> anyhow::Result<Made> {
    let secrets = known_secrets(config);
    let mut entries: Vec<(String, String)> = Vec::new();
    let docker = crate::docker::connect().await;

    let mut versions = serde_json::json!({
        "msting": env!("CARGO_PKG_VERSION"),
        "kernel": std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default().trim(),
        "os": std::fs::read_to_string("/etc/os-release").unwrap_or_default(),
    });
    let stack = crate::stack::spec::desired(config);
    match &docker {
        Ok(docker) => {
            if let Ok(version) = docker.version().await {
                versions["docker"] = serde_json::to_value(version)?;
            }
            if let Ok(info) = docker.info().await {
                versions["docker_info"] = serde_json::json!({
                    "server_version": info.server_version,
                    "storage_driver": info.driver,
                    "cgroup_driver": info.cgroup_driver,
                    "cgroup_version": info.cgroup_version,
                    "docker_root_dir": info.docker_root_dir,
                    "mem_total": info.mem_total,
                    "ncpu": info.ncpu,
                });
            }
            if let Ok(states) = crate::stack::containers::states(docker, &stack).await {
                entries.push(("containers.json".into(), serde_json::to_string_pretty(&states)?));
            }
            for service in &stack.services {
                let name = crate::stack::containers::container_name(&stack.project, service.name);
                entries.push((format!("logs/{}.log", service.name), logs(docker, &name).await));
            }
        }
        Err(e) => entries.push(("docker-unreachable.txt".into(), format!("{e}\n"))),
    }
    entries.insert(0, ("versions.json".into(), serde_json::to_string_pretty(&versions)?));

    let names = crate::health::checks::applicable(config);
    let report = crate::health::checks::run(config.clone(), &names, config.health.check_timeout.as_std()).await;
    entries.push(("health.json".into(), serde_json::to_string_pretty(&report)?));
    entries.push(("health.txt".into(), report.plugin_text()));
    entries.push(("config.yml".into(), redacted_config(config)?));
    if let Ok(listed) = crate::backup::catalog::list(&config.paths.backup_dir) {
        entries.push(("backups.json".into(), serde_json::to_string_pretty(&listed)?));
    }

    let folder = format!("sting-support-{}", crate::health::now_rfc3339().replace(':', ""));
    let mut staged = crate::fsio::AtomicFile::create(file, 0o600)?;
    {
        let encoder = flate2::write::GzEncoder::new(staged.file()?, flate2::Compression::default());
        let mut archive = tar::Builder::new(encoder);
        for (name, text) in &entries {
            let clean = scrub(text, &secrets);
            let mut header = tar::Header::new_gnu();
            header.set_size(clean.len() as u64);
            header.set_mode(0o600);
            header.set_mtime(time::OffsetDateTime::now_utc().unix_timestamp().max(0) as u64);
            archive.append_data(&mut header, format!("{folder}/{name}"), clean.as_bytes())?;
        }
        let mut encoder = archive.into_inner()?;
        encoder.flush()?;
        encoder.finish()?.sync_all()?;
    }
    staged.commit()?;
    Ok(Made { file: file.to_path_buf(), entries: entries.into_iter().map(|(n, _)| n).collect() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values_and_token_shapes_are_scrubbed() {
        let secrets = vec!["c2VjcmV0LXZhbHVlLXRoYXQtaXMtbG9uZw".to_string()];
        let text = "login with c2VjcmV0LXZhbHVlLXRoYXQtaXMtbG9uZw ok\ntoken=hvs.CAESIJ8dkfjs93jdkslw\nkey \"sting_abcdefghijklmnop\"\n-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg\n-----END PRIVATE KEY-----\nafter\n";
        let clean = scrub(text, &secrets);
        assert!(!clean.contains("c2VjcmV0"), "{clean}");
        assert!(!clean.contains("hvs.CAES"), "{clean}");
        assert!(!clean.contains("sting_abcdefghijklmnop"), "{clean}");
        assert!(!clean.contains("MIIEvQ"), "{clean}");
        assert!(clean.contains("login with [REDACTED] ok"), "{clean}");
        assert!(clean.contains("after"), "{clean}");
    }

    #[test]
    fn values_under_secret_keys_go_and_references_and_ttls_stay() {
        let mut value = serde_json::json!({
            "smtp": {"password": "hunter2-typed-in", "host": "mail"},
            "remote": {"api_key": "vault-ref:providers#openai"},
            "vault": {"operator_token_ttl": "10m"},
            "list": [{"secret_id": "abc-123-def"}]
        });
        redact(&mut value);
        assert_eq!(value["smtp"]["password"], REDACTED);
        assert_eq!(value["smtp"]["host"], "mail");
        assert_eq!(value["remote"]["api_key"], "vault-ref:providers#openai");
        assert_eq!(value["vault"]["operator_token_ttl"], "10m");
        assert_eq!(value["list"][0]["secret_id"], REDACTED);
        let yaml = redacted_config(&Config::default()).unwrap();
        assert!(yaml.contains("project_name: sting-ce"), "{yaml}");
    }
}
