//! The local CA against the real `openssl verify`: a leaf it issues verifies against the root for
//! every name; the CA refuses names outside its constraints, and a certificate forged outside them
//! with the CA's own key is rejected by OpenSSL too; the key is kept 0400 in a 0700 folder.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use crate::common::{msting, text};
use msting::tls::ca::LocalCa;
use msting::tls::inspect;
use msting::tls::{Name, TlsError};
use time::{Duration, OffsetDateTime};

fn names(list: &[&str]) -> Vec<Name> {
    list.iter().map(|n| Name::parse(n).unwrap()).collect()
}

/// `openssl verify` of `leaf` against `root` for one name; Ok or OpenSSL's complaint.
fn openssl_verify(dir: &Path, root: &str, leaf: &str, name: &Name) -> Result<(), String> {
    std::fs::write(dir.join("root.pem"), root).unwrap();
    std::fs::write(dir.join("leaf.pem"), leaf).unwrap();
    let flag = if matches!(name, Name::Dns(_)) { "-verify_hostname" } else { "-verify_ip" };
    let args = [flag.to_string(), name.to_string()];
    let output = Command::new("openssl")
        .arg("verify")
        .args(["-x509_strict", "-CAfile"])
        .arg(dir.join("root.pem"))
        .args(&args)
        .arg(dir.join("leaf.pem"))
        .output()
        .unwrap_or_else(|e| panic!("cannot run openssl ({e}): apt-get install openssl (tests/env/setup.sh does)"));
    let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    if output.status.success() && text.contains(": OK") { Ok(()) } else { Err(text) }
}

#[test]
fn a_leaf_verifies_for_every_name_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let now = OffsetDateTime::now_utc();
    let ca = LocalCa::create(
        &names(&["sting.lan", "localhost", "127.0.0.1", "::1", "192.168.10.5"]),
        Duration::days(3650),
        now,
    )
    .unwrap();
    let wanted = names(&["sting.lan", "localhost", "api.sting.lan", "127.0.0.1", "::1", "192.168.10.5"]);
    let leaf = ca.issue(&wanted, Duration::days(30), now).unwrap();
    for name in &wanted {
        openssl_verify(dir.path(), ca.root_pem(), &leaf.chain_pem, name).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    let other = Name::parse("intranet.example").unwrap();
    let refused = openssl_verify(dir.path(), ca.root_pem(), &leaf.chain_pem, &other).unwrap_err();
    assert!(refused.contains("mismatch"), "{refused}");

    // What the leaf says of itself.
    assert_eq!(leaf.info.names.len(), wanted.len());
    assert!(wanted.iter().all(|n| leaf.info.covers(n)));
    assert!(!leaf.info.covers(&other) && !leaf.info.is_ca && ca.info.is_ca);
    let lifetime = leaf.info.not_after - leaf.info.not_before;
    assert_eq!(
        lifetime,
        (Duration::days(30) + Duration::hours(1)).whole_seconds(),
        "explicit validity, backdated an hour"
    );
    assert!(leaf.info.fraction_left(now) > 0.99 && leaf.info.fraction_left(now + Duration::days(31)) < 0.0);
    let chain = inspect::parse_chain(&leaf.chain_pem, "chain").unwrap();
    assert_eq!(chain.len(), 2, "leaf then root");
    assert!(inspect::key_matches(&chain[0], &leaf.key_pem, "leaf.key").unwrap());
    let stranger = ca.issue(&names(&["localhost"]), Duration::days(1), now).unwrap();
    assert!(!inspect::key_matches(&chain[0], &stranger.key_pem, "other.key").unwrap());
}

#[test]
fn the_ca_refuses_names_outside_its_constraints_and_openssl_rejects_a_forgery() {
    let dir = tempfile::tempdir().unwrap();
    let now = OffsetDateTime::now_utc();
    let ca = LocalCa::create(&names(&["sting.lan", "127.0.0.1"]), Duration::days(365), now).unwrap();
    for outside in ["bank.example", "sting.lan.evil.example", "10.0.0.1"] {
        match ca.issue(&names(&["sting.lan", outside]), Duration::days(30), now) {
            Err(TlsError::OutsideConstraints { name, allowed }) => {
                assert_eq!(name, outside);
                assert!(allowed.contains("sting.lan") && allowed.contains("127.0.0.1"), "{allowed}");
            }
            other => panic!("{outside} was not refused: {:?}", other.map(|i| i.info.names)),
        }
    }

    // The constraints are in the certificate, not only in msting: a leaf for another name,
    // signed with the CA's key by other means, does not verify.
    let cert = dir.path().join("ca.pem");
    let key = dir.path().join("private/ca.key");
    ca.save(&cert, &key).unwrap();
    let key_pem = std::fs::read_to_string(&key).unwrap();
    let ca_key = rcgen::KeyPair::from_pem(&key_pem).unwrap();
    let issuer = rcgen::Issuer::from_ca_cert_pem(ca.root_pem(), &ca_key).unwrap();
    let mut params = rcgen::CertificateParams::new(vec!["bank.example".to_string()]).unwrap();
    params.use_authority_key_identifier_extension = true;
    let forged_key = rcgen::KeyPair::generate().unwrap();
    let forged = params.signed_by(&forged_key, &issuer).unwrap();
    let refused =
        openssl_verify(dir.path(), ca.root_pem(), &forged.pem(), &Name::parse("bank.example").unwrap()).unwrap_err();
    assert!(refused.contains("subtree violation"), "{refused}");
}

