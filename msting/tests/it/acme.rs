//! `msting setup-ssl --acme` against Pebble (Let's Encrypt's test server) with its DNS answering
//! 127.0.0.1 for every name: issuance with msting's own challenge listener, the account kept and
//! reused, the certificate verifying against Pebble's root, renewal only when due, and clear
//! errors (unresolvable domain, port taken, the CA's refusal) that leave the old certificate.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use crate::common::{msting, text};
use msting::tls::ca::LocalCa;
use msting::tls::{Name, inspect};
use sting_e2e::pebble::Pebble;
use time::{Duration, OffsetDateTime};

const DOMAIN: &str = "sting.example.test";

fn install_dir(http_port: u16) -> tempfile::TempDir {
    crate::common::install_dir(&format!(
        "version: 1\nsystem:\n  domain: {DOMAIN}\nservices:\n  stingd:\n    http_port: {http_port}\n"
    ))
}

fn acme_args<'a>(pebble: &'a Pebble, extra: &[&'a str]) -> Vec<String> {
    let mut args: Vec<String> = vec![
        "setup-ssl".into(),
        "--acme".into(),
        "--email".into(),
        "ops@example.test".into(),
        "--acme-directory".into(),
        pebble.directory.clone(),
        "--acme-ca-root".into(),
        pebble.listener_root.display().to_string(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    args
}

fn run(install: &Path, args: &[String]) -> std::process::Output {
    msting(install, &args.iter().map(String::as_str).collect::<Vec<_>>())
}

fn openssl_verifies(root_pem: &str, chain_file: &Path) -> Result<(), String> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("root.pem"), root_pem).unwrap();
    let output = Command::new("openssl")
        .args(["verify", "-CAfile"])
        .arg(dir.path().join("root.pem"))
        .arg("-untrusted")
        .arg(chain_file)
        .args(["-verify_hostname", DOMAIN])
        .arg(chain_file)
        .output()
        .expect("openssl (apt-get install openssl; tests/env/setup.sh does)");
    let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    if output.status.success() { Ok(()) } else { Err(text) }
}

#[tokio::test]
async fn acme_issues_through_our_listener_keeps_the_account_and_renews_only_when_due() {
    let pebble = Pebble::start().await;
    let install = install_dir(pebble.http_port);
    let dir = install.path().to_path_buf();
    let args = acme_args(&pebble, &["--skip-dns-check"]);
    let issued = tokio::task::spawn_blocking({
        let (dir, args) = (dir.clone(), args.clone());
        move || run(&dir, &args)
    })
    .await
    .unwrap();
    assert!(issued.status.success(), "{}", text(&issued));
    let chain_file = dir.join("certs/server.crt");
    let leaf = inspect::read_chain(&chain_file).unwrap().remove(0);
    assert_eq!(leaf.names, vec![DOMAIN.to_string()]);
    assert!(leaf.issuer.contains("Pebble"), "{}", leaf.issuer);
    openssl_verifies(&pebble.issuing_root().await, &chain_file).unwrap();
    let key_mode = std::fs::metadata(dir.join("certs/server.key")).unwrap().permissions().mode() & 0o777;
    assert_eq!(key_mode, 0o400);
    let account = dir.join("secrets/acme/account.json");
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!((mode(&account), mode(account.parent().unwrap())), (0o400, 0o700));
    let account_before = std::fs::read(&account).unwrap();

    // Not due: nothing happens, silently.
    let mut renew = args.clone();
    renew.push("--renew".into());
    let quiet = tokio::task::spawn_blocking({
        let (dir, renew) = (dir.clone(), renew.clone());
        move || run(&dir, &renew)
    })
    .await
    .unwrap();
    assert!(quiet.status.success() && quiet.stdout.is_empty(), "{}", text(&quiet));
    assert_eq!(inspect::read_chain(&chain_file).unwrap()[0].not_after, leaf.not_after);

    // Due (an old certificate in place): renewed from the CA, with the same account.
    let now = OffsetDateTime::now_utc();
    let old_ca =
        LocalCa::create(&[Name::parse(DOMAIN).unwrap()], Duration::days(365), now - Duration::days(30)).unwrap();
    let old = old_ca.issue(&[Name::parse(DOMAIN).unwrap()], Duration::days(30), now - Duration::days(25)).unwrap();
    msting::tls::install::install(
        &dir.join("certs"),
        &old.chain_pem,
        &old.key_pem,
        &[Name::parse(DOMAIN).unwrap()],
        now,
    )
    .unwrap();
    let renewed = tokio::task::spawn_blocking({
        let (dir, renew) = (dir.clone(), renew.clone());
        move || run(&dir, &renew)
    })
    .await
    .unwrap();
    assert!(renewed.status.success() && text(&renewed).contains("renewed"), "{}", text(&renewed));
    let fresh = inspect::read_chain(&chain_file).unwrap().remove(0);
    assert!(fresh.issuer.contains("Pebble") && fresh.not_after > old.info.not_after, "{fresh:?}");
    assert_eq!(std::fs::read(&account).unwrap(), account_before, "the account is reused");
}

#[tokio::test]
async fn failures_are_explained_and_leave_the_certificate_in_place() {
    let pebble = Pebble::start().await;
    let install = install_dir(pebble.http_port);
    let dir = install.path().to_path_buf();
    let made = msting(&dir, &["setup-ssl", "--self-signed", "--address", "192.0.2.10"]);
    assert!(made.status.success(), "{}", text(&made));
    let before = std::fs::read(dir.join("certs/server.crt")).unwrap();
    let unchanged = |what: &str| {
        assert_eq!(std::fs::read(dir.join("certs/server.crt")).unwrap(), before, "{what}: the old certificate stays");
    };

    // A domain that does not resolve (checked before anything is ordered).
    let args = acme_args(&pebble, &["--domain", "nowhere.invalid"]);
    let failed = tokio::task::spawn_blocking({
        let (dir, args) = (dir.clone(), args.clone());
        move || run(&dir, &args)
    })
    .await
    .unwrap();
    assert_eq!(failed.status.code(), Some(1));
    assert!(text(&failed).contains("does not resolve") && text(&failed).contains("stays"), "{}", text(&failed));
    unchanged("unresolvable");

    // Port taken by something that is not stingd.
    let squatter = std::net::TcpListener::bind(("0.0.0.0", pebble.http_port)).unwrap();
    let args = acme_args(&pebble, &["--skip-dns-check"]);
    let taken = tokio::task::spawn_blocking({
        let (dir, args) = (dir.clone(), args.clone());
        move || run(&dir, &args)
    })
    .await
    .unwrap();
    drop(squatter);
    assert_eq!(taken.status.code(), Some(1));
    assert!(text(&taken).contains(&format!("port {} is taken", pebble.http_port)), "{}", text(&taken));
    unchanged("port taken");

    // The CA's own refusal, shown as its problem document says it.
    let mut args = acme_args(&pebble, &["--skip-dns-check"]);
    let email = args.iter().position(|a| a == "--email").unwrap() + 1;
    args[email] = "not-an-address".into();
    let refused = tokio::task::spawn_blocking({
        let (dir, args) = (dir.clone(), args.clone());
        move || run(&dir, &args)
    })
    .await
    .unwrap();
    assert_eq!(refused.status.code(), Some(1), "{}", text(&refused));
    assert!(
        text(&refused).contains("the CA refused") && text(&refused).contains("invalidContact"),
        "{}",
        text(&refused)
    );
    unchanged("refused");
    assert!(!dir.join("secrets/acme/account.json").exists(), "no account is kept from a refusal");
}
