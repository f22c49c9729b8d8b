//! Against the real OpenBao server, in production mode with raft storage, started here from the
//! configuration this crate renders: initialisation in both seal modes, unsealing, restarts,
//! the roles' least privilege, single-use secret-ids, the revoked root token, transit rotation,
//! `vault-ref` resolution, and errors that name the fix.

use std::collections::BTreeMap;
use std::time::Duration;

use sting_config::SecretRef;
use sting_e2e::bao::TestBao;
use sting_e2e::free_port;
use sting_vault::bootstrap::{self, Initialised, Plan, SealMode};
use sting_vault::policy::STINGD_TRANSIT_KEY;
use sting_vault::{Connection, Secret, Vault, VaultError, approle, kv, seal, transit};

struct Server {
    process: TestBao,
    vault: Vault,
}

async fn server(mode: SealMode) -> Server {
    let process = TestBao::start(mode == SealMode::Auto).await;
    let vault = Vault::new(Connection { address: process.address().into(), ca_file: None }).unwrap();
    Server { process, vault }
}

fn plan() -> Plan {
    sting_e2e::bao::test_plan()
}

/// Initialised, configured, and the operator logged in; the root token is returned unrevoked.
async fn bootstrapped(server: &Server, mode: SealMode) -> (Initialised, Vault) {
    let init = bootstrap::initialise(&server.vault, mode, 5, 3).await.unwrap();
    if mode == SealMode::Manual {
        for share in &init.shares[..3] {
            seal::unseal(&server.vault, share).await.unwrap();
        }
    }
    let root = server.vault.with_token(init.root_token.clone());
    bootstrap::configure(&root, &plan()).await.unwrap();
    let (role_id, secret_id) = bootstrap::operator_credentials(&root).await.unwrap();
    let login = approle::login(&server.vault, &role_id, &secret_id).await.unwrap();
    (init, server.vault.with_token(login.token))
}

fn values(pairs: &[(&str, &str)]) -> BTreeMap<String, Secret> {
    pairs.iter().map(|(k, v)| (k.to_string(), Secret::new(*v))).collect()
}

#[tokio::test]
async fn auto_unseal_comes_back_by_itself_and_the_root_token_is_gone() {
    let mut server = server(SealMode::Auto).await;
    let (init, operator) = bootstrapped(&server, SealMode::Auto).await;
    assert_eq!(init.shares.len(), 5, "recovery shares for the operators");
    let status = seal::status(&server.vault).await.unwrap();
    assert!(status.initialized && !status.sealed && status.recovery_seal, "{status:?}");
    assert_eq!((status.seal_type.as_str(), status.threshold), ("static", 3));

    // The generated secrets are there, strong, and a second configure keeps them.
    let root = server.vault.with_token(init.root_token.clone());
    let before = kv::get(&operator, "sting", "database/stingd").await.unwrap().unwrap();
    assert!(before["password"].expose().len() >= 43);
    let again = bootstrap::configure(&root, &plan()).await.unwrap();
    assert!(again.generated.is_empty(), "{:?}", again.generated);
    assert_eq!(again.audit_devices, vec!["sting".to_string()], "the audit device from the server's configuration");
    assert_eq!(kv::get(&operator, "sting", "database/stingd").await.unwrap().unwrap(), before);

    // The root token is revoked after bootstrap and then refused.
    approle::revoke_self(&root).await.unwrap();
    let refused = kv::get(&root, "sting", "database/stingd").await.unwrap_err();
    assert!(matches!(refused, VaultError::Denied { .. }), "{refused:?}");

    // A restart: unsealed again without anyone, with the data intact.
    server.process.process.restart().await;
    bootstrap::wait_until_unsealed(&server.vault, Duration::from_secs(30)).await.unwrap();
    assert_eq!(kv::get(&operator, "sting", "database/stingd").await.unwrap().unwrap(), before);

    // Initialising again is refused: shares are handed out once.
    let twice = bootstrap::initialise(&server.vault, SealMode::Auto, 5, 3).await.unwrap_err();
    assert!(matches!(twice, VaultError::AlreadyInitialised { .. }), "{twice:?}");
}

