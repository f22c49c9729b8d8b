//! `msting vault init`, `msting unseal` and `msting vault status` against a real OpenBao server:
//! shares handed out once (age-encrypted, or only on a terminal), the operator login kept
//! root-only, unsealing from a file, stdin or a wrong share, and no secret in any output.

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;
use sting_e2e::bao::TestBao;
use sting_vault::{Connection, Secret, Vault, approle, kv, seal};

struct Stack {
    dir: tempfile::TempDir,
    config: PathBuf,
    bao: TestBao,
}

impl Stack {
    /// A Vault server and a config for it: `vault_section` is the body of `vault:`.
    async fn start(auto_unseal: bool, vault_section: &str) -> Self {
        let bao = TestBao::start(auto_unseal).await;
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("config.yml");
        std::fs::write(&config, format!("version: 1\nvault:\n{vault_section}")).unwrap();
        Self { dir, config, bao }
    }

    fn msting(&self, args: &[&str], stdin: Option<&str>) -> Output {
        let mut command = crate::common::msting_command();
        command
            .args(["--config", self.config.to_str().unwrap(), "--install-dir", self.dir.path().to_str().unwrap()])
            .args(args)
            .env("STING_VAULT_ADDR", self.bao.address())
            .stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().unwrap();
        if let Some(input) = stdin {
            child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
        }
        child.wait_with_output().unwrap()
    }

    fn vault(&self) -> Vault {
        Vault::new(Connection { address: self.bao.address().into(), ca_file: None }).unwrap()
    }

    fn credentials_file(&self) -> PathBuf {
        self.dir.path().join("secrets/vault/operator.json")
    }

    /// Logs in as msting would, from the credentials file.
    async fn operator(&self) -> Vault {
        let creds: Value = serde_json::from_str(&std::fs::read_to_string(self.credentials_file()).unwrap()).unwrap();
        let secret_id = Secret::new(creds["secret_id"].as_str().unwrap());
        let login = approle::login(&self.vault(), creds["role_id"].as_str().unwrap(), &secret_id).await.unwrap();
        self.vault().with_token(login.token)
    }
}

