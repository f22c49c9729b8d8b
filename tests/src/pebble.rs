//! Pebble, Let's Encrypt's ACME test server, with its companion DNS server answering every name
//! with 127.0.0.1, so any test domain validates against a listener on this host. Nonce
//! rejection and the validator's sleep are off, so tests are quick and deterministic.

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use crate::env::require_path;
use crate::{ChildGuard, Component, free_port, wait_for_http};

pub struct Pebble {
    /// The ACME directory URL.
    pub directory: String,
    /// The certificate of Pebble's own HTTPS listener (to trust for the directory).
    pub listener_root: PathBuf,
    /// The port Pebble's validator fetches HTTP-01 answers from on 127.0.0.1.
    pub http_port: u16,
    management: String,
    http: reqwest::Client,
    _pebble: ChildGuard,
    _dns: ChildGuard,
    _dir: tempfile::TempDir,
}

impl Pebble {
    pub async fn start() -> Self {
        let pebble = require_path(Component::Pebble);
        let challtestsrv = pebble.with_file_name("pebble-challtestsrv");
        let dir = tempfile::tempdir().unwrap();
        let cert = rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()]).unwrap();
        let (cert_file, key_file) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
        std::fs::write(&cert_file, cert.cert.pem()).unwrap();
        std::fs::write(&key_file, cert.signing_key.serialize_pem()).unwrap();

        let dns_port = free_port();
        let mut dns = Command::new(&challtestsrv);
        dns.args(["-defaultIPv4", "127.0.0.1", "-defaultIPv6", ""])
            .args(["-dns01", &format!("127.0.0.1:{dns_port}")])
            .args(["-http01", "", "-https01", "", "-tlsalpn01", ""])
            .args(["-management", &format!("127.0.0.1:{}", free_port())]);
        let dns = ChildGuard::spawn("pebble-challtestsrv", dns);

        let (port, management_port, http_port) = (free_port(), free_port(), free_port());
        let config = serde_json::json!({
            "pebble": {
                "listenAddress": format!("127.0.0.1:{port}"),
                "managementListenAddress": format!("127.0.0.1:{management_port}"),
                "certificate": cert_file,
                "privateKey": key_file,
                "httpPort": http_port,
                "tlsPort": free_port(),
                "ocspResponderURL": "",
                "externalAccountBindingRequired": false
            }
        });
        let config_file = dir.path().join("pebble.json");
        std::fs::write(&config_file, config.to_string()).unwrap();
        let mut command = Command::new(&pebble);
        command
            .arg("-config")
            .arg(&config_file)
            .args(["-dnsserver", &format!("127.0.0.1:{dns_port}")])
            .env("PEBBLE_VA_NOSLEEP", "1")
            .env("PEBBLE_WFE_NONCEREJECT", "0");
        let mut server = ChildGuard::spawn("pebble", command);
        let trust = reqwest::Certificate::from_pem(cert.cert.pem().as_bytes()).unwrap();
        let http = reqwest::Client::builder().add_root_certificate(trust).build().unwrap();
        let directory = format!("https://localhost:{port}/dir");
        wait_for_http(&http, &directory, &mut server, Duration::from_secs(20), |s| s.is_success()).await;
        Self {
            directory,
            listener_root: cert_file,
            http_port,
            management: format!("https://localhost:{management_port}"),
            http,
            _pebble: server,
            _dns: dns,
            _dir: dir,
        }
    }

    /// The root Pebble issues under (new at every start), to verify what it issued.
    pub async fn issuing_root(&self) -> String {
        let response = self.http.get(format!("{}/roots/0", self.management)).send().await.unwrap();
        assert!(response.status().is_success(), "Pebble's root: {}", response.status());
        response.text().await.unwrap()
    }
}
