//! `msting doctor` finds the fault each check is made for, with the command that fixes it:
//! a clock ten minutes off the ACME CA's, a domain that does not resolve, models larger than
//! stingd's memory limit, a port another program holds, and msting's missing Vault login.
//! (Migrations are tested on a real stack in `health.rs`.)

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;

use common::{msting, text};
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
    let install = common::install_dir(&config);
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
