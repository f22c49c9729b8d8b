//! `msting preflight` and `msting check-ports` on this machine with its real Docker engine: the
//! engine is found and described, a taken port fails with how to find its holder and the key to
//! change, skipped checks say so, and the exit code says whether install may go on.

use crate::common::{msting, text};

fn install_dir(https: u16, http: u16, bind: &str) -> tempfile::TempDir {
    crate::common::install_dir(&format!(
        "version: 1\nsystem:\n  bind_address: {bind}\nservices:\n  stingd:\n    https_port: {https}\n    http_port: {http}\n"
    ))
}

#[test]
fn check_ports_passes_on_free_ports_and_names_a_taken_one_with_its_key() {
    let (https, http) = (sting_e2e::free_port(), sting_e2e::free_port());
    let install = install_dir(https, http, "127.0.0.1");
    let free = msting(install.path(), &["check-ports"]);
    assert!(free.status.success(), "{}", text(&free));
    assert!(text(&free).contains(&format!("127.0.0.1:{https} is free")), "{}", text(&free));

    let squatter = std::net::TcpListener::bind(("127.0.0.1", http)).unwrap();
    let taken = msting(install.path(), &["check-ports"]);
    drop(squatter);
    assert_eq!(taken.status.code(), Some(1), "{}", text(&taken));
    let said = text(&taken);
    assert!(said.contains(&format!("127.0.0.1:{http} is taken")), "{said}");
    assert!(
        said.contains(&format!("ss -ltnp 'sport = :{http}'")) && said.contains("services.stingd.http_port"),
        "{said}"
    );

    let elsewhere = install_dir(https, http, "203.0.113.7");
    let wrong = msting(elsewhere.path(), &["check-ports"]);
    assert_eq!(wrong.status.code(), Some(1));
    assert!(text(&wrong).contains("203.0.113.7 is not an address of this machine"), "{}", text(&wrong));
}

#[test]
fn preflight_describes_the_docker_engine_and_honours_skips() {
    let (https, http) = (sting_e2e::free_port(), sting_e2e::free_port());
    let install = install_dir(https, http, "127.0.0.1");
    let out = msting(install.path(), &["--json", "preflight", "--skip", "gpu"]);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|_| panic!("{}", text(&out)));
    let check = |name: &str| -> Vec<serde_json::Value> {
        report["checks"].as_array().unwrap().iter().filter(|c| c["name"] == name).cloned().collect()
    };
    let docker = &check("docker")[0];
    assert_eq!(docker["status"], "pass", "the real engine: {report}");
    assert!(docker["message"].as_str().unwrap().contains("API 1."), "{docker}");
    let resources = &check("resources")[0];
    assert!(resources["message"].as_str().unwrap().contains("CPUs"), "{resources}");
    assert_eq!(check("disk").len(), 2, "the install directory and Docker's data: {report}");
    assert_eq!(check("ports").len(), 2);
    assert_eq!(check("gpu")[0]["status"], "skipped");
    // Tests run as root on these machines (the set-up needs it), so root passes.
    assert_eq!(check("root")[0]["status"], "pass");
    assert_eq!(report["ok"], out.status.success(), "the exit code agrees with the report");

    let bad = msting(install.path(), &["preflight", "--skip", "everything"]);
    assert_eq!(bad.status.code(), Some(2), "an unknown check is a usage error: {}", text(&bad));
}

#[test]
fn before_the_first_install_the_defaults_are_checked() {
    let empty = tempfile::tempdir().unwrap();
    let out = msting(empty.path(), &["--json", "preflight", "--skip", "docker", "--skip", "gpu"]);
    assert!(text(&out).contains("checking with the defaults"), "{}", text(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let ports: Vec<String> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["name"] == "ports")
        .map(|c| c["message"].as_str().unwrap().to_string())
        .collect();
    assert!(ports.iter().any(|m| m.contains(":443")) && ports.iter().any(|m| m.contains(":80")), "{ports:?}");
}
