//! `msting health` on a real stack, as cron and a monitoring system use it: OK and silent when
//! all is well; CRITICAL naming the database when it stops, with the unseal hint when Vault is
//! sealed, and when the certificate served is near its end; UNKNOWN for a check that hangs while
//! the others still report; the last result readable by a user without Docker or root.

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use crate::common::{msting, text, unique};
use serde_json::Value;

fn ok(install: &Path, args: &[&str]) -> String {
    let run = msting(install, args);
    let said = text(&run);
    assert!(run.status.success(), "msting {} failed:\n{said}", args.join(" "));
    said
}

/// `msting --json health ARGS`: the exit code and the report.
fn health(install: &Path, args: &[&str]) -> (i32, Value, Output) {
    let mut all = vec!["--json", "health"];
    all.extend_from_slice(args);
    let run = msting(install, &all);
    let report =
        serde_json::from_slice(&run.stdout).unwrap_or_else(|e| panic!("health printed no JSON ({e}):\n{}", text(&run)));
    (run.status.code().unwrap(), report, run)
}

fn check<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no {name} check in {report:#}"))
}

fn docker(args: &[&str]) {
    let run = Command::new("docker").args(args).output().unwrap();
    assert!(run.status.success(), "docker {}: {}", args.join(" "), String::from_utf8_lossy(&run.stderr));
}

/// Runs health until `done` says its report is the one awaited (stingd reloads a certificate,
/// a container stops), or fails after a minute.
fn until(install: &Path, args: &[&str], what: &str, done: impl Fn(&Value) -> bool) -> (i32, Value) {
    let started = Instant::now();
    loop {
        let (code, report, _) = health(install, args);
        if done(&report) {
            return (code, report);
        }
        assert!(started.elapsed() < Duration::from_secs(60), "{what} never showed:\n{report:#}");
        std::thread::sleep(Duration::from_millis(500));
    }
}

