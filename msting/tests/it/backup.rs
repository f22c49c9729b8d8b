//! `msting backup` on a real stack: what an encrypted backup holds (and the `age` CLI opens),
//! what a plain one leaves out, `list` and `verify`, a flipped byte and a wrong key refused,
//! and a backup killed half-way that leaves nothing under a backup's name and harms no other.

use std::io::Read;
use std::path::Path;
use std::time::Duration;

use crate::common::{msting, text, unique};

fn ok(install: &Path, args: &[&str]) -> String {
    let run = msting(install, args);
    let said = text(&run);
    assert!(run.status.success(), "msting {} failed:\n{said}", args.join(" "));
    said
}

/// The entry names of a plain tar.zst stream, and the bytes of all of it.
fn entries_of(plain_zst: &[u8]) -> (Vec<String>, Vec<u8>) {
    let tar = zstd::decode_all(plain_zst).unwrap();
    let mut archive = tar::Archive::new(tar.as_slice());
    let mut names = Vec::new();
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        names.push(entry.path().unwrap().to_string_lossy().to_string());
        entry.read_to_end(&mut Vec::new()).unwrap();
    }
    (names, tar)
}

fn backups(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut found: Vec<_> = std::fs::read_dir(dir.join("backups"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy().to_string();
            name.starts_with("sting-") && !name.ends_with(".json")
        })
        .collect();
    found.sort();
    found
}