fn text(output: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn open_share(armored: &str, identity: &age::x25519::Identity) -> String {
    let decryptor = age::Decryptor::new(age::armor::ArmoredReader::new(armored.as_bytes())).unwrap();
    let mut reader = decryptor.decrypt(std::iter::once(identity as &dyn age::Identity)).unwrap();
    let mut share = String::new();
    std::io::Read::read_to_string(&mut reader, &mut share).unwrap();
    share
}

#[tokio::test]
async fn init_hands_encrypted_shares_out_once_and_unseal_takes_them_back_after_a_restart() {
    let holders: Vec<_> = (0..3).map(|_| age::x25519::Identity::generate()).collect();
    let recipients: Vec<String> = holders.iter().map(|h| h.to_public().to_string()).collect();
    let mut stack = Stack::start(
        false,
        &format!(
            "  unseal: manual\n  key_shares: 3\n  key_threshold: 2\n  share_recipients: [{}]\n",
            recipients.join(", ")
        ),
    )
    .await;

    let init = stack.msting(&["--json", "vault", "init"], None);
    assert!(init.status.success(), "{}", text(&init));
    let report: Value = serde_json::from_slice(&init.stdout).unwrap();
    assert_eq!(report["root_token"], "revoked");
    let shares: Vec<String> = report["shares"]
        .as_array()
        .unwrap()
        .iter()
        .zip(&holders)
        .map(|(handed, holder)| open_share(handed["share"].as_str().unwrap(), holder))
        .collect();
    assert_eq!(shares.len(), 3);
    // Manual unseal: health warns when a share lies on this host in the clear, naming the file.
    let careless = stack.dir.path().join("notes/unseal-share-1.txt");
    std::fs::create_dir_all(careless.parent().unwrap()).unwrap();
    std::fs::write(&careless, format!("{}\n", shares[0])).unwrap();
    let health = stack.msting(&["--json", "health", "--check", "shares"], None);
    let found: Value = serde_json::from_slice(&health.stdout).unwrap();
    assert_eq!(health.status.code(), Some(1), "{found:#}");
    assert_eq!(found["checks"][0]["status"], "WARNING");
    assert!(found["checks"][0]["message"].as_str().unwrap().contains(careless.to_str().unwrap()), "{found:#}");
    assert!(found["checks"][0]["fix"].as_str().unwrap().contains("shred -u"), "{found:#}");
    std::fs::remove_file(&careless).unwrap();
    let credentials = stack.credentials_file();
    assert_eq!((mode(credentials.parent().unwrap()), mode(&credentials)), (0o700, 0o600));
    // Run again, it hands out nothing and finishes whatever is missing (as after an interrupted
    // set-up), keeping what exists.
    let operator = stack.operator().await;
    let kept = kv::get(&operator, "sting", "database/stingd").await.unwrap().unwrap();
    kv::remove(&operator, "sting", "stingd/keys").await.unwrap();
    let again = stack.msting(&["--json", "vault", "init"], None);
    assert!(again.status.success(), "{}", text(&again));
    let second: Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!((second["initialised_now"].as_bool(), second["shares"].is_null()), (Some(false), true));
    assert_eq!(
        second["generated"],
        serde_json::json!(["stingd/keys#session_key", "stingd/keys#cookie_key", "stingd/keys#api_key"])
    );
    assert_eq!(kv::get(&operator, "sting", "database/stingd").await.unwrap().unwrap(), kept);
    // Without msting's credentials, and without the stack's CA to log in with a certificate, an
    // initialised Vault is not touched: the refusal says where the login can come from.
    let saved = std::fs::read(&credentials).unwrap();
    std::fs::remove_file(&credentials).unwrap();
    let stranger = stack.msting(&["vault", "init"], None);
    assert!(!stranger.status.success());
    assert!(text(&stranger).contains("login cannot be recovered"), "{}", text(&stranger));
    assert!(text(&stranger).contains("msting restore"), "{}", text(&stranger));
    assert!(!credentials.exists(), "no login was made");
    std::fs::write(&credentials, saved).unwrap();
    std::fs::set_permissions(&credentials, std::fs::Permissions::from_mode(0o600)).unwrap();

    // Nothing msting printed, and nothing in Vault's audit log, holds a generated secret.
    let mut generated = Vec::new();
    for path in ["database/postgres", "database/stingd", "stingd/keys"] {
        generated.extend(kv::get(&operator, "sting", path).await.unwrap().unwrap().into_values());
    }
    assert_eq!(generated.len(), 5, "two database passwords and three stingd keys");
    let status = stack.msting(&["vault", "status"], None);
    let everything = format!("{}{}{}{}", text(&init), text(&again), text(&stranger), text(&status));
    for secret in &generated {
        assert!(!everything.contains(secret.expose()), "a generated secret was printed");
        assert!(!stack.bao.audit_log().contains(secret.expose()), "a generated secret is in the audit log");
    }
    let audit = stack.bao.audit_log();
    assert!(
        audit.contains("auth/approle/login"),
        "the audit device records requests: {}",
        &audit[..audit.len().min(500)]
    );

    // After a restart Vault is sealed: status says so (exit 1) and what to run.
    stack.bao.process.restart().await;
    let status = stack.msting(&["vault", "status"], None);
    assert_eq!(status.status.code(), Some(1));
    assert!(text(&status).contains("sealed (run `msting unseal`)"), "{}", text(&status));

    // One share from a file: accepted, but one is not enough.
    let file = stack.dir.path().join("one-share");
    std::fs::write(&file, format!("# holder 1\n{}\n", shares[0])).unwrap();
    let partial = stack.msting(&["unseal", "--key-file", file.to_str().unwrap()], None);
    assert!(!partial.status.success());
    assert!(text(&partial).contains("share accepted: 1 of 2"), "{}", text(&partial));
    assert!(text(&partial).contains("give 1 more"), "{}", text(&partial));

    // A wrong share: refused, nothing counted, and the share is not echoed.
    let wrong = "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB";
    let refused = stack.msting(&["unseal"], Some(&format!("{wrong}\n")));
    assert!(!refused.status.success());
    assert!(text(&refused).contains("not accepted"), "{}", text(&refused));
    assert!(!text(&refused).contains(wrong));
    assert_eq!(seal::status(&stack.vault()).await.unwrap().progress, 0);

    // Two good shares on stdin unseal it.
    let unsealed = stack.msting(&["unseal"], Some(&format!("{}\n{}\n", shares[1], shares[2])));
    assert!(unsealed.status.success(), "{}", text(&unsealed));
    assert!(!text(&unsealed).contains(&shares[1]));
    let status = stack.msting(&["--json", "vault", "status"], None);
    assert!(status.status.success(), "{}", text(&status));
    let status: Value = serde_json::from_slice(&status.stdout).unwrap();
    assert_eq!((status["sealed"].as_bool(), status["auto_unseal"].as_bool()), (Some(false), Some(false)));
    assert_eq!(status["audit_devices"], serde_json::json!(["sting"]));
    assert_eq!(status["storage"], "raft");
}

#[tokio::test]
async fn shares_in_the_clear_are_shown_only_on_a_terminal() {
    let stack = Stack::start(true, "  unseal: auto\n").await;
    let piped = stack.msting(&["vault", "init"], None);
    assert!(!piped.status.success());
    assert!(text(&piped).contains("only on a terminal"), "{}", text(&piped));
    assert!(!seal::status(&stack.vault()).await.unwrap().initialized, "a refusal changes nothing");

    // On a terminal (a pseudo-terminal from script(1)), the five recovery shares are shown.
    let command = format!(
        "{} --config {} --install-dir {} vault init",
        env!("CARGO_BIN_EXE_msting"),
        stack.config.display(),
        stack.dir.path().display()
    );
    let on_terminal = Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .env("STING_VAULT_ADDR", stack.bao.address())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let shown = text(&on_terminal);
    assert!(on_terminal.status.success(), "{shown}");
    assert!(shown.contains("Recovery key shares"), "{shown}");
    assert_eq!((1..=5).filter(|n| shown.contains(&format!("share {n}: "))).count(), 5, "{shown}");
    let status = seal::status(&stack.vault()).await.unwrap();
    assert!(status.initialized && !status.sealed && status.recovery_seal, "auto-unseal: {status:?}");

    let unseal = stack.msting(&["unseal"], None);
    assert!(unseal.status.success(), "{}", text(&unseal));
    assert!(text(&unseal).contains("already unsealed"));
    let operator = stack.operator().await;
    assert!(kv::get(&operator, "sting", "stingd/keys").await.unwrap().is_some());
}

#[tokio::test]
async fn an_unreachable_vault_and_loose_credentials_are_explained() {
    let stack = Stack::start(true, "  unseal: auto\n").await;
    let out = crate::common::msting_command()
        .args(["--config", stack.config.to_str().unwrap(), "vault", "status"])
        .env("STING_VAULT_ADDR", "http://127.0.0.1:9")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("cannot reach Vault at http://127.0.0.1:9"), "{}", text(&out));

    // Initialised with recipients (no terminal needed), then the credentials file is loosened.
    let holder = age::x25519::Identity::generate().to_public().to_string();
    std::fs::write(
        &stack.config,
        format!("version: 1\nvault:\n  key_shares: 1\n  key_threshold: 1\n  share_recipients: [{holder}]\n"),
    )
    .unwrap();
    assert!(stack.msting(&["vault", "init"], None).status.success());
    std::fs::set_permissions(stack.credentials_file(), std::fs::Permissions::from_mode(0o644)).unwrap();
    let status = stack.msting(&["vault", "status"], None);
    assert!(text(&status).contains("needs the operator login"), "{}", text(&status));
    assert!(text(&status).contains("can be read by others (mode 644)"), "{}", text(&status));
}