#[tokio::test]
async fn manual_unsealing_counts_shares_and_a_wrong_one_changes_nothing() {
    let mut server = server(SealMode::Manual).await;
    let (init, operator) = bootstrapped(&server, SealMode::Manual).await;
    kv::put(&operator, "sting", "providers/openai", &values(&[("api_key", "sk-test-123")]), None).await.unwrap();
    server.process.process.restart().await;
    let sealed = seal::status(&server.vault).await.unwrap();
    assert!(sealed.sealed && sealed.progress == 0, "a restart seals a Shamir Vault: {sealed:?}");
    let error = kv::get(&operator, "sting", "providers/openai").await.unwrap_err();
    assert!(error.to_string().contains("run `msting unseal`"), "{error}");

    // Two good shares and a wrong one: refused, progress back to nothing.
    seal::unseal(&server.vault, &init.shares[0]).await.unwrap();
    let progress = seal::unseal(&server.vault, &init.shares[1]).await.unwrap();
    assert_eq!((progress.progress, progress.threshold), (2, 3));
    let forged = Secret::new(base64_of_len(init.shares[2].expose()));
    let wrong = seal::unseal(&server.vault, &forged).await.unwrap_err();
    assert!(matches!(wrong, VaultError::BadShare { .. }), "{wrong:?}");
    assert!(wrong.to_string().contains("nothing was changed"));
    let after = seal::status(&server.vault).await.unwrap();
    assert!(after.sealed && after.progress == 0, "{after:?}");
    let not_a_share = seal::unseal(&server.vault, &Secret::new("not a key")).await.unwrap_err();
    assert!(matches!(not_a_share, VaultError::BadShare { .. }), "{not_a_share:?}");

    // Any three good shares open it.
    for share in &init.shares[2..5] {
        seal::unseal(&server.vault, share).await.unwrap();
    }
    assert!(!seal::status(&server.vault).await.unwrap().sealed);
    let secret = kv::resolve(&operator, "sting", &SecretRef::new("providers/openai", "api_key")).await.unwrap();
    assert_eq!(secret.expose(), "sk-test-123");
    let missing = kv::resolve(&operator, "sting", &SecretRef::new("providers/openai", "org")).await.unwrap_err();
    assert!(missing.to_string().contains("sting/providers/openai#org"), "{missing}");
}

/// A share of the same length as `like`, but not one of the shares.
fn base64_of_len(like: &str) -> String {
    use std::fmt::Write;
    let len = like.trim_end_matches('=').len();
    let mut text = String::new();
    for i in 0..len {
        let _ = write!(text, "{}", (b'A' + (i % 26) as u8) as char);
    }
    text + &"=".repeat(like.len() - len)
}

#[tokio::test]
async fn a_service_reads_its_own_secrets_and_nothing_else_with_a_secret_id_that_works_once() {
    let server = server(SealMode::Auto).await;
    let (_init, operator) = bootstrapped(&server, SealMode::Auto).await;
    let role_id = approle::role_id(&operator, "stingd").await.unwrap();

    let wrapped = approle::issue_wrapped_secret_id(&operator, "stingd", Duration::from_secs(300)).await.unwrap();
    let login = approle::login_wrapped(&server.vault, &role_id, &wrapped).await.unwrap();
    assert!(login.renewable && login.lease > Duration::ZERO, "{login:?}");
    let stingd = server.vault.with_token(login.token);
    assert!(kv::get(&stingd, "sting", "database/stingd").await.unwrap().is_some());
    assert!(kv::get(&stingd, "sting", "stingd/keys").await.unwrap().is_some());
    for forbidden in ["database/postgres", "anything/else"] {
        let denied = kv::get(&stingd, "sting", forbidden).await.unwrap_err();
        assert!(matches!(denied, VaultError::Denied { .. }), "{forbidden}: {denied:?}");
    }
    let write = kv::put(&stingd, "sting", "stingd/keys", &values(&[("session_key", "mine")]), None).await.unwrap_err();
    assert!(matches!(write, VaultError::Denied { .. }), "{write:?}");
    let ciphertext = transit::encrypt(&stingd, STINGD_TRANSIT_KEY, b"a data key").await.unwrap();
    assert!(ciphertext.starts_with("vault:v1:"));
    assert!(matches!(transit::rotate(&stingd, STINGD_TRANSIT_KEY).await.unwrap_err(), VaultError::Denied { .. }));
    let renewed = approle::renew_self(&stingd).await.unwrap();
    assert!(renewed.lease > Duration::ZERO);

    // The wrapping token opened once; the secret-id inside it logs in once.
    let reopened = approle::login_wrapped(&server.vault, &role_id, &wrapped).await.unwrap_err();
    assert!(matches!(reopened, VaultError::Refused { .. }), "{reopened:?}");
    let secret_id = approle::issue_secret_id(&operator, "stingd").await.unwrap();
    approle::login(&server.vault, &role_id, &secret_id).await.unwrap();
    let reused = approle::login(&server.vault, &role_id, &secret_id).await.unwrap_err();
    assert!(matches!(reused, VaultError::Refused { .. }), "{reused:?}");
    assert!(!reused.to_string().contains(secret_id.expose()));
}