#[test]
fn backups_hold_what_a_restore_needs_and_nothing_they_must_not() {
    let age = sting_e2e::env::require_path(sting_e2e::Component::Age);
    let identity = age::x25519::Identity::generate();
    let recipient = identity.to_public().to_string();
    let project = unique("sting-bk");
    let install = crate::common::install_dir(&crate::common::stack_config(&project, &recipient));
    let dir = install.path();
    ok(dir, &["images", "build"]);
    ok(dir, &["--yes", "install"]);

    let keys = tempfile::tempdir().unwrap();
    let identity_file = keys.path().join("backup.key");
    {
        use age::secrecy::ExposeSecret;
        std::fs::write(&identity_file, format!("{}\n", identity.to_string().expose_secret())).unwrap();
    }

    // An encrypted backup: to the recipient, with the keys and the unseal key.
    let made = ok(dir, &["--json", "backup", "--encrypt", "--recipient", &recipient]);
    let made: serde_json::Value = serde_json::from_str(&made).unwrap();
    let file = std::path::PathBuf::from(made["file"].as_str().unwrap());
    assert!(file.to_string_lossy().ends_with(".tar.zst.age"), "{file:?}");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
    assert_eq!(std::fs::metadata(dir.join("backups")).unwrap().permissions().mode() & 0o777, 0o700);

    // The age CLI opens it; inside, what a new host needs.
    let decrypted =
        std::process::Command::new(&age).args(["-d", "-i"]).arg(&identity_file).arg(&file).output().unwrap();
    assert!(decrypted.status.success(), "{}", String::from_utf8_lossy(&decrypted.stderr));
    let (names, tar) = entries_of(&decrypted.stdout);
    for wanted in [
        "db/sting.dump",
        "db/globals.sql",
        "vault/raft.snap",
        "vault/unseal.key",
        "conf/config.yml",
        "certs/server.key",
        "secrets/ca/ca.key",
        "manifest.json",
    ] {
        assert!(names.iter().any(|n| n == wanted), "{wanted} is not in {names:?}");
    }
    // Never msting's credentials, a service's secret-id, or the generated API key.
    let api_key = std::fs::read_to_string(dir.join("secrets/stingd/api-key")).unwrap();
    assert!(names.iter().all(|n| !n.starts_with("secrets/vault/") && !n.contains("api-key")), "{names:?}");
    assert!(!contains(&tar, api_key.trim().as_bytes()), "the API key is in the backup");
    for credential in walk(&dir.join("secrets/vault")) {
        let value = std::fs::read(&credential).unwrap();
        if value.len() >= 16 {
            assert!(!contains(&tar, trim(&value)), "{} is in the backup", credential.display());
        }
    }

    let listed = ok(dir, &["--json", "backup", "list"]);
    let listed: serde_json::Value = serde_json::from_str(&listed).unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
    assert_eq!(listed[0]["encrypted"], true);
    assert!(listed[0]["verified"].is_null());
    assert!(listed[0]["read_back"].is_string(), "every backup is read back from the disk after writing: {listed}");
    let verified =
        ok(dir, &["backup", "verify", file.to_str().unwrap(), "--identity", identity_file.to_str().unwrap()]);
    assert!(verified.contains("ok:"), "{verified}");
    let listed: serde_json::Value = serde_json::from_str(&ok(dir, &["--json", "backup", "list"])).unwrap();
    assert!(listed[0]["verified"].is_string(), "verify is recorded: {listed}");

    // A wrong identity, no key at all, one flipped byte: each refused, clearly.
    let stranger = keys.path().join("stranger.key");
    {
        use age::secrecy::ExposeSecret;
        let other = age::x25519::Identity::generate();
        std::fs::write(&stranger, format!("{}\n", other.to_string().expose_secret())).unwrap();
    }
    let wrong = msting(dir, &["backup", "verify", file.to_str().unwrap(), "--identity", stranger.to_str().unwrap()]);
    assert_eq!(wrong.status.code(), Some(1));
    assert!(text(&wrong).contains("does not open this backup"), "{}", text(&wrong));
    let keyless = msting(dir, &["backup", "verify", file.to_str().unwrap()]);
    assert!(text(&keyless).contains("--identity"), "{}", text(&keyless));
    let flipped = keys.path().join("flipped.tar.zst.age");
    let mut bytes = std::fs::read(&file).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x40;
    std::fs::write(&flipped, bytes).unwrap();
    let damaged =
        msting(dir, &["backup", "verify", flipped.to_str().unwrap(), "--identity", identity_file.to_str().unwrap()]);
    assert_eq!(damaged.status.code(), Some(1));
    assert!(text(&damaged).contains("damaged"), "{}", text(&damaged));

    // A plain backup: warned about; no private key, no unseal key.
    std::thread::sleep(Duration::from_secs(1));
    let plain = msting(dir, &["backup", "--no-encrypt"]);
    assert!(plain.status.success(), "{}", text(&plain));
    assert!(text(&plain).contains("plain backup"), "{}", text(&plain));
    let plain_file = backups(dir).into_iter().find(|p| p.to_string_lossy().ends_with(".tar.zst")).unwrap();
    let (names, _) = entries_of(&std::fs::read(&plain_file).unwrap());
    assert!(names.iter().any(|n| n == "db/sting.dump") && names.iter().any(|n| n == "vault/raft.snap"), "{names:?}");
    for secret in ["vault/unseal.key", "certs/server.key", "secrets/ca/ca.key", "secrets/acme/account.json"] {
        assert!(!names.iter().any(|n| n == secret), "a plain backup holds {secret}");
    }
    let verified = ok(dir, &["backup", "verify", plain_file.to_str().unwrap()]);
    assert!(verified.contains("ok:"), "{verified}");

    // Killed half-way: nothing under a backup's name, the earlier ones intact, and the next run
    // clears what the killed one left.
    let before = backups(dir);
    let mut child = crate::common::msting_command()
        .arg("--install-dir")
        .arg(dir)
        .args(["backup", "--encrypt", "--recipient", &recipient])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let partial = loop {
        let found = std::fs::read_dir(dir.join("backups"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
            .find(|n| n.contains(".partial-"));
        if let Some(found) = found {
            break found;
        }
        assert!(child.try_wait().unwrap().is_none(), "the backup ended before it could be killed");
        std::thread::sleep(Duration::from_millis(5));
    };
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(backups(dir), before, "a killed backup left a file under a backup's name");
    assert!(dir.join("backups").join(&partial).exists(), "the partial file is there to be cleared");
    let verified =
        ok(dir, &["backup", "verify", file.to_str().unwrap(), "--identity", identity_file.to_str().unwrap()]);
    assert!(verified.contains("ok:"), "{verified}");
    std::thread::sleep(Duration::from_secs(1));
    ok(dir, &["backup", "--encrypt", "--recipient", &recipient]);
    assert!(!dir.join("backups").join(&partial).exists(), "the killed run's partial file stayed");
    assert_eq!(backups(dir).len(), before.len() + 1);

    // Without options `backup.retention` decides (the default keeps the last three: all of
    // them); with a policy, exactly what it says is kept.
    let count = backups(dir).len();
    ok(dir, &["backup", "prune"]);
    assert_eq!(backups(dir).len(), count.min(3), "the default retention keeps the last three");
    let pruned = ok(dir, &["backup", "prune", "--keep-last", "1"]);
    assert!(pruned.contains("removed"), "{pruned}");
    assert_eq!(backups(dir).len(), 1);

    ok(dir, &["--yes", "uninstall", "--purge"]);
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

fn trim(bytes: &[u8]) -> &[u8] {
    let text = std::str::from_utf8(bytes).map(str::trim).unwrap_or_default();
    text.as_bytes()
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}