fn recipients_section(holders: &[age::x25519::Identity], mode: &str, threshold: usize) -> String {
    let recipients: Vec<String> = holders.iter().map(|h| h.to_public().to_string()).collect();
    format!(
        "  unseal: {mode}\n  key_shares: {}\n  key_threshold: {threshold}\n  share_recipients: [{}]\n",
        holders.len(),
        recipients.join(", ")
    )
}

fn shares_of(output: &Output, holders: &[age::x25519::Identity]) -> Vec<String> {
    assert!(output.status.success(), "{}", text(output));
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    report["shares"]
        .as_array()
        .unwrap()
        .iter()
        .zip(holders)
        .map(|(handed, holder)| open_share(handed["share"].as_str().unwrap(), holder))
        .collect()
}

#[tokio::test]
async fn rekeying_hands_new_shares_to_new_holders_and_the_old_ones_stop_unsealing() {
    let old_holders: Vec<_> = (0..3).map(|_| age::x25519::Identity::generate()).collect();
    let mut stack = Stack::start(false, &recipients_section(&old_holders, "manual", 2)).await;
    let old = shares_of(&stack.msting(&["--json", "vault", "init"], None), &old_holders);

    // A wrong current share cancels the rekey; the old shares still work afterwards.
    let wrong = stack.msting(
        &["--yes", "vault", "rekey"],
        Some("QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB\nQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJC\n"),
    );
    assert!(!wrong.status.success());
    assert!(text(&wrong).contains("not accepted"), "{}", text(&wrong));

    let new_holders: Vec<_> = (0..3).map(|_| age::x25519::Identity::generate()).collect();
    std::fs::write(&stack.config, format!("version: 1\nvault:\n{}", recipients_section(&new_holders, "manual", 2)))
        .unwrap();
    let not_enough = stack.msting(&["--yes", "vault", "rekey"], Some(&format!("{}\n", old[0])));
    assert!(!not_enough.status.success());
    assert!(text(&not_enough).contains("current shares still work"), "{}", text(&not_enough));
    let rekeyed = stack.msting(&["--yes", "--json", "vault", "rekey"], Some(&format!("{}\n{}\n", old[0], old[2])));
    let new = shares_of(&rekeyed, &new_holders);
    assert!(new.iter().all(|share| !old.contains(share)));

    stack.bao.process.restart().await;
    let with_old = stack.msting(&["unseal"], Some(&format!("{}\n{}\n", old[0], old[1])));
    assert!(!with_old.status.success(), "{}", text(&with_old));
    assert!(seal::status(&stack.vault()).await.unwrap().sealed);
    let with_new = stack.msting(&["unseal"], Some(&format!("{}\n{}\n", new[1], new[2])));
    assert!(with_new.status.success(), "{}", text(&with_new));
}

