//! One smoke test per real component: proof that the environment `tests/env/setup.sh` made is
//! what it claims. Each fails loudly, naming the fix, when its component is missing.

use std::collections::HashMap;
use std::process::Command;
use std::time::Duration;

use bollard::models::{ContainerCreateBody, HostConfig, NetworkCreateRequest};
use bollard::query_parameters::{CreateContainerOptionsBuilder, LogsOptionsBuilder, WaitContainerOptions};
use futures_util::StreamExt;
use sting_e2e::docker::TestProject;
use sting_e2e::env::require_path;
use sting_e2e::{ChildGuard, Component, free_port, require, wait_for_http};

/// Two containers from the base image on a network of their own: one serves, the other
/// reaches it by name through Docker's DNS.
#[tokio::test]
async fn docker_engine_runs_containers_that_talk_over_a_user_network() {
    let image = require(Component::BaseImage);
    let project = TestProject::new("docker").await;
    let docker = &project.docker;

    let network = project.resource("net");
    docker
        .create_network(NetworkCreateRequest {
            name: network.clone(),
            internal: Some(true),
            labels: Some(project.labels()),
            ..Default::default()
        })
        .await
        .expect("create network");

    let server_name = project.resource("server");
    // perl-base is in every Debian image, even minbase: a one-line TCP server.
    let server_script = r#"use IO::Socket::INET; my $s = IO::Socket::INET->new(LocalPort => 7000, Listen => 5, ReuseAddr => 1) or die "listen: $!"; while (my $c = $s->accept) { print $c "pong from server\n"; close $c }"#;
    let host_config = |network: &str| HostConfig {
        network_mode: Some(network.to_string()),
        cap_drop: Some(vec!["ALL".into()]),
        ..Default::default()
    };
    docker
        .create_container(
            Some(CreateContainerOptionsBuilder::default().name(&server_name).build()),
            ContainerCreateBody {
                image: Some(image.clone()),
                cmd: Some(vec!["perl".into(), "-e".into(), server_script.into()]),
                user: Some("65534:65534".into()),
                labels: Some(project.labels()),
                host_config: Some(host_config(&network)),
                ..Default::default()
            },
        )
        .await
        .expect("create server container");
    docker.start_container(&server_name, None).await.expect("start server");

    let client_name = project.resource("client");
    let client_script = "for i in $(seq 50); do exec 3<>/dev/tcp/SERVER/7000 2>/dev/null && { cat <&3; exit 0; }; sleep 0.1; done; exit 1"
        .replace("SERVER", &server_name);
    docker
        .create_container(
            Some(CreateContainerOptionsBuilder::default().name(&client_name).build()),
            ContainerCreateBody {
                image: Some(image),
                cmd: Some(vec!["bash".into(), "-c".into(), client_script]),
                user: Some("65534:65534".into()),
                labels: Some(project.labels()),
                host_config: Some(host_config(&network)),
                ..Default::default()
            },
        )
        .await
        .expect("create client container");
    docker.start_container(&client_name, None).await.expect("start client");
    let exit = docker.wait_container(&client_name, None::<WaitContainerOptions>).next().await;
    let logs: Vec<String> = docker
        .logs(&client_name, Some(LogsOptionsBuilder::default().stdout(true).stderr(true).build()))
        .filter_map(|l| async move { l.ok().map(|l| l.to_string()) })
        .collect()
        .await;
    let logs = logs.concat();
    assert!(matches!(exit, Some(Ok(ref r)) if r.status_code == 0), "client failed: {exit:?}\n{logs}");
    assert_eq!(logs.trim(), "pong from server");

    project.cleanup().await;
    let left = docker.inspect_network(&network, None).await;
    assert!(left.is_err(), "cleanup must remove the test's network");
}