#[test]
fn health_is_silent_when_well_and_names_each_fault_a_monitor_must_see() {
    let identity = age::x25519::Identity::generate();
    let recipient = identity.to_public().to_string();
    let project = unique("sting-hl");
    // This machine's disk may be fuller than a production one: judge it by levels it meets.
    let config = format!(
        "{}backup:\n  recipients: [\"{recipient}\"]\nhealth:\n  disk_free_warning_percent: 2\n  disk_free_critical_percent: 1\n",
        crate::common::stack_config(&project, &recipient)
    );
    let install = crate::common::install_dir(&config);
    let dir = install.path();
    let _purge = crate::common::Purge(vec![project.clone()]);
    ok(dir, &["images", "build"]);
    ok(dir, &["--yes", "install"]);

    // Backups are configured and none is taken yet: a warning that says what to run.
    let (code, report, _) = health(dir, &[]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(check(&report, "backup")["status"], "WARNING");
    assert!(check(&report, "backup")["fix"].as_str().unwrap().contains("msting backup --encrypt"));

    // A fresh install with a backup: OK, and --quiet prints nothing at all.
    ok(dir, &["backup", "--encrypt", "--recipient", &recipient]);
    let quiet = msting(dir, &["--quiet", "health"]);
    assert_eq!(quiet.status.code(), Some(0), "{}", text(&quiet));
    assert_eq!(text(&quiet), "", "--quiet prints nothing when all is OK");
    let plain = msting(dir, &["health"]);
    let said = String::from_utf8_lossy(&plain.stdout).to_string();
    assert!(said.starts_with("STING OK - 9 checks OK | "), "{said}");
    for perf in
        ["'services_running'=", "'certificate_left'=", "'backup_age'=", "'disk_free_install'=", "'disk_free_docker'="]
    {
        assert!(said.contains(perf), "{perf} is not in the performance data: {said}");
    }
    let (code, report, _) = health(dir, &[]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["status"], "OK");
    let names: Vec<&str> = report["checks"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        ["docker", "services", "vault", "db", "stingd", "models", "certificate", "backup", "disk"],
        "every check that applies, in order (shares only in manual unseal mode)"
    );
    for c in report["checks"].as_array().unwrap() {
        for field in ["status", "message", "value", "threshold"] {
            assert!(c.get(field).is_some(), "{field} missing from {c}");
        }
    }
    let certificate = check(&report, "certificate");
    // The configured 30 days (and the hour the CA backdates a certificate by).
    let lifetime = certificate["metrics"][0]["max"].as_f64().unwrap();
    assert!((30.0 * 86_400.0..31.0 * 86_400.0).contains(&lifetime), "{certificate}");
    assert!(certificate["value"].as_f64().unwrap() > lifetime * 0.9, "{certificate}");
    assert_eq!(certificate["threshold"]["critical"].as_f64().unwrap(), lifetime / 10.0);
    assert!(check(&report, "backup")["value"].as_f64().unwrap() < 600.0);

    // The status file: written by root's run, read by anyone without Docker or the config.
    let status_file = dir.join("status/health.json");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&status_file).unwrap().permissions().mode() & 0o777, 0o644);
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let as_nobody = |args: &[&str]| {
        Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups", env!("CARGO_BIN_EXE_msting"), "--install-dir"])
            .arg(dir)
            .args(args)
            .env("NO_COLOR", "1")
            .output()
            .expect("setpriv from util-linux")
    };
    let from_status = as_nobody(&["health", "--from-status"]);
    assert_eq!(from_status.status.code(), Some(0), "{}", text(&from_status));
    assert!(
        String::from_utf8_lossy(&from_status.stdout).starts_with("STING OK - 9 checks OK"),
        "{}",
        text(&from_status)
    );
    // Without root, a live check cannot run: UNKNOWN, and never the advice to join the docker group.
    let live = as_nobody(&["health"]);
    assert_eq!(live.status.code(), Some(3), "{}", text(&live));
    assert!(String::from_utf8_lossy(&live.stdout).starts_with("STING UNKNOWN - "), "{}", text(&live));
    assert!(!text(&live).contains("docker group"), "{}", text(&live));
    let stale = as_nobody(&["health", "--from-status", "--max-age", "0s"]);
    assert_eq!(stale.status.code(), Some(3), "{}", text(&stale));
    assert!(text(&stale).contains("the cron job has stopped"), "{}", text(&stale));

    // The cron file: installed twice, the same file; its health job is what was just run.
    let cron_dir = tempfile::tempdir().unwrap();
    let cron_dir_arg = cron_dir.path().to_str().unwrap();
    ok(dir, &["cron", "install", "--cron-dir", cron_dir_arg]);
    let cron_file = cron_dir.path().join(format!("sting-ce-{project}"));
    let first = std::fs::read(&cron_file).unwrap();
    let again = ok(dir, &["cron", "install", "--cron-dir", cron_dir_arg]);
    assert!(again.contains("unchanged"), "{again}");
    assert_eq!(std::fs::read(&cron_file).unwrap(), first);
    let cron_text = String::from_utf8(first).unwrap();
    assert!(cron_text.contains("--quiet health 2>&1 | logger"), "{cron_text}");
    assert!(cron_text.contains("backup --encrypt"), "recipients are configured: {cron_text}");
    ok(dir, &["cron", "remove", "--cron-dir", cron_dir_arg]);
    assert!(!cron_file.exists());

    // The support bundle: what helps, and none of the secrets this install generated.
    let bundle = dir.join("support.tar.gz");
    ok(dir, &["support-bundle", "--output", bundle.to_str().unwrap()]);
    assert_eq!(std::fs::metadata(&bundle).unwrap().permissions().mode() & 0o777, 0o600);
    let mut tar = Vec::new();
    {
        use std::io::Read;
        flate2::read::GzDecoder::new(std::fs::File::open(&bundle).unwrap()).read_to_end(&mut tar).unwrap();
    }
    let mut names = Vec::new();
    for entry in tar::Archive::new(tar.as_slice()).entries().unwrap() {
        names.push(entry.unwrap().path().unwrap().to_string_lossy().to_string());
    }
    for wanted in ["versions.json", "health.json", "config.yml", "logs/stingd.log", "logs/vault.log", "logs/db.log"] {
        assert!(names.iter().any(|n| n.ends_with(wanted)), "{wanted} is not in {names:?}");
    }
    let mut generated = Vec::new();
    let mut folders = vec![dir.join("secrets")];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                folders.push(path);
            } else {
                generated.push((path.clone(), std::fs::read(&path).unwrap()));
            }
        }
    }
    generated.push((dir.join("certs/server.key"), std::fs::read(dir.join("certs/server.key")).unwrap()));
    assert!(generated.len() >= 5, "{generated:?}");
    for (path, value) in &generated {
        let text = String::from_utf8_lossy(value);
        let mut pieces: Vec<String> = text.lines().map(|l| l.trim().to_string()).collect();
        if let Ok(json) = serde_json::from_str::<Value>(&text) {
            pieces.extend(json.as_object().into_iter().flatten().filter_map(|(_, v)| v.as_str().map(String::from)));
        }
        for piece in pieces.iter().filter(|p| p.len() >= 16 && !p.starts_with("-----")) {
            assert!(!contains(&tar, piece.as_bytes()), "a value from {} is in the support bundle", path.display());
        }
    }

    // A hung Vault: its check is UNKNOWN at the timeout and every other check still reports.
    let vault_container = format!("{project}-vault-1");
    docker(&["pause", &vault_container]);
    let began = Instant::now();
    let (_, report, _) = health(dir, &["--timeout", "2s"]);
    let took = began.elapsed();
    docker(&["unpause", &vault_container]);
    let vault = check(&report, "vault");
    assert_eq!(vault["status"], "UNKNOWN", "{report:#}");
    assert!(vault["message"].as_str().unwrap().contains("no answer within 2s"), "{vault}");
    assert_eq!(report["checks"].as_array().unwrap().len(), 9, "{report:#}");
    assert_eq!(check(&report, "db")["status"], "OK", "{report:#}");
    assert_eq!(check(&report, "services")["status"], "CRITICAL", "a paused container is not running: {report:#}");
    assert!(took < Duration::from_secs(20), "the checks ran one after another: {took:?}");

    // A certificate near the end of its life: CRITICAL; the renewal health names fixes it.
    let loaded = sting_config::load_file(&dir.join("conf/config.yml"), &{
        let mut overrides = sting_config::Overrides::default();
        overrides.set("STING_INSTALL_DIR", dir.to_string_lossy());
        overrides
    })
    .unwrap()
    .config;
    let names = msting::tls::local::server_names(&loaded, &msting::tls::local::host_addresses()).unwrap();
    let long_ago = time::OffsetDateTime::now_utc() - time::Duration::hours(29 * 24 + 12);
    msting::tls::local::setup(&loaded, &names, false, long_ago).unwrap();
    let (code, report) = until(dir, &["--check", "certificate"], "the near-expiry certificate", |r| {
        check(r, "certificate")["value"].as_f64().is_some_and(|left| left < 86_400.0)
    });
    assert_eq!(code, 2, "{report:#}");
    let certificate = check(&report, "certificate");
    assert_eq!(certificate["status"], "CRITICAL");
    assert_eq!(certificate["fix"], "`msting setup-ssl --renew`");
    ok(dir, &["setup-ssl", "--renew"]);
    let (code, _) = until(dir, &["--check", "certificate"], "the renewed certificate", |r| {
        check(r, "certificate")["status"] == "OK"
    });
    assert_eq!(code, 0);

    // Vault sealed: CRITICAL, with the unseal hint, and `msting unseal` does what it says.
    let runtime = msting::vault_access::runtime().unwrap();
    runtime.block_on(async {
        let operator = msting::vault_access::operator(&loaded).await.unwrap();
        sting_vault::seal::seal(&operator).await.unwrap();
    });
    let (code, report, _) = health(dir, &["--check", "vault"]);
    assert_eq!(code, 2, "{report:#}");
    assert!(check(&report, "vault")["message"].as_str().unwrap().contains("Vault is sealed"), "{report:#}");
    assert_eq!(check(&report, "vault")["fix"], "`msting unseal`");
    let plain = msting(dir, &["health", "--check", "vault"]);
    assert!(String::from_utf8_lossy(&plain.stdout).contains("(fix: `msting unseal`)"), "{}", text(&plain));
    ok(dir, &["unseal"]);
    let (code, report, _) = health(dir, &["--check", "vault"]);
    assert_eq!(code, 0, "{report:#}");

    // Doctor on the healthy stack: its login, migrations and ports are in order.
    let doctor = |install: &Path| -> Value {
        let run = msting(install, &["--json", "doctor"]);
        serde_json::from_slice(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&run)))
    };
    let status_of = |report: &Value, name: &str| -> Vec<String> {
        report["checks"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["name"] == name)
            .map(|c| c["status"].as_str().unwrap().to_string())
            .collect()
    };
    let healthy = doctor(dir);
    for name in ["credentials", "migrations", "ports", "docker"] {
        assert!(status_of(&healthy, name).iter().all(|s| s == "pass"), "{name}: {healthy:#}");
    }
    let messages: Vec<&str> =
        healthy["checks"].as_array().unwrap().iter().filter_map(|c| c["message"].as_str()).collect();
    assert!(messages.iter().any(|m| m.starts_with("stingd's Vault token renews itself")), "{healthy:#}");
    // The default model is not downloaded in this stack: a warning, not a fault.
    assert_eq!(status_of(&healthy, "memory"), ["warn"], "{healthy:#}");
    // msting's Vault login lost: doctor says so, and the fix it names brings it back.
    let login = dir.join("secrets/vault/operator.json");
    let aside = dir.join("operator.json.aside");
    std::fs::rename(&login, &aside).unwrap();
    let lost = doctor(dir);
    let missing = lost["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "credentials" && c["message"].as_str().unwrap().starts_with("msting's Vault login"))
        .unwrap_or_else(|| panic!("the lost login is not reported: {lost:#}"))
        .clone();
    assert_eq!(missing["status"], "fail", "{missing}");
    assert!(missing["fix"].as_str().unwrap().contains("`msting vault init`"), "{missing}");
    ok(dir, &["vault", "init"]);
    assert!(status_of(&doctor(dir), "credentials").iter().all(|s| s == "pass"));
    let old: Value = serde_json::from_slice(&std::fs::read(&aside).unwrap()).unwrap();
    let new: Value = serde_json::from_slice(&std::fs::read(&login).unwrap()).unwrap();
    assert_ne!(old["secret_id"], new["secret_id"], "a new login replaces the lost one");

    // A migration the database lacks: doctor finds it and says how stingd applies it.
    let db_container = format!("{project}-db-1");
    let psql = |sql: &str| {
        docker(&["exec", &db_container, "psql", "-h", "/run/postgresql", "-U", "postgres", "-d", "sting", "-c", sql]);
    };
    psql("UPDATE _sqlx_migrations SET success = false WHERE version = (SELECT max(version) FROM _sqlx_migrations)");
    let pending = doctor(dir);
    let migration = pending["checks"].as_array().unwrap().iter().find(|c| c["name"] == "migrations").unwrap().clone();
    psql("UPDATE _sqlx_migrations SET success = true WHERE version = (SELECT max(version) FROM _sqlx_migrations)");
    assert_eq!(migration["status"], "fail", "{pending:#}");
    assert!(migration["message"].as_str().unwrap().contains("1 migration(s) not applied"), "{migration}");
    assert!(migration["fix"].as_str().unwrap().contains("msting restart stingd"), "{migration}");

    // The database stopped: CRITICAL, and the JSON names it.
    docker(&["stop", &format!("{project}-db-1")]);
    let (code, report, _) = health(dir, &[]);
    assert_eq!(code, 2, "{report:#}");
    let db = check(&report, "db");
    assert_eq!(db["status"], "CRITICAL");
    assert!(db["message"].as_str().unwrap().contains("the db container is exited"), "{db}");
    assert_eq!(db["fix"].as_str().unwrap(), "`msting start db`; if it stops again, `msting logs db`");
    let plain = msting(dir, &["health"]);
    let said = String::from_utf8_lossy(&plain.stdout).to_string();
    assert!(said.starts_with("STING CRITICAL - "), "{said}");
    assert!(said.lines().any(|l| l.starts_with("CRITICAL db: the db container is exited")), "{said}");
    // `msting status` judges by the same checks.
    let status = msting(dir, &["status"]);
    assert_eq!(status.status.code(), Some(1), "{}", text(&status));
    assert!(text(&status).contains("the db container is exited"), "{}", text(&status));
    // The last full result is what --from-status tells the monitor.
    let from_status = as_nobody(&["health", "--from-status"]);
    assert_eq!(from_status.status.code(), Some(2), "{}", text(&from_status));
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}