#[tokio::test]
async fn recovery_shares_are_rekeyed_with_auto_unseal() {
    let first: Vec<_> = (0..2).map(|_| age::x25519::Identity::generate()).collect();
    let stack = Stack::start(true, &recipients_section(&first, "auto", 2)).await;
    let old = shares_of(&stack.msting(&["--json", "vault", "init"], None), &first);
    let second: Vec<_> = (0..2).map(|_| age::x25519::Identity::generate()).collect();
    std::fs::write(&stack.config, format!("version: 1\nvault:\n{}", recipients_section(&second, "auto", 2))).unwrap();
    let rekey = |shares: &[String]| {
        stack.msting(&["--yes", "--json", "vault", "rekey"], Some(&format!("{}\n", shares.join("\n"))))
    };
    let new = shares_of(&rekey(&old), &second);
    let stale = rekey(&old);
    assert!(!stale.status.success(), "the old recovery shares no longer work");
    assert!(text(&stale).contains("not accepted"), "{}", text(&stale));
    shares_of(&rekey(&new), &second);
}

/// A stack initialised with one share to one (thrown away) holder: ready for operator commands.
async fn ready_stack() -> Stack {
    let holder = [age::x25519::Identity::generate()];
    let stack = Stack::start(true, &recipients_section(&holder, "auto", 1)).await;
    let init = stack.msting(&["vault", "init"], None);
    assert!(init.status.success(), "{}", text(&init));
    stack
}