#[tokio::test]
async fn postgres_accepts_connections_and_queries() {
    let url = require(Component::Postgres);
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(2)
        .acquire_timeout(Duration::from_secs(5))
        .connect(&url)
        .await
        .unwrap_or_else(|e| panic!("cannot connect to {url}: {e}; run tests/env/setup.sh"));
    let schema = format!("smoke_{}", std::process::id());
    sqlx::query(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE")).execute(&pool).await.unwrap();
    sqlx::query(&format!("CREATE SCHEMA {schema}")).execute(&pool).await.unwrap();
    sqlx::query(&format!("CREATE TABLE {schema}.jars (id serial PRIMARY KEY, name text NOT NULL)"))
        .execute(&pool)
        .await
        .unwrap();
    for name in ["alpha", "beta"] {
        sqlx::query(&format!("INSERT INTO {schema}.jars (name) VALUES ($1)")).bind(name).execute(&pool).await.unwrap();
    }
    let names: Vec<String> =
        sqlx::query_scalar(&format!("SELECT name FROM {schema}.jars ORDER BY id")).fetch_all(&pool).await.unwrap();
    assert_eq!(names, ["alpha", "beta"]);
    sqlx::query(&format!("DROP SCHEMA {schema} CASCADE")).execute(&pool).await.unwrap();
}

#[test]
fn redis_answers_ping() {
    use std::io::{Read, Write};
    let url = require(Component::Redis);
    let addr = url.trim_start_matches("redis://").split('/').next().unwrap().to_string();
    let mut stream =
        std::net::TcpStream::connect(&addr).unwrap_or_else(|e| panic!("cannot reach Redis at {addr}: {e}"));
    stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    stream.write_all(b"PING\r\n").unwrap();
    let mut reply = [0u8; 7];
    stream.read_exact(&mut reply).unwrap();
    assert_eq!(&reply, b"+PONG\r\n");
}

/// OpenBao in production mode on raft storage: init, unseal, KV v2 write and read through
/// vaultrs, as the Vault crate will do it.
#[tokio::test]
async fn openbao_initialises_unseals_and_stores_a_kv_secret() {
    use vaultrs::client::{Client, VaultClient, VaultClientSettingsBuilder};

    let bao = require_path(Component::Bao);
    let dir = tempfile::tempdir().unwrap();
    let (port, cluster_port) = (free_port(), free_port());
    let config = format!(
        r#"
storage "raft" {{
  path = "{data}"
  node_id = "smoke"
}}
listener "tcp" {{
  address = "127.0.0.1:{port}"
  cluster_address = "127.0.0.1:{cluster_port}"
  tls_disable = true
}}
api_addr = "http://127.0.0.1:{port}"
cluster_addr = "http://127.0.0.1:{cluster_port}"
disable_mlock = true
ui = false
"#,
        data = dir.path().display()
    );
    let config_file = dir.path().join("bao.hcl");
    std::fs::write(&config_file, config).unwrap();
    let mut command = Command::new(&bao);
    command.arg("server").arg(format!("-config={}", config_file.display()));
    let mut server = ChildGuard::spawn("bao server", command);

    let address = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    // Uninitialised, sealed: /sys/health answers 501, which means the server is up.
    wait_for_http(&http, &format!("{address}/v1/sys/health"), &mut server, Duration::from_secs(30), |s| {
        s.as_u16() == 501
    })
    .await;

    let settings = VaultClientSettingsBuilder::default().address(&address).build().unwrap();
    let mut client = VaultClient::new(settings).unwrap();
    let init = vaultrs::sys::start_initialization(&client, 5, 3, None).await.expect("init");
    assert_eq!(init.keys.len(), 5);
    let mut progress = 0;
    for key in init.keys.iter().take(3) {
        let status = vaultrs::sys::unseal(&client, Some(key.clone()), None, None).await.expect("unseal");
        progress += 1;
        assert_eq!(status.sealed, progress < 3, "sealed until the third share");
    }
    client.set_token(&init.root_token);
    // Raft elects itself leader shortly after unsealing; retry the first write until then.
    let mut mounted = Err(String::new());
    for _ in 0..100 {
        mounted = vaultrs::sys::mount::enable(&client, "sting", "kv-v2", None).await.map_err(|e| e.to_string());
        if mounted.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    mounted.unwrap_or_else(|e| panic!("mount kv-v2: {e}\n{}", server.output()));
    let secret = HashMap::from([("password", "smoke-value")]);
    let mut written = Err(String::new());
    for _ in 0..50 {
        written = vaultrs::kv2::set(&client, "sting", "database", &secret).await.map(drop).map_err(|e| e.to_string());
        if written.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    written.expect("kv2 write");
    let read: HashMap<String, String> = vaultrs::kv2::read(&client, "sting", "database").await.expect("kv2 read");
    assert_eq!(read["password"], "smoke-value");
}

/// llama-server on the real Gemma 3 270M model: ready on /health, then one chat completion.
#[tokio::test]
async fn llama_server_serves_a_chat_completion_from_the_test_model() {
    let server_bin = require_path(Component::LlamaServer);
    let model = require_path(Component::TestModel);
    let port = free_port();
    let mut command = Command::new(&server_bin);
    command.args(["--host", "127.0.0.1", "--port", &port.to_string(), "-m"]).arg(&model).args([
        "-c",
        "1024",
        "-np",
        "1",
        "-t",
        "2",
        "--metrics",
        "--no-webui",
    ]);
    let mut server = ChildGuard::spawn("llama-server", command);
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    wait_for_http(&http, &format!("{base}/health"), &mut server, Duration::from_secs(60), |s| s.is_success()).await;

    let response = http
        .post(format!("{base}/v1/chat/completions"))
        .json(&serde_json::json!({
            "messages": [{"role": "user", "content": "Say hello."}],
            "max_tokens": 8,
            "temperature": 0
        }))
        .timeout(Duration::from_secs(60))
        .send()
        .await
        .expect("chat completion request");
    assert!(response.status().is_success(), "status {}", response.status());
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["object"], "chat.completion");
    assert_eq!(body["choices"][0]["message"]["role"], "assistant");
    let generated = body["usage"]["completion_tokens"].as_u64().unwrap_or(0);
    assert!((1..=8).contains(&generated), "generated {generated} tokens: {body}");
}

/// Pebble, the ACME test CA: its directory lists the RFC 8555 resources over HTTPS.
#[tokio::test]
async fn pebble_serves_its_acme_directory() {
    let pebble = require_path(Component::Pebble);
    let dir = tempfile::tempdir().unwrap();
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()]).unwrap();
    let (cert_file, key_file) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert_file, cert.cert.pem()).unwrap();
    std::fs::write(&key_file, cert.signing_key.serialize_pem()).unwrap();
    let (port, management_port) = (free_port(), free_port());
    let config = serde_json::json!({
        "pebble": {
            "listenAddress": format!("127.0.0.1:{port}"),
            "managementListenAddress": format!("127.0.0.1:{management_port}"),
            "certificate": cert_file,
            "privateKey": key_file,
            "httpPort": free_port(),
            "tlsPort": free_port(),
            "ocspResponderURL": "",
            "externalAccountBindingRequired": false
        }
    });
    let config_file = dir.path().join("pebble.json");
    std::fs::write(&config_file, config.to_string()).unwrap();
    let mut command = Command::new(&pebble);
    command.arg("-config").arg(&config_file).env("PEBBLE_VA_NOSLEEP", "1").env("PEBBLE_WFE_NONCEREJECT", "0");
    let mut server = ChildGuard::spawn("pebble", command);

    let trust = reqwest::Certificate::from_pem(cert.cert.pem().as_bytes()).unwrap();
    let https = reqwest::Client::builder().add_root_certificate(trust).build().unwrap();
    let url = format!("https://localhost:{port}/dir");
    wait_for_http(&https, &url, &mut server, Duration::from_secs(20), |s| s.is_success()).await;
    let directory: serde_json::Value = https.get(&url).send().await.unwrap().json().await.unwrap();
    for resource in ["newNonce", "newAccount", "newOrder", "revokeCert", "keyChange"] {
        let link = directory[resource].as_str().unwrap_or_else(|| panic!("no {resource} in {directory}"));
        assert!(link.starts_with(&format!("https://localhost:{port}/")), "{resource}: {link}");
    }
}