#[tokio::test]
async fn the_operator_logs_in_only_from_its_own_addresses() {
    let server = server(SealMode::Auto).await;
    let init = bootstrap::initialise(&server.vault, SealMode::Auto, 1, 1).await.unwrap();
    let root = server.vault.with_token(init.root_token);
    // As if msting's requests had to come from the Docker bridge, not from this test's loopback.
    let elsewhere = Plan { operator_cidrs: vec!["10.99.0.1/32".into()], ..plan() };
    bootstrap::configure(&root, &elsewhere).await.unwrap();
    let (role_id, secret_id) = bootstrap::operator_credentials(&root).await.unwrap();
    let refused = approle::login(&server.vault, &role_id, &secret_id).await.unwrap_err();
    assert!(matches!(refused, VaultError::Refused { .. }), "{refused:?}");
    // From loopback, as configured for a host install, it works; and its token lives minutes.
    bootstrap::configure(&root, &plan()).await.unwrap();
    let (role_id, secret_id) = bootstrap::operator_credentials(&root).await.unwrap();
    let login = approle::login(&server.vault, &role_id, &secret_id).await.unwrap();
    assert_eq!(login.lease, Duration::from_secs(600));
}

#[tokio::test]
async fn an_expired_secret_id_is_refused() {
    let server = server(SealMode::Auto).await;
    let init = bootstrap::initialise(&server.vault, SealMode::Auto, 1, 1).await.unwrap();
    let root = server.vault.with_token(init.root_token);
    let short = Plan { service_secret_id_ttl: Duration::from_secs(1), ..plan() };
    let done = bootstrap::configure(&root, &short).await.unwrap();
    let secret_id = approle::issue_secret_id(&root, "stingd").await.unwrap();
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let expired = approle::login(&server.vault, &done.role_ids["stingd"], &secret_id).await.unwrap_err();
    assert!(matches!(expired, VaultError::Refused { .. }), "{expired:?}");
}

#[tokio::test]
async fn old_data_still_decrypts_after_the_key_is_rotated_and_rewraps_to_the_new_version() {
    let server = server(SealMode::Auto).await;
    let (_init, operator) = bootstrapped(&server, SealMode::Auto).await;
    let old = transit::encrypt(&operator, STINGD_TRANSIT_KEY, b"honey jar key").await;
    // The operator manages keys but does not encrypt: stingd does.
    assert!(matches!(old, Err(VaultError::Denied { .. })), "{old:?}");
    let role_id = approle::role_id(&operator, "stingd").await.unwrap();
    let wrapped = approle::issue_wrapped_secret_id(&operator, "stingd", Duration::from_secs(60)).await.unwrap();
    let stingd =
        server.vault.with_token(approle::login_wrapped(&server.vault, &role_id, &wrapped).await.unwrap().token);

    // Envelope encryption: a data key whose wrapped form opens back to the same key, for stingd
    // only.
    let key = transit::data_key(&stingd, STINGD_TRANSIT_KEY).await.unwrap();
    assert_eq!(key.plaintext.len(), 32);
    assert!(key.wrapped.starts_with("vault:v1:"));
    assert_eq!(*transit::decrypt(&stingd, STINGD_TRANSIT_KEY, &key.wrapped).await.unwrap(), *key.plaintext);
    let denied = transit::data_key(&operator, STINGD_TRANSIT_KEY).await;
    assert!(matches!(denied, Err(VaultError::Denied { .. })), "the operator rotates keys but never holds one");

    let old = transit::encrypt(&stingd, STINGD_TRANSIT_KEY, b"honey jar key").await.unwrap();
    let rotated = transit::rotate(&operator, STINGD_TRANSIT_KEY).await.unwrap();
    assert_eq!((rotated.latest_version, rotated.min_decryption_version), (2, 1));
    assert_eq!(rotated.versions.len(), 2);
    assert_eq!(&*transit::decrypt(&stingd, STINGD_TRANSIT_KEY, &old).await.unwrap(), b"honey jar key");
    let rewrapped = transit::rewrap(&stingd, STINGD_TRANSIT_KEY, &old).await.unwrap();
    assert!(rewrapped.starts_with("vault:v2:"), "{rewrapped}");
    assert_eq!(&*transit::decrypt(&stingd, STINGD_TRANSIT_KEY, &rewrapped).await.unwrap(), b"honey jar key");
}

#[tokio::test]
async fn errors_name_the_address_and_the_fix() {
    let port = free_port();
    let nowhere = Vault::new(Connection { address: format!("http://127.0.0.1:{port}"), ca_file: None }).unwrap();
    let error = seal::status(&nowhere).await.unwrap_err();
    assert!(matches!(error, VaultError::Unreachable { .. }));
    assert!(error.to_string().contains(&format!("127.0.0.1:{port}")), "{error}");
    assert!(error.is_transient());

    let server = server(SealMode::Manual).await;
    let bad = bootstrap::initialise(&server.vault, SealMode::Auto, 5, 3).await.unwrap_err();
    assert!(bad.to_string().contains("seal \"static\""), "{bad}");
    let bad = bootstrap::initialise(&server.vault, SealMode::Manual, 3, 5).await.unwrap_err();
    assert!(bad.to_string().contains("threshold"), "{bad}");
    let uninitialised = kv::get(&server.vault.with_token(Secret::new("x")), "sting", "a").await.unwrap_err();
    assert!(uninitialised.is_transient(), "{uninitialised:?}");
}
