//! The HTTPS front door with real TLS: certificates from the certificate folder, replaced while
//! clients connect, security headers, and the HTTP port's redirect and ACME challenges.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use sting_e2e::{ChildGuard, free_port, wait_for_http};

const KEY: &str = "test-key-https-0123456789";

struct Ca {
    issuer: CertifiedIssuer<'static, KeyPair>,
}

impl Ca {
    fn new() -> Self {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        Self { issuer: CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap() }
    }

    fn pem(&self) -> String {
        self.issuer.as_ref().pem()
    }

    /// A server certificate for localhost: (certificate PEM, key PEM, certificate DER).
    fn leaf(&self) -> (String, String, Vec<u8>) {
        let key = KeyPair::generate().unwrap();
        let params = CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()]).unwrap();
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        (cert.pem(), key.serialize_pem(), cert.der().to_vec())
    }
}

/// Replaces the served files the way tools do: write beside, then rename over.
fn install(dir: &Path, cert: &str, key: &str) {
    std::fs::write(dir.join("server.key.new"), key).unwrap();
    std::fs::write(dir.join("server.crt.new"), cert).unwrap();
    std::fs::rename(dir.join("server.key.new"), dir.join("server.key")).unwrap();
    std::fs::rename(dir.join("server.crt.new"), dir.join("server.crt")).unwrap();
}

struct Front {
    _process: ChildGuard,
    https: u16,
    http: u16,
    certs: PathBuf,
    _dir: tempfile::TempDir,
}

async fn start(ca: &Ca) -> Front {
    let dir = tempfile::tempdir().unwrap();
    let certs = dir.path().join("certs");
    std::fs::create_dir_all(certs.join("acme-challenge")).unwrap();
    let (cert, key, _) = ca.leaf();
    install(&certs, &cert, &key);
    let config = dir.path().join("config.yml");
    std::fs::write(&config, "version: 1\nsystem:\n  domain: localhost\nauth:\n  rate_limits:\n    api: 100000/s\n    per_user:\n      api: 100000/s\nllm:\n  default_model: null\n  models: []\n")
        .unwrap();
    let (https, http) = (free_port(), free_port());
    let mut command = Command::new(env!("CARGO_BIN_EXE_stingd"));
    command
        .args(["serve", "--config"])
        .arg(&config)
        .args(["--https", &format!("127.0.0.1:{https}"), "--http", &format!("127.0.0.1:{http}")])
        .env("STING_API_KEY", KEY)
        .env("STING_CERTS_DIR", &certs)
        .env("STING_LLAMA_SERVER", "/bin/true");
    let mut process = ChildGuard::spawn("stingd", command);
    let plain = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    wait_for_http(&plain, &format!("http://127.0.0.1:{http}/"), &mut process, Duration::from_secs(20), |s| {
        s.is_redirection()
    })
    .await;
    Front { _process: process, https, http, certs, _dir: dir }
}

fn client(ca: &Ca) -> reqwest::Client {
    reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(ca.pem().as_bytes()).unwrap())
        .redirect(reqwest::redirect::Policy::none())
        // A new connection (and handshake) for every request.
        .pool_max_idle_per_host(0)
        .build()
        .unwrap()
}

/// The certificate a fresh TLS handshake presents.
async fn served_certificate(ca: &Ca, port: u16) -> Vec<u8> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(rustls::pki_types::CertificateDer::from(ca.issuer.as_ref().der().to_vec())).unwrap();
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::aws_lc_rs::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tcp = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let tls = connector.connect(name, tcp).await.unwrap();
    tls.get_ref().1.peer_certificates().unwrap()[0].to_vec()
}

#[tokio::test]
async fn https_serves_the_api_with_security_headers() {
    let ca = Ca::new();
    let front = start(&ca).await;
    let client = client(&ca);
    let health = client.get(format!("https://localhost:{}/health", front.https)).send().await.unwrap();
    assert_eq!(health.status(), 200);
    let headers = health.headers();
    assert_eq!(headers["strict-transport-security"], "max-age=63072000; includeSubDomains");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["x-frame-options"], "DENY");
    assert!(headers["content-security-policy"].to_str().unwrap().contains("frame-ancestors 'none'"));

    let models =
        client.get(format!("https://localhost:{}/v1/models", front.https)).bearer_auth(KEY).send().await.unwrap();
    assert_eq!(models.status(), 200);
    let anonymous = client.get(format!("https://localhost:{}/v1/models", front.https)).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
    assert!(anonymous.headers().contains_key("strict-transport-security"), "errors carry the headers too");

    // Plain HTTP on the HTTPS port is not answered as HTTP.
    assert!(reqwest::get(format!("http://127.0.0.1:{}/health", front.https)).await.is_err());
}

