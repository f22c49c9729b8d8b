//! What msting issues, stingd serves: a certificate from the local CA is picked up without a
//! restart (read back over TLS by `msting certs status`'s own reader), and an ACME order from
//! Pebble is answered through stingd's challenge folder on its HTTP port while it runs.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use msting::tls::{Name, acme, local, served};
use sting_e2e::pebble::Pebble;
use sting_e2e::{ChildGuard, free_port, wait_for_http};
use time::OffsetDateTime;

const DOMAIN: &str = "sting.example.test";

fn config(install: &Path, http_port: u16, https_port: u16) -> sting_config::Config {
    std::fs::create_dir_all(install.join("conf")).unwrap();
    let file = install.join("conf/config.yml");
    std::fs::write(
        &file,
        format!(
            "version: 1\nsystem:\n  domain: {DOMAIN}\n  bind_address: 127.0.0.1\nservices:\n  stingd:\n    http_port: {http_port}\n    https_port: {https_port}\n\
             auth:\n  rate_limits:\n    api: 100000/s\nllm:\n  default_model: null\n  models: []\n"
        ),
    )
    .unwrap();
    let mut overrides = sting_config::Overrides::default();
    overrides.set("STING_INSTALL_DIR", install.to_string_lossy());
    sting_config::load_file(&file, &overrides).unwrap().config
}

async fn start_stingd(config: &sting_config::Config) -> ChildGuard {
    let file = config.paths.install_dir.join("conf/config.yml");
    let (https, http) = (config.services.stingd.https_port, config.services.stingd.http_port);
    let mut command = Command::new(env!("CARGO_BIN_EXE_stingd"));
    command
        .args(["serve", "--config"])
        .arg(&file)
        .args(["--https", &format!("127.0.0.1:{https}"), "--http", &format!("127.0.0.1:{http}")])
        .env("STING_API_KEY", "test-key-certificates-0123456789")
        .env("STING_CERTS_DIR", &config.paths.certs_dir)
        .env("STING_LLAMA_SERVER", "/bin/true");
    let mut process = ChildGuard::spawn("stingd", command);
    let plain = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    wait_for_http(&plain, &format!("http://127.0.0.1:{http}/"), &mut process, Duration::from_secs(20), |s| {
        s.is_redirection()
    })
    .await;
    process
}

/// The serial stingd serves, once it is `serial` (stingd reloads on its own).
async fn wait_until_served(config: &sting_config::Config, serial: &str) {
    let address = std::net::SocketAddr::from(([127, 0, 0, 1], config.services.stingd.https_port));
    let mut last = String::new();
    for _ in 0..100 {
        match served::fetch(address, DOMAIN).await {
            Ok(info) if info.serial == serial => return,
            Ok(info) => last = format!("{} from {}", info.serial, info.issuer),
            Err(e) => last = e.to_string(),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("stingd does not serve {serial}; it serves {last}");
}

#[tokio::test]
async fn stingd_serves_what_msting_issues_from_the_local_ca_and_from_acme_through_its_challenge_folder() {
    let pebble = Pebble::start().await;
    let install = tempfile::tempdir().unwrap();
    let config = config(install.path(), pebble.http_port, free_port());
    let names = local::server_names(&config, &[]).unwrap();

    // The local CA's certificate, then a new one: served without a restart.
    let first = local::setup(&config, &names, false, OffsetDateTime::now_utc()).unwrap();
    std::fs::create_dir_all(acme::challenge_dir(&config)).unwrap();
    let _stingd = start_stingd(&config).await;
    wait_until_served(&config, &first.leaf.serial).await;
    let second = local::setup(&config, &names, false, OffsetDateTime::now_utc()).unwrap();
    assert!(!second.created_ca && second.leaf.serial != first.leaf.serial);
    wait_until_served(&config, &second.leaf.serial).await;

    // ACME while stingd holds the HTTP port: the challenge goes through its folder.
    let options = acme::Options {
        directory: pebble.directory.clone(),
        email: Some("ops@example.test".into()),
        names: vec![Name::parse(DOMAIN).unwrap()],
        ca_root: Some(pebble.listener_root.clone()),
        check_dns: false,
    };
    let responder =
        acme::preflight(&options.names, pebble.http_port, &acme::challenge_dir(&config), false).await.unwrap();
    assert!(matches!(responder, acme::Responder::Folder(_)), "stingd answers: {responder:?}");
    let issued = acme::obtain(&config, &options, OffsetDateTime::now_utc()).await.unwrap();
    assert!(issued.issuer.contains("Pebble"), "{}", issued.issuer);
    wait_until_served(&config, &issued.serial).await;
    let left: Vec<_> = std::fs::read_dir(acme::challenge_dir(&config)).unwrap().collect();
    assert!(left.is_empty(), "challenge answers are removed afterwards");
}
