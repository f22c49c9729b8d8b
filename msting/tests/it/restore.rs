//! `msting restore` on a real stack: users, a jar with documents and a conversation come back
//! equal after the volumes are destroyed (the backup taken during an upload); a backup whose
//! database dump fails to restore puts the stack back as it was; the same backup restored into
//! a second install directory and project (a new host) serves the same data; msting's old
//! Vault login no longer works after a restore.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crate::common::{msting, text, unique};
use serde_json::{Value, json};
use sha2::Digest;

fn ok(install: &Path, args: &[&str]) -> String {
    let run = msting(install, args);
    let said = text(&run);
    assert!(run.status.success(), "msting {} failed:\n{said}", args.join(" "));
    said
}

/// SQL as PostgreSQL's superuser in the stack's db container.
fn sql(project: &str, query: &str) -> String {
    let db = msting::stack::containers::container_name(project, "db");
    let run = Command::new("docker")
        .args(["exec", &db, "psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", "/run/postgresql"])
        .args(["-U", "postgres", "-d", "sting", "-c", query])
        .output()
        .expect("the docker CLI");
    assert!(run.status.success(), "{query}: {}", String::from_utf8_lossy(&run.stderr));
    String::from_utf8_lossy(&run.stdout).trim().to_string()
}

/// What a user would notice of the data: every row of the tables that hold people, sessions,
/// jars, documents, their chunks and conversations, hashed in a stable order. Columns a read
/// changes (a session's last use) and the upload that races the backup are left out.
fn fingerprint(project: &str) -> String {
    let settled = "SELECT id FROM documents WHERE name <> 'dances.md'";
    let queries = [
        ("users", "SELECT * FROM users".to_string()),
        ("sessions", "SELECT id_hash, user_id, aal, expires_at FROM sessions".to_string()),
        ("honey_jars", "SELECT * FROM honey_jars".to_string()),
        ("documents", format!("SELECT * FROM documents WHERE id IN ({settled})")),
        ("chunks", format!("SELECT * FROM chunks WHERE document_id IN ({settled})")),
        ("conversations", "SELECT * FROM conversations".to_string()),
        ("messages", "SELECT * FROM messages".to_string()),
    ];
    queries
        .iter()
        .map(|(name, query)| {
            sql(project, &format!("SELECT '{name}:' || count(*) || ':' || coalesce(md5(string_agg(x::text, '|' ORDER BY x::text)), '') FROM ({query}) x"))
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A signed-in admin (AAL2), made straight in the database as stingd's own tests do: the
/// cookie value for its session.
fn admin_session(project: &str) -> String {
    let token = format!("sess_restore_test_{}", unique("t").replace('-', "_"));
    let hash: String = sha2::Sha256::digest(token.as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
    sql(
        project,
        &format!(
            "WITH u AS (INSERT INTO users (email, role) VALUES ('ana@example.org', 'admin') RETURNING id) \
             INSERT INTO sessions (id_hash, user_id, aal, expires_at) SELECT decode('{hash}', 'hex'), id, 2, now() + interval '1 day' FROM u"
        ),
    );
    format!("__Host-sting_session={token}")
}

struct Api {
    http: reqwest::Client,
    base: String,
    cookie: String,
    runtime: tokio::runtime::Runtime,
}

impl Api {
    fn new(install: &Path, port: u16, cookie: &str) -> Self {
        let ca = std::fs::read(install.join("certs/ca.pem")).unwrap();
        let http = reqwest::Client::builder()
            .add_root_certificate(reqwest::Certificate::from_pem(&ca).unwrap())
            .resolve("localhost", ([127, 0, 0, 1], port).into())
            // stingd restarts between calls: no connection is kept for the next one.
            .pool_max_idle_per_host(0)
            .timeout(Duration::from_secs(120))
            .build()
            .unwrap();
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        Self { http, base: format!("https://localhost:{port}"), cookie: cookie.to_string(), runtime }
    }

    fn send(&self, request: reqwest::RequestBuilder) -> (u16, Vec<u8>) {
        self.runtime.block_on(async {
            let response = request
                .header("cookie", &self.cookie)
                .header("origin", &self.base)
                .send()
                .await
                .expect("stingd answers");
            (response.status().as_u16(), response.bytes().await.unwrap().to_vec())
        })
    }

    fn post(&self, path: &str, body: Value) -> Value {
        let (status, bytes) = self.send(self.http.post(format!("{}{path}", self.base)).json(&body));
        assert!(status < 300, "POST {path}: {status} {}", String::from_utf8_lossy(&bytes));
        serde_json::from_slice(&bytes).unwrap()
    }

    fn upload(&self, jar: &str, name: &str, bytes: Vec<u8>) -> (u16, Vec<u8>) {
        self.send(self.http.post(format!("{}/api/jars/{jar}/documents?name={name}", self.base)).body(bytes))
    }

    fn get(&self, path: &str) -> (u16, Vec<u8>) {
        self.send(self.http.get(format!("{}{path}", self.base)))
    }
}

fn https_port(install: &Path) -> u16 {
    let config = std::fs::read_to_string(install.join("conf/config.yml")).unwrap();
    let line = config.lines().find(|l| l.trim_start().starts_with("https_port:")).unwrap();
    line.split(':').nth(1).unwrap().trim().parse().unwrap()
}

fn project_of(install: &Path) -> String {
    let config = std::fs::read_to_string(install.join("conf/config.yml")).unwrap();
    let line = config.lines().find(|l| l.trim_start().starts_with("project_name:")).unwrap();
    line.split(':').nth(1).unwrap().trim().to_string()
}

/// Removes everything of these projects from the engine when the test ends, passed or not, so
/// a failure leaves no networks behind to exhaust the engine's address pools.
const GUIDE: &str = "# Hive guide\n\nBees keep the hive warm in winter by clustering together.\n";

#[test]
fn a_restore_brings_everything_back_and_a_failed_one_changes_nothing() {
    let identity = age::x25519::Identity::generate();
    let recipient = identity.to_public().to_string();
    let project = unique("sting-rs");
    let install = crate::common::install_dir(&crate::common::stack_config(&project, &recipient));
    let dir = install.path();
    let mut purge = crate::common::Purge(vec![project.clone()]);
    ok(dir, &["images", "build"]);
    ok(dir, &["--yes", "install"]);
    let keys = tempfile::tempdir().unwrap();
    let identity_file = keys.path().join("backup.key");
    {
        use age::secrecy::ExposeSecret;
        std::fs::write(&identity_file, format!("{}\n", identity.to_string().expose_secret())).unwrap();
    }
    let identity_arg = identity_file.to_str().unwrap();

    // Someone's work: a jar, a document, a conversation.
    let cookie = admin_session(&project);
    let api = Api::new(dir, https_port(dir), &cookie);
    let jar = api.post("/api/jars", json!({"name": "Apiary", "description": "hives"}));
    let jar = jar["id"].as_str().unwrap().to_string();
    let (status, stored) = api.upload(&jar, "guide.md", GUIDE.as_bytes().to_vec());
    assert!(status < 300, "upload: {status} {}", String::from_utf8_lossy(&stored));
    let document: Value = serde_json::from_slice(&stored).unwrap();
    let document = document["id"].as_str().unwrap().to_string();
    let conversation = api.post("/api/conversations", json!({"title": "Winter plans", "jars": [jar]}));
    let conversation = conversation["id"].as_str().unwrap().to_string();
    let content_path = format!("/api/jars/{jar}/documents/{document}/content");
    assert_eq!(api.get(&content_path), (200, GUIDE.as_bytes().to_vec()));

    // The backup, taken while a large upload is on its way in.
    let before = fingerprint(&project);
    let big: Vec<u8> =
        (0..40_000).flat_map(|i| format!("Line {i}: bees dance to say where flowers are.\n").into_bytes()).collect();
    let uploading = {
        let (base, cookie, jar, big) = (api.base.clone(), cookie.clone(), jar.clone(), big.clone());
        let ca = std::fs::read(dir.join("certs/ca.pem")).unwrap();
        let port = https_port(dir);
        std::thread::spawn(move || {
            let api = Api {
                http: reqwest::Client::builder()
                    .add_root_certificate(reqwest::Certificate::from_pem(&ca).unwrap())
                    .resolve("localhost", ([127, 0, 0, 1], port).into())
                    .timeout(Duration::from_secs(300))
                    .build()
                    .unwrap(),
                base,
                cookie,
                runtime: tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap(),
            };
            api.upload(&jar, "dances.md", big)
        })
    };
    let made = ok(dir, &["--json", "backup", "--encrypt", "--recipient", &recipient]);
    let uploaded = uploading.join().unwrap();
    assert!(uploaded.0 < 300, "the concurrent upload: {} {}", uploaded.0, String::from_utf8_lossy(&uploaded.1));
    let made: Value = serde_json::from_str(&made).unwrap();
    let backup = made["file"].as_str().unwrap().to_string();

    // Work done after the backup, which a restore takes back.
    api.post("/api/jars", json!({"name": "Made after the backup"}));
    let after_backup = fingerprint(&project);
    assert_ne!(after_backup, before);

    // One flipped byte in the backup: refused before anything is touched.
    let flipped = keys.path().join("sting-flipped.tar.zst.age");
    let mut bytes = std::fs::read(&backup).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    std::fs::write(&flipped, bytes).unwrap();
    let damaged = msting(dir, &["restore", flipped.to_str().unwrap(), "--identity", identity_arg, "--yes"]);
    assert!(!damaged.status.success() && text(&damaged).contains("damaged"), "{}", text(&damaged));
    assert!(!text(&damaged).contains("safety copy"), "a damaged backup got past the check: {}", text(&damaged));

    // Refused before anything is touched: no --yes off a terminal, the wrong identity, and a
    // backup of another project without --keep-config.
    let asked = msting(dir, &["restore", &backup, "--identity", identity_arg]);
    assert!(!asked.status.success() && text(&asked).contains("--yes"), "{}", text(&asked));
    let stranger = keys.path().join("stranger.key");
    {
        use age::secrecy::ExposeSecret;
        std::fs::write(&stranger, age::x25519::Identity::generate().to_string().expose_secret()).unwrap();
    }
    let wrong = msting(dir, &["restore", &backup, "--identity", stranger.to_str().unwrap(), "--yes"]);
    assert!(!wrong.status.success() && text(&wrong).contains("does not open this backup"), "{}", text(&wrong));
    let other = crate::common::install_dir(&crate::common::stack_config(&unique("sting-rs-other"), &recipient));
    let mismatch = msting(other.path(), &["restore", &backup, "--identity", identity_arg, "--yes"]);
    assert!(!mismatch.status.success() && text(&mismatch).contains("add --keep-config"), "{}", text(&mismatch));
    assert!(!other.path().join("secrets").exists(), "a refused restore wrote files");
    std::fs::create_dir(dir.join(".pre-restore")).unwrap();
    let unfinished = msting(dir, &["restore", &backup, "--identity", identity_arg, "--yes"]);
    assert!(!unfinished.status.success() && text(&unfinished).contains("did not finish"), "{}", text(&unfinished));
    ok(dir, &["status"]);
    std::fs::remove_dir(dir.join(".pre-restore")).unwrap();
    assert_eq!(fingerprint(&project), after_backup, "a refused restore changed the data");

    // A backup whose database dump PostgreSQL refuses (its checksums are right, so verify
    // passes): the restore fails at the database step and the stack is as it was.
    let broken = keys.path().join("sting-broken.tar.zst.age");
    rewrite_with_broken_dump(Path::new(&backup), &identity, &broken);
    let failed = msting(dir, &["restore", broken.to_str().unwrap(), "--identity", identity_arg, "--yes"]);
    let said = text(&failed);
    assert!(!failed.status.success(), "a broken dump was restored:\n{said}");
    assert!(said.contains("the stack is back as it was before"), "{said}");
    assert!(said.contains("restoring the database sting failed"), "{said}");
    assert_eq!(fingerprint(&project), after_backup, "the failed restore changed the data");
    assert!(!dir.join(".pre-restore").exists(), "the safety copy stayed after the roll-back");
    ok(dir, &["status"]);
    assert_eq!(api.get(&content_path), (200, GUIDE.as_bytes().to_vec()), "documents open after the roll-back");

    // Destroy the volumes, then restore: everything of the backup's moment is back.
    let operator_before = std::fs::read(dir.join("secrets/vault/operator.json")).unwrap();
    let destroyed = Command::new("docker").args(["rm", "-f"]).args(stack_containers(&project)).output().unwrap();
    assert!(destroyed.status.success(), "{}", String::from_utf8_lossy(&destroyed.stderr));
    for volume in ["vault-data", "db-data", "stingd-data"] {
        let removed = Command::new("docker").args(["volume", "rm", &format!("{project}_{volume}")]).output().unwrap();
        assert!(removed.status.success(), "{}", String::from_utf8_lossy(&removed.stderr));
    }
    let restored = msting(dir, &["restore", &backup, "--identity", identity_arg, "--yes"]);
    assert!(restored.status.success(), "restore failed:\n{}", text(&restored));
    let now = fingerprint(&project);
    assert_eq!(now, before, "the data differs from the backup's moment after the restore");
    assert_eq!(api.get(&content_path), (200, GUIDE.as_bytes().to_vec()), "the document opens after the restore");
    let (status, _) = api.get(&format!("/api/conversations/{conversation}"));
    assert_eq!(status, 200, "the conversation is back");
    // The upload running during the backup is there whole, or not at all.
    let dances = sql(&project, "SELECT id FROM documents WHERE name = 'dances.md'");
    if !dances.is_empty() {
        // Caught mid-ingestion, it is indexed again when stingd comes back; it opens once ready.
        let path = format!("/api/jars/{jar}/documents/{dances}/content");
        let mut answer = api.get(&path);
        for _ in 0..120 {
            if answer.0 != 409 {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(500));
            answer = api.get(&path);
        }
        assert!(
            answer == (200, big.clone()),
            "dances.md: {} {}",
            answer.0,
            String::from_utf8_lossy(&answer.1[..answer.1.len().min(300)])
        );
    }
    let leftovers = Command::new("docker")
        .args([
            "exec",
            &msting::stack::containers::container_name(&project, "stingd"),
            "sh",
            "-c",
            "ls /var/lib/sting/uploads 2>/dev/null | wc -l",
        ])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&leftovers.stdout).trim(), "0", "orphan upload files after the restore");
    // msting's old Vault login is gone: the one of before no longer opens Vault.
    let operator_after = std::fs::read(dir.join("secrets/vault/operator.json")).unwrap();
    assert_ne!(operator_before, operator_after, "msting kept its old Vault login");
    std::fs::write(dir.join("secrets/vault/operator.json"), &operator_before).unwrap();
    let refused = msting(dir, &["backup", "--no-encrypt"]);
    assert!(!refused.status.success() && text(&refused).contains("login was refused"), "{}", text(&refused));
    std::fs::write(dir.join("secrets/vault/operator.json"), &operator_after).unwrap();
    ok(dir, &["status"]);

    // A new host: a second install directory and project, with only a config, the backup and
    // its identity.
    let second_project = unique("sting-rs2");
    let second = crate::common::install_dir(&crate::common::stack_config(&second_project, &recipient));
    purge.0.push(second_project.clone());
    let restored = msting(second.path(), &["restore", &backup, "--identity", identity_arg, "--yes", "--keep-config"]);
    assert!(restored.status.success(), "restore on a new host failed:\n{}", text(&restored));
    assert_eq!(project_of(second.path()), second_project);
    assert!(second.path().join("conf/config.yml.from-backup").exists());
    assert_eq!(fingerprint(&second_project), before, "the new host's data differs from the backup's");
    let elsewhere = Api::new(second.path(), https_port(second.path()), &cookie);
    assert_eq!(elsewhere.get(&content_path), (200, GUIDE.as_bytes().to_vec()), "the document opens on the new host");
    ok(second.path(), &["status"]);

    // A plain backup restored on its own host: the unseal key and the CA's key it leaves out
    // are taken from the host; onto a host without them it is refused before anything changes.
    let plain = msting(dir, &["--json", "backup", "--no-encrypt"]);
    assert!(plain.status.success(), "{}", text(&plain));
    let plain: Value = serde_json::from_slice(&plain.stdout).unwrap();
    let plain = plain["file"].as_str().unwrap().to_string();
    let third = crate::common::install_dir(&crate::common::stack_config(&unique("sting-rs3"), &recipient));
    let refused = msting(third.path(), &["restore", &plain, "--yes", "--keep-config"]);
    assert!(
        !refused.status.success() && text(&refused).contains("leaves out Vault's unseal key"),
        "{}",
        text(&refused)
    );
    let state = fingerprint(&project);
    ok(dir, &["restore", &plain, "--yes"]);
    assert_eq!(fingerprint(&project), state, "the plain backup's restore changed the data");
    assert_eq!(api.get(&content_path), (200, GUIDE.as_bytes().to_vec()), "the document opens after a plain restore");

    // A bare new host: no config, only msting, the backup and its identity. The first stack
    // is gone (its project name and ports are the backup's), and the backup's config is used.
    ok(dir, &["uninstall", "--purge", "--yes"]);
    let bare = tempfile::tempdir().unwrap();
    let restored = msting(bare.path(), &["restore", &backup, "--identity", identity_arg, "--yes"]);
    assert!(restored.status.success(), "restore on a bare host failed:\n{}", text(&restored));
    assert_eq!(project_of(bare.path()), project);
    assert_eq!(fingerprint(&project), before, "the bare host's data differs from the backup's");
    let bare_api = Api::new(bare.path(), https_port(bare.path()), &cookie);
    assert_eq!(bare_api.get(&content_path), (200, GUIDE.as_bytes().to_vec()), "the document opens on the bare host");
    ok(bare.path(), &["status"]);
}

fn stack_containers(project: &str) -> Vec<String> {
    let listed = Command::new("docker")
        .args(["ps", "-aq", "--filter", &format!("label=com.docker.compose.project={project}")])
        .output()
        .unwrap();
    String::from_utf8_lossy(&listed.stdout).split_whitespace().map(str::to_string).collect()
}

/// The same backup with `db/sting.dump` replaced by bytes pg_restore cannot read, written as a
/// valid archive (right checksums, same recipient).
fn rewrite_with_broken_dump(backup: &Path, identity: &age::x25519::Identity, out: &Path) {
    use msting::backup::archive::{self, ArchiveWriter, Protection, Unlock};
    let mut entries = Vec::new();
    let unlock = Unlock::Identities(vec![Box::new(identity.clone())]);
    let manifest = archive::read_all(backup, &unlock, |name, data| {
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(data, &mut bytes)?;
        if name == "db/sting.dump" {
            bytes = b"PGDMP this is not a dump any more".to_vec();
        }
        entries.push((name.to_string(), bytes));
        Ok(())
    })
    .unwrap();
    let file = std::fs::File::create(out).unwrap();
    let protection = Protection::Recipients(vec![Box::new(identity.to_public())]);
    let mut writer = ArchiveWriter::new(file, &protection).unwrap();
    for (name, bytes) in &entries {
        writer.add_bytes(name, 0o600, bytes).unwrap();
    }
    writer.finish(manifest).unwrap();
}