#[tokio::test]
async fn the_http_port_redirects_to_the_configured_domain_and_serves_acme_challenges() {
    let ca = Ca::new();
    let front = start(&ca).await;
    let plain = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();

    let response = plain
        .get(format!("http://127.0.0.1:{}/v1/models?limit=2", front.http))
        .header("host", "evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 308);
    assert_eq!(
        response.headers()["location"],
        format!("https://localhost:{}/v1/models?limit=2", front.https).as_str(),
        "to the configured domain, never the client's Host"
    );

    std::fs::write(front.certs.join("acme-challenge/Tok3n_-abc"), "Tok3n_-abc.thumbprint").unwrap();
    let answer = plain
        .get(format!("http://127.0.0.1:{}/.well-known/acme-challenge/Tok3n_-abc", front.http))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    assert_eq!(answer.text().await.unwrap(), "Tok3n_-abc.thumbprint");
    for bad in ["missing-token", "..%2Fserver.key", "a.b"] {
        let response = plain
            .get(format!("http://127.0.0.1:{}/.well-known/acme-challenge/{bad}", front.http))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 404, "{bad}");
    }
    // `%2E%2E` is `..` to the URL parser: the path leaves the challenge folder and is redirected.
    let response = plain
        .get(format!("http://127.0.0.1:{}/.well-known/acme-challenge/%2E%2E/server.key", front.http))
        .send()
        .await
        .unwrap();
    assert_ne!(response.status(), 200);
    assert!(!response.text().await.unwrap().contains("PRIVATE KEY"));
}

#[tokio::test]
async fn a_replaced_certificate_is_served_without_a_restart_while_clients_keep_connecting() {
    let ca = Ca::new();
    let front = start(&ca).await;
    let before = served_certificate(&ca, front.https).await;

    // Clients connect continuously (a new handshake each time) during the replacement.
    let stop = Arc::new(AtomicBool::new(false));
    let (ok, failed) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let load = {
        let (stop, ok, failed, client, url) = (
            stop.clone(),
            ok.clone(),
            failed.clone(),
            client(&ca),
            format!("https://localhost:{}/health", front.https),
        );
        tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                match client.get(&url).send().await {
                    Ok(r) if r.status() == 200 => ok.fetch_add(1, Ordering::Relaxed),
                    _ => failed.fetch_add(1, Ordering::Relaxed),
                };
            }
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;

    let (cert, key, der) = ca.leaf();
    install(&front.certs, &cert, &key);
    let start = Instant::now();
    while served_certificate(&ca, front.https).await != der {
        assert!(start.elapsed() < Duration::from_secs(10), "the new certificate was never served");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_ne!(before, der);

    // A broken replacement leaves the working certificate in place.
    std::fs::write(front.certs.join("server.crt"), "not a certificate").unwrap();
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(served_certificate(&ca, front.https).await, der);

    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.store(true, Ordering::Relaxed);
    load.await.unwrap();
    assert_eq!(failed.load(Ordering::Relaxed), 0, "no client failed during the reloads");
    assert!(ok.load(Ordering::Relaxed) > 10);
}

#[tokio::test]
async fn without_a_certificate_stingd_says_where_it_looked_and_what_to_run() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.yml");
    std::fs::write(&config, "version: 1\nllm:\n  models: []\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_stingd"))
        .args(["serve", "--config"])
        .arg(&config)
        .args(["--https", "127.0.0.1:0", "--http", "127.0.0.1:0"])
        .env("STING_API_KEY", KEY)
        .env("STING_CERTS_DIR", dir.path())
        .env("STING_LLAMA_SERVER", "/bin/true")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&format!("no usable certificate in {}", dir.path().display())), "{stderr}");
    assert!(stderr.contains("msting setup-ssl"), "{stderr}");
}

#[tokio::test]
async fn the_container_health_check_says_whether_stingd_is_ready() {
    let ca = Ca::new();
    let front = start(&ca).await;
    let check = |url: String| Command::new(env!("CARGO_BIN_EXE_stingd")).args(["healthcheck", &url]).output().unwrap();
    let healthy = check(format!("https://127.0.0.1:{}", front.https));
    assert!(healthy.status.success(), "{}", String::from_utf8_lossy(&healthy.stderr));
    let closed = check(format!("https://127.0.0.1:{}", free_port()));
    assert_eq!(closed.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&closed.stderr).starts_with("unhealthy:"));
}