/// The age CLI (for checking that backups interoperate): a key pair and a round trip.
#[test]
fn age_encrypts_and_decrypts_with_a_generated_key() {
    let age = require_path(Component::Age);
    let keygen = age.with_file_name("age-keygen");
    let dir = tempfile::tempdir().unwrap();
    let identity = dir.path().join("identity.txt");
    let status = Command::new(&keygen).arg("-o").arg(&identity).output().unwrap();
    assert!(status.status.success(), "{}", String::from_utf8_lossy(&status.stderr));
    let recipient = Command::new(&keygen).arg("-y").arg(&identity).output().unwrap();
    let recipient = String::from_utf8(recipient.stdout).unwrap();
    assert!(recipient.starts_with("age1"));

    let plain = dir.path().join("plain.txt");
    let sealed = dir.path().join("plain.txt.age");
    std::fs::write(&plain, "honey jar contents").unwrap();
    let enc = Command::new(&age).args(["-r", recipient.trim(), "-o"]).arg(&sealed).arg(&plain).output().unwrap();
    assert!(enc.status.success(), "{}", String::from_utf8_lossy(&enc.stderr));
    assert!(!std::fs::read(&sealed).unwrap().windows(5).any(|w| w == b"honey"));
    let dec = Command::new(&age).arg("-d").arg("-i").arg(&identity).arg(&sealed).output().unwrap();
    assert_eq!(String::from_utf8(dec.stdout).unwrap(), "honey jar contents");
}

#[tokio::test]
async fn chromium_over_webdriver_renders_a_page_enforces_its_csp_and_reports_the_violation() {
    use fantoccini::Locator;
    // A page whose inline script the policy forbids.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        use std::io::{Read, Write};
        for stream in listener.incoming().flatten() {
            let mut stream = stream;
            let mut request = [0u8; 4096];
            let _ = stream.read(&mut request);
            let body =
                "<!doctype html><title>csp</title><h1 id=greeting>hello</h1><script>document.title = 'ran'</script>";
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-security-policy: default-src 'none'; script-src 'self'\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    let browser = sting_e2e::browser::Browser::start().await;
    browser.client.goto(&format!("http://{address}/")).await.unwrap();
    let greeting = browser.client.find(Locator::Id("greeting")).await.unwrap().text().await.unwrap();
    assert_eq!(greeting, "hello");
    assert_eq!(browser.client.title().await.unwrap(), "csp", "the inline script must not have run");
    let console = browser.console().await;
    assert!(
        console.iter().any(|(level, message)| level == "SEVERE" && message.contains("Content Security Policy")),
        "{console:?}"
    );
}