#[tokio::test]
async fn provider_keys_go_in_by_stdin_never_argv_and_come_out_masked() {
    let stack = ready_stack().await;
    let key = "sk-proj-Zq81xWm3kP0vT7aLs9dQe4Rb";
    let set = stack.msting(&["vault-secret", "set", "openai"], Some(&format!("{key}\n")));
    assert!(set.status.success(), "{}", text(&set));
    assert!(stack.msting(&["vault-secret", "set", "openai", "org"], Some("org-4411")).status.success());

    let on_argv = stack.msting(&["vault-secret", "set", "openai", "api_key", key], None);
    assert_eq!(on_argv.status.code(), Some(2), "a value on the command line is a usage error");
    let empty = stack.msting(&["vault-secret", "set", "anthropic"], Some("\n"));
    assert!(!empty.status.success() && text(&empty).contains("empty"), "{}", text(&empty));
    let bad_name = stack.msting(&["vault-secret", "set", "Open/AI"], Some("x"));
    assert!(text(&bad_name).contains("is not a provider name"), "{}", text(&bad_name));

    let list = stack.msting(&["vault-secret", "list"], None);
    assert!(list.status.success(), "{}", text(&list));
    assert_eq!(String::from_utf8_lossy(&list.stdout).trim(), "openai: api_key, org");
    let get = stack.msting(&["vault-secret", "get", "openai"], None);
    assert_eq!(String::from_utf8_lossy(&get.stdout).trim(), format!("••••e4Rb ({} characters)", key.len()));
    let piped_reveal = stack.msting(&["vault-secret", "get", "openai", "--reveal"], None);
    assert!(!piped_reveal.status.success() && text(&piped_reveal).contains("only on a terminal"));
    for output in [&set, &list, &get, &piped_reveal] {
        assert!(!text(output).contains(key), "the key was printed");
    }

    // On a terminal, --reveal shows it.
    let command = format!(
        "{} --config {} --install-dir {} vault-secret get openai --reveal",
        env!("CARGO_BIN_EXE_msting"),
        stack.config.display(),
        stack.dir.path().display()
    );
    let revealed = Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .env("STING_VAULT_ADDR", stack.bao.address())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(text(&revealed).contains(key), "{}", text(&revealed));

    // Removing asks first; without a terminal or --yes nothing goes.
    assert!(stack.msting(&["--yes", "vault-secret", "rm", "openai", "org"], None).status.success());
    let refused = stack.msting(&["vault-secret", "rm", "openai"], None);
    assert_eq!(refused.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&stack.msting(&["vault-secret", "list"], None).stdout).trim(),
        "openai: api_key"
    );
    assert!(stack.msting(&["--yes", "vault-secret", "rm", "openai"], None).status.success());
    let gone = stack.msting(&["vault-secret", "get", "openai"], None);
    assert!(text(&gone).contains("msting vault-secret set openai api_key"), "{}", text(&gone));
}