#[test]
fn the_ca_is_kept_with_its_key_private_and_issues_again_after_loading() {
    let dir = tempfile::tempdir().unwrap();
    let now = OffsetDateTime::now_utc();
    let ca = LocalCa::create(&names(&["sting.internal", "localhost"]), Duration::days(3650), now).unwrap();
    let cert = dir.path().join("certs/ca.pem");
    let key = dir.path().join("secrets/ca/ca.key");
    ca.save(&cert, &key).unwrap();
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&key), 0o400);
    assert_eq!(mode(key.parent().unwrap()), 0o700);
    assert_eq!(mode(&cert), 0o644);

    let loaded = LocalCa::load(&cert, &key).unwrap();
    assert_eq!(loaded.permitted(), ca.permitted(), "the constraints are read back from the certificate");
    let leaf = loaded.issue(&names(&["sting.internal"]), Duration::days(30), now).unwrap();
    openssl_verify(dir.path(), ca.root_pem(), &leaf.chain_pem, &Name::parse("sting.internal").unwrap()).unwrap();

    // A key that is not the CA's is refused by name.
    let other = LocalCa::create(&names(&["localhost"]), Duration::days(1), now).unwrap();
    let other_key = dir.path().join("other/ca.key");
    other.save(&dir.path().join("other/ca.pem"), &other_key).unwrap();
    let error = LocalCa::load(&cert, &other_key).err().unwrap().to_string();
    assert!(error.contains("does not belong"), "{error}");
    let garbage = dir.path().join("garbage.pem");
    std::fs::write(&garbage, "not a certificate").unwrap();
    let error = LocalCa::load(&garbage, &key).err().unwrap().to_string();
    assert!(error.contains("garbage.pem"), "{error}");
}

#[test]
fn names_are_checked_when_given() {
    assert_eq!(Name::parse("Sting.LAN.").unwrap(), Name::Dns("sting.lan".into()));
    assert_eq!(Name::parse("[::1]").unwrap(), Name::Ip("::1".parse().unwrap()));
    assert!(Name::parse("*.sting.lan").is_ok());
    for bad in ["", "sting..lan", "-sting.lan", "sting_lan", "a b", "*.*.lan"] {
        assert!(matches!(Name::parse(bad), Err(TlsError::BadName(_))), "{bad:?}");
    }
}

/// An install directory with a config for `sting.lan`.
fn install_dir() -> tempfile::TempDir {
    crate::common::install_dir("version: 1\nsystem:\n  domain: sting.lan\ntls:\n  extra_names: [bee.sting.lan]\n")
}

