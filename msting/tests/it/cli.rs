//! msting as an operator runs it: the real binary, real files, exit codes and output streams.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};

fn repo_root() -> PathBuf {
    Path::new(&sting_e2e::env::manifest_dir()).parent().unwrap().to_path_buf()
}

fn default_config() -> PathBuf {
    repo_root().join("conf/config.yml")
}

/// msting with a clean environment: no inherited STING_* variables, no terminal.
fn msting(args: &[&str]) -> Output {
    let mut cmd = crate::common::msting_command();
    cmd.env_remove("NO_COLOR");
    for (key, _) in std::env::vars() {
        if key.starts_with("STING_") || key.starts_with("CLICOLOR") {
            cmd.env_remove(key);
        }
    }
    cmd.args(args).stdin(Stdio::null()).output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn the_shipped_config_validates() {
    let out = msting(&["config", "validate", default_config().to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("is valid (version 1)"));
}

#[test]
fn a_config_with_three_mistakes_fails_naming_all_three_with_lines() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("config.yml");
    let config = fs::read_to_string(default_config())
        .unwrap()
        .replacen("  queue_depth: 64", "  queue_depht: 64", 1)
        .replacen("  pool_size: 16", "  pool_size: sixteen", 1)
        .replacen("  password: vault-ref:database/stingd#password", "  password: Sup3rS3cret!", 1);
    fs::write(&file, &config).unwrap();
    let line = |needle: &str| config.lines().position(|l| l.contains(needle)).unwrap() + 1;

    let out = msting(&["config", "validate", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    let f = file.display();
    assert!(stderr.contains(&format!("{f}:{}:3: error[unknown-key] llm.queue_depht", line("queue_depht"))), "{stderr}");
    assert!(stderr.contains("did you mean `queue_depth`?"), "{stderr}");
    assert!(stderr.contains(&format!("{f}:{}:14: error[wrong-type] database.pool_size", line("sixteen"))), "{stderr}");
    assert!(
        stderr.contains(&format!("{f}:{}:13: error[plain-secret] database.password", line("Sup3rS3cret"))),
        "{stderr}"
    );
    assert!(stderr.contains("3 problems"));
    assert!(
        !stderr.contains("Sup3rS3cret") && !text(&out.stdout).contains("Sup3rS3cret"),
        "the secret leaked: {stderr}"
    );

    // The same as JSON, on stdout, with stable codes.
    let out = msting(&["--json", "config", "validate", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["valid"], false);
    let codes: Vec<&str> = doc["problems"].as_array().unwrap().iter().map(|p| p["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["plain-secret", "wrong-type", "unknown-key"], "in file order");
    assert!(!text(&out.stdout).contains("Sup3rS3cret"));
}

#[test]
fn a_missing_file_is_a_clear_error() {
    let out = msting(&["config", "validate", "/nonexistent/config.yml"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("cannot read /nonexistent/config.yml"), "{stderr}");
    assert!(stderr.contains("--config"), "the hint names the way out: {stderr}");
}

#[test]
fn the_config_defaults_to_the_install_dir_and_its_environment_variable() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("conf")).unwrap();
    fs::write(dir.path().join("conf/config.yml"), "version: 1\nsystem:\n  domain: sting.example.org\n").unwrap();
    let out = msting(&["--install-dir", dir.path().to_str().unwrap(), "--json", "config", "show"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["config"]["system"]["domain"], "sting.example.org");
    // --install-dir also moves every relative path.
    assert_eq!(doc["config"]["paths"]["data_dir"], dir.path().join("data").to_str().unwrap());

    let out = crate::common::msting_command()
        .args(["--json", "config", "show"])
        .env("STING_INSTALL_DIR", dir.path())
        .env("STING_MODELS_DIR", "/mnt/models")
        .env_remove("STING_CONFIG")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["config"]["paths"]["models_dir"], "/mnt/models");
    let overridden: Vec<&str> =
        doc["overrides"].as_array().unwrap().iter().map(|o| o["var"].as_str().unwrap()).collect();
    assert_eq!(overridden, ["STING_INSTALL_DIR", "STING_MODELS_DIR"]);
}

#[test]
fn show_prints_secret_references_never_values() {
    let out = msting(&["--config", default_config().to_str().unwrap(), "config", "show"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let yaml = text(&out.stdout);
    assert!(yaml.contains("password: vault-ref:database/stingd#password"), "{yaml}");
    // What show prints is itself a valid config.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("shown.yml");
    fs::write(&file, &yaml).unwrap();
    let out = msting(&["config", "validate", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
}

#[test]
fn show_defaults_prints_the_documented_file() {
    let out = msting(&["config", "show", "--defaults"]);
    assert_eq!(text(&out.stdout), fs::read_to_string(default_config()).unwrap());
}

const ORIGINAL: &str = "app:\n  flask:\n    port: 5050\ndatabase:\n  postgresql:\n    host: db\n    name: sting_app\n";

#[test]
fn migrate_without_consent_shows_the_diff_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("config.yml");
    fs::write(&file, ORIGINAL).unwrap();
    let out = msting(&["config", "migrate", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "no terminal and no --yes: not written");
    assert!(text(&out.stdout).contains("+version: 1"), "{}", text(&out.stdout));
    assert!(text(&out.stderr).contains("re-run with --yes"), "{}", text(&out.stderr));
    assert_eq!(fs::read_to_string(&file).unwrap(), ORIGINAL);

    let out = msting(&["config", "migrate", "--dry-run", file.to_str().unwrap()]);
    assert!(out.status.success());
    assert_eq!(fs::read_to_string(&file).unwrap(), ORIGINAL);
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1, "a dry run leaves no file behind");
}

#[test]
fn migrate_with_yes_writes_atomically_and_keeps_the_old_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("config.yml");
    fs::write(&file, ORIGINAL).unwrap();
    fs::set_permissions(&file, fs::Permissions::from_mode(0o600)).unwrap();
    let out = msting(&["--yes", "config", "migrate", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let backup = dir.path().join("config.yml.v0.bak");
    assert_eq!(fs::read_to_string(&backup).unwrap(), ORIGINAL);
    assert_eq!(fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600, "the mode is kept");
    let out = msting(&["config", "validate", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    // A second run has nothing to do.
    let out = msting(&["--yes", "config", "migrate", file.to_str().unwrap()]);
    assert!(out.status.success());
    assert!(text(&out.stderr).contains("nothing to do"));
}

#[test]
fn migrate_refuses_to_write_a_result_that_would_not_validate() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("config.yml");
    let original = format!("{ORIGINAL}messaging:\n  queue: redis\n");
    fs::write(&file, &original).unwrap();
    let out = msting(&["--yes", "config", "migrate", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("error[unknown-key] messaging"), "{}", text(&out.stderr));
    assert_eq!(fs::read_to_string(&file).unwrap(), original);
}

#[test]
fn colour_follows_the_terminal_and_no_color_turns_it_off() {
    let bad = tempfile::NamedTempFile::new().unwrap();
    fs::write(bad.path(), "version: 1\nsytem: {}\n").unwrap();
    let run = |extra: &[&str], env: &[(&str, &str)]| {
        let mut cmd = crate::common::msting_command();
        cmd.args(extra).args(["config", "validate", bad.path().to_str().unwrap()]).env_remove("NO_COLOR");
        for (k, v) in env {
            cmd.env(k, v);
        }
        text(&cmd.output().unwrap().stderr)
    };
    const ESC: char = '\u{1b}';
    assert!(!run(&[], &[]).contains(ESC), "no terminal, no colour");
    assert!(run(&[], &[("CLICOLOR_FORCE", "1")]).contains(ESC));
    assert!(!run(&["--no-color"], &[("CLICOLOR_FORCE", "1")]).contains(ESC));
    assert!(!run(&[], &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")]).contains(ESC));
}

#[test]
fn usage_errors_exit_2_and_schema_is_json() {
    let out = msting(&["config", "frobnicate"]);
    assert_eq!(out.status.code(), Some(2));
    let out = msting(&["config", "schema"]);
    let schema: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(schema["properties"]["llm"].is_object());
}

/// `completions/` holds generated scripts; this fails when they no longer match the CLI.
/// Regenerate with `STING_UPDATE_COMPLETIONS=1 cargo test -p msting --test cli completions`.
#[test]
fn completions_in_the_repository_are_current() {
    let update = std::env::var_os("STING_UPDATE_COMPLETIONS").is_some();
    let mut stale = Vec::new();
    for (shell, name) in [("bash", "msting.bash"), ("zsh", "_msting"), ("fish", "msting.fish")] {
        let generated = msting(&["completions", shell]).stdout;
        assert!(!generated.is_empty());
        let path = repo_root().join("completions").join(name);
        if update {
            fs::write(&path, &generated).unwrap();
        } else if fs::read(&path).ok().as_deref() != Some(&generated[..]) {
            stale.push(name);
        }
    }
    assert!(
        stale.is_empty(),
        "completions/{stale:?} are stale: run `STING_UPDATE_COMPLETIONS=1 cargo test -p msting --test cli completions` and commit"
    );
}

#[test]
fn health_answers_bad_input_as_a_monitoring_plugin_would() {
    // A mistyped check is UNKNOWN (3), never CRITICAL (2), and names the checks there are.
    let typo = msting(&["health", "--check", "databse"]);
    assert_eq!(typo.status.code(), Some(3), "{}", text(&typo.stderr));
    assert!(text(&typo.stderr).contains("possible values: docker, services, vault, db"), "{}", text(&typo.stderr));
    let bad_timeout = msting(&["--install-dir", "/nonexistent", "health", "--timeout", "soon"]);
    assert_eq!(bad_timeout.status.code(), Some(3), "{}", text(&bad_timeout.stderr));
    // Other commands keep the usual usage code.
    assert_eq!(msting(&["status", "--nope"]).status.code(), Some(2));

    // A config with a mistake: UNKNOWN, naming the file, the line and the key.
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("conf")).unwrap();
    fs::write(dir.path().join("conf/config.yml"), "version: 1\nhealth:\n  check_timeout: soon\n").unwrap();
    let broken = msting(&["--install-dir", dir.path().to_str().unwrap(), "health"]);
    assert_eq!(broken.status.code(), Some(3), "{}", text(&broken.stdout));
    let said = text(&broken.stdout);
    assert!(said.starts_with("STING UNKNOWN - config: "), "{said}");
    assert!(said.contains("config.yml:3:"), "{said}");
    assert!(said.contains("health.check_timeout"), "{said}");

    // No status file yet: UNKNOWN, saying how to start writing one.
    let none = msting(&["--install-dir", dir.path().to_str().unwrap(), "health", "--from-status"]);
    assert_eq!(none.status.code(), Some(3));
    assert!(text(&none.stdout).contains("msting cron install"), "{}", text(&none.stdout));
}