#[tokio::test]
async fn the_encryption_key_rotates_and_says_when() {
    let stack = ready_stack().await;
    let status = |stack: &Stack| -> Value {
        let out = stack.msting(&["--json", "encryption-keys", "status"], None);
        assert!(out.status.success(), "{}", text(&out));
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let before = status(&stack);
    assert_eq!((before["latest_version"].as_u64(), before["min_decryption_version"].as_u64()), (Some(1), Some(1)));
    let rotated = stack.msting(&["encryption-keys", "rotate"], None);
    assert!(rotated.status.success(), "{}", text(&rotated));
    assert!(text(&rotated).contains("older data still decrypts"));
    let after = status(&stack);
    assert_eq!(after["latest_version"].as_u64(), Some(2));
    assert_eq!(after["versions"].as_object().unwrap().len(), 2);
    assert!(after["last_rotation"].as_str().is_some_and(|t| t.starts_with("20")), "{after}");
}

#[tokio::test]
async fn secrets_rotate_names_what_it_can_and_never_prints_a_value() {
    let stack = ready_stack().await;
    let unknown = stack.msting(&["secrets", "rotate", "everything"], None);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(text(&unknown).contains("database") && text(&unknown).contains("session-key"), "{}", text(&unknown));

    // The database needs a way in; without one nothing is changed, in Vault either.
    let operator = stack.operator().await;
    let before = kv::get(&operator, "sting", "database/stingd").await.unwrap().unwrap();
    let no_database = stack.msting(&["secrets", "rotate", "database"], None);
    assert!(!no_database.status.success());
    assert!(text(&no_database).contains("STING_DB_ADMIN_SOCKET"), "{}", text(&no_database));
    assert_eq!(kv::get(&operator, "sting", "database/stingd").await.unwrap().unwrap(), before);

    let keys = kv::get(&operator, "sting", "stingd/keys").await.unwrap().unwrap();
    let rotated = stack.msting(&["--json", "secrets", "rotate", "session-key"], None);
    assert!(rotated.status.success(), "{}", text(&rotated));
    let report: Value = serde_json::from_slice(&rotated.stdout).unwrap();
    assert_eq!(report["version"], 2);
    let after = kv::get(&operator, "sting", "stingd/keys").await.unwrap().unwrap();
    assert_ne!(after["session_key"], keys["session_key"]);
    assert_eq!(after["cookie_key"], keys["cookie_key"], "only the named key changes");
    assert!(!text(&rotated).contains(after["session_key"].expose()));
}

#[tokio::test]
async fn a_service_gets_its_login_as_read_only_files_that_work_once() {
    let stack = ready_stack().await;
    let issued = stack.msting(&["vault", "credentials", "stingd"], None);
    assert!(issued.status.success(), "{}", text(&issued));
    let dir = stack.dir.path().join("secrets/vault/stingd");
    assert_eq!(mode(&dir), 0o700);
    for file in ["role-id", "secret-id"] {
        assert_eq!(mode(&dir.join(file)), 0o400, "{file}");
    }
    let role_id = std::fs::read_to_string(dir.join("role-id")).unwrap();
    let wrapped = Secret::new(std::fs::read_to_string(dir.join("secret-id")).unwrap());
    assert!(!text(&issued).contains(wrapped.expose()), "the wrapping token is not printed");
    let login = approle::login_wrapped(&stack.vault(), &role_id, &wrapped).await.unwrap();
    let stingd = stack.vault().with_token(login.token);
    assert!(kv::get(&stingd, "sting", "database/stingd").await.unwrap().is_some());
    assert!(approle::login_wrapped(&stack.vault(), &role_id, &wrapped).await.is_err(), "opened once");

    // Issued again: replaced, and the new one works.
    assert!(stack.msting(&["vault", "credentials", "stingd"], None).status.success());
    let fresh = Secret::new(std::fs::read_to_string(dir.join("secret-id")).unwrap());
    assert_ne!(fresh, wrapped);
    approle::login_wrapped(&stack.vault(), &role_id, &fresh).await.unwrap();
    let unknown = stack.msting(&["vault", "credentials", "postgres"], None);
    assert_eq!(unknown.status.code(), Some(2));
}
