//! What msting's end-to-end tests share: an install directory of the test's own with a config,
//! running the msting binary on it, and names no other test or stack uses.

use std::path::Path;
use std::process::{Command, Output};

/// An install directory whose `conf/config.yml` is `config`.
pub fn install_dir(config: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("conf")).unwrap();
    std::fs::write(dir.path().join("conf/config.yml"), config).unwrap();
    dir
}

/// The msting binary, without colour and with nothing of the developer's shell that would
/// point it elsewhere: no Vault address, token or login, no config or install folder (tests
/// say theirs).
pub fn msting_command() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_msting"));
    for (key, _) in std::env::vars() {
        let elsewhere = key.starts_with("STING_VAULT")
            || key.starts_with("VAULT_")
            || key.starts_with("BAO_")
            || key == "STING_CONFIG"
            || key == "STING_INSTALL_DIR";
        if elsewhere {
            command.env_remove(key);
        }
    }
    command.env("NO_COLOR", "1");
    command
}

/// msting on `install`.
pub fn msting(install: &Path, args: &[&str]) -> Output {
    msting_command().arg("--install-dir").arg(install).args(args).output().unwrap()
}

/// Everything a run printed, stdout then stderr.
pub fn text(output: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

/// A lower-case name starting with `prefix`, unique to this process and moment (Docker resource
/// names, image prefixes, project names).
pub fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
    format!("{prefix}-{}-{:05x}", std::process::id(), nanos & 0xfffff)
}

/// msting on `install` with a terminal for stdout and stderr (`script` gives it a pty), as an
/// operator at a console who types `typed`: what it printed and whether it succeeded.
pub fn msting_on_terminal(install: &Path, args: &[&str], typed: &str) -> (bool, String) {
    use std::io::Write;
    let quote = |s: &str| format!("'{}'", s.replace('\'', r"'\''"));
    let mut line = vec![quote(env!("CARGO_BIN_EXE_msting")), "--install-dir".into(), quote(&install.to_string_lossy())];
    line.extend(args.iter().map(|a| quote(a)));
    let mut child = Command::new("script")
        .args(["-q", "-e", "-c", &line.join(" "), "/dev/null"])
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("script(1) from util-linux: apt-get install -y bsdutils");
    child.stdin.take().unwrap().write_all(typed.as_bytes()).unwrap();
    let run = child.wait_with_output().unwrap();
    (run.status.success(), String::from_utf8_lossy(&run.stdout).replace("\r\n", "\n"))
}

/// The image prefix of stacks the tests install.
pub const IMAGE_PREFIX: &str = "sting-ce-test";

/// A stack of the test's own: its project name, free ports, the test images (built from the
/// recipes on the test base image), Vault's one share age-encrypted to `recipient`.
pub fn stack_config(project: &str, recipient: &str) -> String {
    let base = sting_e2e::env::require(sting_e2e::Component::BaseImage);
    format!(
        "version: 1
system:
  project_name: {project}
  domain: localhost
  bind_address: 127.0.0.1
services:
  stingd:
    https_port: {https}
    http_port: {http}
    memory_limit: 1g
  vault:
    port: {vault}
images:
  prefix: {IMAGE_PREFIX}
  base: {base}
vault:
  key_shares: 1
  key_threshold: 1
  share_recipients: [\"{recipient}\"]
",
        https = sting_e2e::free_port(),
        http = sting_e2e::free_port(),
        vault = sting_e2e::free_port(),
    )
}

/// Removes every container, network and volume of these projects when dropped, so a failed
/// test leaves nothing behind to exhaust Docker's address pools.
pub struct Purge(pub Vec<String>);

impl Drop for Purge {
    fn drop(&mut self) {
        for project in &self.0 {
            let label = format!("label=com.docker.compose.project={project}");
            for (list, remove) in [
                (vec!["ps", "-aq", "--filter", &label], vec!["rm", "-f"]),
                (vec!["network", "ls", "-q", "--filter", &label], vec!["network", "rm"]),
                (vec!["volume", "ls", "-q", "--filter", &label], vec!["volume", "rm"]),
            ] {
                let Ok(listed) = Command::new("docker").args(&list).output() else { continue };
                let ids: Vec<String> =
                    String::from_utf8_lossy(&listed.stdout).split_whitespace().map(str::to_string).collect();
                if !ids.is_empty() {
                    let _ = Command::new("docker").args(&remove).args(&ids).output();
                }
            }
        }
    }
}
