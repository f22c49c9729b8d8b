//! `msting doctor` finds the fault each check is made for, with the command that fixes it:
//! a clock ten minutes off the ACME CA's, a domain that does not resolve, models larger than
//! stingd's memory limit, a port another program holds, msting's missing Vault login, and a
//! second Docker engine of the test's own on the `vfs` storage driver. (Migrations and a lost
//! login's repair are tested on a real stack in `health.rs`.)

use std::io::{Read, Write};
use std::net::TcpListener;

use crate::common::{msting, text};
use serde_json::Value;

/// An HTTP server whose clock is ten minutes behind: its `Date` header says so.
fn skewed_server() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut stream = stream;
            let mut buffer = [0u8; 4096];
            let _ = stream.read(&mut buffer);
            let behind = time::OffsetDateTime::now_utc() - time::Duration::minutes(10);
            let format = time::macros::format_description!(
                "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
            );
            let date = behind.format(format).unwrap();
            let _ = stream.write_all(
                format!("HTTP/1.1 200 OK\r\nDate: {date}\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{{}}")
                    .as_bytes(),
            );
        }
    });
    port
}

#[test]
fn each_check_finds_its_fault_and_names_the_fix() {
    let model = sting_e2e::env::require_path(sting_e2e::Component::TestModel);
    let acme = skewed_server();
    let held = TcpListener::bind("127.0.0.1:0").unwrap();
    let held_port = held.local_addr().unwrap().port();
    let config = format!(
        "version: 1
system:
  project_name: sting-doctor
  domain: sting-doctor.invalid
  bind_address: 127.0.0.1
services:
  stingd:
    https_port: {held_port}
    http_port: {http}
    memory_limit: 64m
llm:
  models:
    - name: bee
      path: {model}
      context: 4096
tls:
  mode: acme
  acme:
    directory_url: http://127.0.0.1:{acme}/directory
",
        http = sting_e2e::free_port(),
        model = model.display(),
    );
    let install = crate::common::install_dir(&config);
    let run = msting(install.path(), &["--json", "doctor"]);
    assert_eq!(run.status.code(), Some(1), "{}", text(&run));
    let report: Value = serde_json::from_slice(&run.stdout).unwrap();
    let checks = report["checks"].as_array().unwrap();
    let failed = |name: &str, says: &str, fix: &str| {
        let found = checks
            .iter()
            .find(|c| c["name"] == name && c["status"] == "fail" && c["message"].as_str().unwrap().contains(says))
            .unwrap_or_else(|| panic!("no failing {name} check saying `{says}`: {report:#}"));
        assert!(found["fix"].as_str().unwrap().contains(fix), "{found}");
    };
    failed("clock", "ahead of the ACME CA", "timedatectl set-ntp true");
    failed("dns", "sting-doctor.invalid does not resolve", "/etc/hosts");
    failed("memory", "but stingd's memory limit is 64 MiB", "services.stingd.memory_limit to at least");
    failed("ports", &format!("127.0.0.1:{held_port} is taken"), "ss -ltnp");
    failed("credentials", "Vault login", "msting vault init");
    // What is not broken here is not reported as broken.
    assert!(checks.iter().any(|c| c["name"] == "docker" && c["status"] == "pass"), "{report:#}");
    drop(held);
}

/// A second Docker engine of the test's own on the `vfs` storage driver (slow, and not what
/// Docker recommends), in a network namespace of its own (left in the host's, its start and
/// stop removed the host engine's docker0), sharing the host's containerd under a containerd
/// namespace of its own. Stopped with SIGTERM (so it unmounts what it mounted) when dropped.
struct VfsEngine {
    dir: tempfile::TempDir,
    process: std::process::Child,
}

impl VfsEngine {
    fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let path = |name: &str| dir.path().join(name);
        let process = std::process::Command::new("unshare")
            .args(["--net", "dockerd"])
            .arg("--data-root")
            .arg(path("data"))
            .arg("--exec-root")
            .arg(path("exec"))
            .arg("--pidfile")
            .arg(path("pid"))
            .arg("-H")
            .arg(format!("unix://{}", path("sock").display()))
            .args(["--bridge", "none", "--iptables=false", "--ip-masq=false", "--storage-driver", "vfs"])
            .args([
                "--containerd",
                "/var/run/docker/containerd/containerd.sock",
                "--containerd-namespace",
                "sting-doctor-test",
            ])
            .stdout(std::fs::File::create(path("log")).unwrap())
            .stderr(std::fs::File::create(path("log")).unwrap())
            .spawn()
            .expect("unshare (util-linux) and dockerd: apt-get install -y docker.io");
        let engine = Self { dir, process };
        let started = std::time::Instant::now();
        while std::process::Command::new("docker")
            .env("DOCKER_HOST", engine.host())
            .arg("info")
            .output()
            .map_or(true, |o| !o.status.success())
        {
            assert!(
                started.elapsed() < std::time::Duration::from_secs(60),
                "the vfs engine did not start:\n{}",
                std::fs::read_to_string(engine.dir.path().join("log")).unwrap_or_default()
            );
            std::thread::sleep(std::time::Duration::from_millis(300));
        }
        engine
    }

    fn host(&self) -> String {
        format!("unix://{}", self.dir.path().join("sock").display())
    }
}

impl Drop for VfsEngine {
    fn drop(&mut self) {
        let _ = std::process::Command::new("kill").args(["-TERM", &self.process.id().to_string()]).status();
        let _ = self.process.wait();
        let _ = std::process::Command::new("umount").arg("-R").arg(self.dir.path().join("data")).status();
    }
}

#[test]
fn an_engine_on_a_storage_driver_docker_does_not_recommend_is_reported_with_the_fix() {
    let engine = VfsEngine::start();
    let install = crate::common::install_dir(
        "version: 1\nsystem:\n  project_name: sting-doctor-vfs\n  bind_address: 127.0.0.1\n",
    );
    let run = crate::common::msting_command()
        .arg("--install-dir")
        .arg(install.path())
        .args(["--json", "doctor"])
        .env("DOCKER_HOST", engine.host())
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&run)));
    let docker: Vec<&Value> = report["checks"].as_array().unwrap().iter().filter(|c| c["name"] == "docker").collect();
    let driver = docker
        .iter()
        .find(|c| c["message"].as_str().unwrap().contains("storage driver vfs"))
        .unwrap_or_else(|| panic!("the vfs driver is not reported: {report:#}"));
    assert_eq!(driver["status"], "warn");
    assert!(driver["fix"].as_str().unwrap().contains("\"storage-driver\": \"overlay2\""), "{driver}");
    assert!(docker.iter().any(|c| c["status"] == "pass" && c["message"].as_str().unwrap().starts_with("Docker 2")));
}