#[test]
fn setup_ssl_self_signed_installs_a_verifiable_certificate_and_renews_only_when_due() {
    let install = install_dir();
    let dir = install.path();
    let made = msting(dir, &["setup-ssl", "--self-signed", "--address", "192.0.2.10"]);
    assert!(made.status.success(), "{}", text(&made));
    assert!(text(&made).contains("made a local CA") && text(&made).contains("issued"), "{}", text(&made));
    let mode = |p: &str| std::fs::metadata(dir.join(p)).unwrap().permissions().mode() & 0o777;
    assert_eq!((mode("certs/server.key"), mode("certs/server.crt"), mode("certs/ca.pem")), (0o400, 0o644, 0o644));
    assert_eq!((mode("secrets/ca/ca.key"), mode("secrets/ca")), (0o400, 0o700));
    let root = std::fs::read_to_string(dir.join("certs/ca.pem")).unwrap();
    let chain = std::fs::read_to_string(dir.join("certs/server.crt")).unwrap();
    let scratch = tempfile::tempdir().unwrap();
    for name in ["sting.lan", "bee.sting.lan", "localhost", "127.0.0.1", "::1", "192.0.2.10"] {
        openssl_verify(scratch.path(), &root, &chain, &Name::parse(name).unwrap())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
    }

    // Nothing due: silent, and nothing changes.
    let quiet = msting(dir, &["setup-ssl", "--renew", "--address", "192.0.2.10"]);
    assert!(quiet.status.success() && quiet.stdout.is_empty() && quiet.stderr.is_empty(), "{}", text(&quiet));
    assert_eq!(std::fs::read_to_string(dir.join("certs/server.crt")).unwrap(), chain);

    // A certificate with less than a third of its life left is renewed, by the same CA.
    let ca = LocalCa::load(&dir.join("certs/ca.pem"), &dir.join("secrets/ca/ca.key")).unwrap();
    let long_ago = OffsetDateTime::now_utc() - Duration::days(25);
    let wanted = names(&["sting.lan", "localhost", "bee.sting.lan", "127.0.0.1", "::1", "192.0.2.10"]);
    let old = ca.issue(&wanted, Duration::days(30), long_ago).unwrap();
    msting::tls::install::install(&dir.join("certs"), &old.chain_pem, &old.key_pem, &wanted, OffsetDateTime::now_utc())
        .unwrap();
    let renewed = msting(dir, &["setup-ssl", "--renew", "--address", "192.0.2.10"]);
    assert!(renewed.status.success() && text(&renewed).contains("renewed"), "{}", text(&renewed));
    let fresh = inspect::read_chain(&dir.join("certs/server.crt")).unwrap().remove(0);
    assert!(fresh.not_after > old.info.not_after + 20 * 86_400, "a new lifetime");
    assert_eq!(std::fs::read_to_string(dir.join("certs/ca.pem")).unwrap(), root, "the same CA");

    // The root goes out alone, with instructions.
    let export = scratch.path().join("for-browsers");
    let exported = msting(dir, &["setup-ssl", "--export-ca", export.to_str().unwrap()]);
    assert!(exported.status.success(), "{}", text(&exported));
    assert_eq!(std::fs::read_to_string(export.join("sting-ce-root-ca.crt")).unwrap(), root);
    let guide = std::fs::read_to_string(export.join("TRUST.txt")).unwrap();
    assert!(
        guide.contains("update-ca-certificates")
            && guide.contains("certutil")
            && guide.contains("security add-trusted-cert")
    );
    for file in std::fs::read_dir(&export).unwrap() {
        let content = std::fs::read_to_string(file.unwrap().path()).unwrap();
        assert!(!content.contains("PRIVATE KEY"), "no key is exported");
    }
}

#[test]
fn your_own_certificate_is_checked_before_it_replaces_the_one_in_place() {
    let install = install_dir();
    let dir = install.path();
    assert!(msting(dir, &["setup-ssl", "--self-signed", "--address", "192.0.2.10"]).status.success());
    let before = std::fs::read(dir.join("certs/server.crt")).unwrap();
    let before_key = std::fs::read(dir.join("certs/server.key")).unwrap();
    let now = OffsetDateTime::now_utc();
    // A "corporate" CA of its own, issuing for the domain.
    let corporate = LocalCa::create(&names(&["sting.lan", "other.lan"]), Duration::days(365), now).unwrap();
    let good = corporate.issue(&names(&["sting.lan"]), Duration::days(90), now).unwrap();
    let expired = corporate.issue(&names(&["sting.lan"]), Duration::days(2), now - Duration::days(10)).unwrap();
    let elsewhere = corporate.issue(&names(&["other.lan"]), Duration::days(90), now).unwrap();
    let files = tempfile::tempdir().unwrap();
    let write = |name: &str, content: &str| {
        let path = files.path().join(name);
        std::fs::write(&path, content).unwrap();
        path.to_str().unwrap().to_string()
    };
    let cases = [
        (write("good.crt", &good.chain_pem), write("wrong.key", &elsewhere.key_pem), "does not belong"),
        (write("expired.crt", &expired.chain_pem), write("expired.key", &expired.key_pem), "expired"),
        (write("other.crt", &elsewhere.chain_pem), write("other.key", &elsewhere.key_pem), "does not cover sting.lan"),
        (write("garbage.crt", "hello"), write("good.key", &good.key_pem), "garbage.crt"),
    ];
    for (cert, key, expected) in &cases {
        let refused = msting(dir, &["setup-ssl", "--cert", cert, "--key", key]);
        assert_eq!(refused.status.code(), Some(1), "{}", text(&refused));
        assert!(
            text(&refused).contains(expected) && text(&refused).contains("stays"),
            "{expected}: {}",
            text(&refused)
        );
        assert_eq!(std::fs::read(dir.join("certs/server.crt")).unwrap(), before, "the old certificate stays");
        assert_eq!(std::fs::read(dir.join("certs/server.key")).unwrap(), before_key);
    }
    let cert = write("good.crt", &good.chain_pem);
    let key = write("good.key", &good.key_pem);
    let installed = msting(dir, &["setup-ssl", "--cert", &cert, "--key", &key]);
    assert!(installed.status.success() && text(&installed).contains("installed"), "{}", text(&installed));
    assert_eq!(std::fs::read_to_string(dir.join("certs/server.crt")).unwrap(), good.chain_pem);
    let leftovers: Vec<_> = std::fs::read_dir(dir.join("certs")).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(leftovers.len(), 3, "ca.pem, server.crt, server.key and nothing staged: {leftovers:?}");
}

#[test]
fn a_certificate_starting_a_little_ahead_of_our_clock_is_accepted_and_one_far_ahead_is_not() {
    let now = OffsetDateTime::now_utc();
    let ca = LocalCa::create(&names(&["sting.lan"]), Duration::days(365), now).unwrap();
    let wanted = names(&["sting.lan"]);
    // `issue` backdates by an hour: ask for a start two minutes (and then ten) ahead of now.
    let soon = ca.issue(&wanted, Duration::days(30), now + Duration::minutes(62)).unwrap();
    assert!(msting::tls::install::check(&soon.chain_pem, &soon.key_pem, &wanted, now, "soon.crt").is_ok());
    let later = ca.issue(&wanted, Duration::days(30), now + Duration::minutes(70)).unwrap();
    let error = msting::tls::install::check(&later.chain_pem, &later.key_pem, &wanted, now, "later.crt").unwrap_err();
    assert!(error.to_string().contains("not valid before") && error.to_string().contains("clock"), "{error}");
}

#[test]
fn certs_status_reports_the_installed_certificate_the_ca_and_what_is_served() {
    let install = install_dir();
    let dir = install.path();
    let none = msting(dir, &["certs", "status", "--address", "127.0.0.1:9"]);
    assert!(none.status.success(), "{}", text(&none));
    assert!(text(&none).contains("installed: none") && text(&none).contains("msting setup-ssl"), "{}", text(&none));
    assert!(msting(dir, &["setup-ssl", "--self-signed", "--address", "192.0.2.10"]).status.success());
    let status = msting(dir, &["--json", "certs", "status", "--address", "127.0.0.1:9"]);
    assert!(status.status.success(), "{}", text(&status));
    let report: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    let installed = &report["installed"];
    assert!(installed["names"].as_array().unwrap().iter().any(|n| n == "sting.lan"), "{report}");
    assert!(installed["fraction_left"].as_f64().unwrap() > 0.99 && installed["due"] == false, "{report}");
    assert!(report["ca"]["subject"].as_str().unwrap().contains("STING-CE local CA"), "{report}");
    assert!(report["served"]["error"].as_str().unwrap().contains("127.0.0.1:9"), "nothing listens there: {report}");
    assert!(report["serving_installed"].is_null());
}

#[test]
fn without_a_mode_setup_ssl_follows_the_config() {
    let install = install_dir();
    let dir = install.path();
    // tls.mode: provided without files: a clear error naming the keys.
    std::fs::write(dir.join("conf/config.yml"), "version: 1\nsystem:\n  domain: sting.lan\ntls:\n  mode: provided\n")
        .unwrap();
    let refused = msting(dir, &["setup-ssl"]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(text(&refused).contains("tls.provided.cert_file"), "{}", text(&refused));
    // With files: they are checked and installed.
    let now = OffsetDateTime::now_utc();
    let corporate = LocalCa::create(&names(&["sting.lan"]), Duration::days(365), now).unwrap();
    let issued = corporate.issue(&names(&["sting.lan"]), Duration::days(90), now).unwrap();
    std::fs::write(dir.join("corp.crt"), &issued.chain_pem).unwrap();
    std::fs::write(dir.join("corp.key"), issued.key_pem.as_bytes()).unwrap();
    std::fs::write(
        dir.join("conf/config.yml"),
        format!(
            "version: 1\nsystem:\n  domain: sting.lan\ntls:\n  mode: provided\n  provided:\n    cert_file: {}\n    key_file: {}\n",
            dir.join("corp.crt").display(),
            dir.join("corp.key").display()
        ),
    )
    .unwrap();
    let installed = msting(dir, &["setup-ssl"]);
    assert!(installed.status.success() && text(&installed).contains("installed"), "{}", text(&installed));
    // Renewal cannot renew your own certificate; not due: quiet success.
    let renew = msting(dir, &["setup-ssl", "--renew"]);
    assert!(renew.status.success() && renew.stdout.is_empty(), "{}", text(&renew));
    // tls.mode: local-ca (the default): the local CA.
    std::fs::write(dir.join("conf/config.yml"), "version: 1\nsystem:\n  domain: sting.lan\n").unwrap();
    let local = msting(dir, &["setup-ssl", "--address", "192.0.2.10"]);
    assert!(local.status.success() && text(&local).contains("made a local CA"), "{}", text(&local));
}
