//! stingd with Vault (a real OpenBao) and a PostgreSQL server that checks passwords: it waits
//! for a sealed Vault without dying and says so on `/health/ready`, serves once unsealed, logs
//! in with its wrapped secret-id once and keeps its token across restarts, resolves `vault-ref`s
//! (a remote model's key, checked by a real llama-server that demands it), and takes up the
//! database logins `msting secrets rotate` alternates without a failed request. stingd's token
//! is given an 8-second period here, so the test also shows it being renewed.

use std::os::unix::fs::PermissionsExt;
use std::time::{Duration, Instant};

use crate::common::{API_KEY, Stingd, chat_body, model};
use serde_json::Value;
use sting_e2e::Component;
use sting_e2e::bao::{ReadyVault, test_plan};
use sting_e2e::env::require_path;
use sting_e2e::postgres::PostgresInstance;
use sting_vault::bootstrap::Plan;
use sting_vault::{Secret, approle, kv, seal};
use stingd::identity::users::{self, Role};
use stingd::identity::{credential::Aal, sessions};

const REMOTE_KEY: &str = "remote-key-from-vault-7c1e93";

/// PostgreSQL with two logins acting as one owner role, the way rotation alternates them.
fn database() -> PostgresInstance {
    PostgresInstance::start_with_password_auth()
}

async fn admin(pg: &PostgresInstance, sql: &str) {
    let pool = sqlx::PgPool::connect(&pg.socket_url()).await.unwrap();
    sqlx::raw_sql(sql).execute(&pool).await.unwrap();
    pool.close().await;
}

async fn ready(stingd: &Stingd) -> (u16, Value) {
    let response = stingd.http.get(format!("{}/health/ready", stingd.base)).send().await.unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

async fn wait_ready(stingd: &mut Stingd, patience: Duration) {
    let started = Instant::now();
    loop {
        stingd.process.assert_running();
        let (status, body) = ready(stingd).await;
        if status == 200 {
            return;
        }
        assert!(started.elapsed() < patience, "not ready after {patience:?}: {body}\n{}", stingd.process.output());
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// What `/health/ready` says stingd waits for, once it mentions `needle` (503 throughout).
async fn wait_reason(stingd: &Stingd, needle: &str) -> String {
    let started = Instant::now();
    loop {
        let (status, body) = ready(stingd).await;
        assert_eq!(status, 503, "{body}");
        let reason = body["waiting_for"].as_str().unwrap_or_default().to_string();
        if reason.contains(needle) {
            // Programs (`msting doctor`) read what is awaited from its own field.
            let on = if reason.starts_with("waiting for Vault") { "vault" } else { "application" };
            assert_eq!(body["waiting_on"], on, "{body}");
            return reason;
        }
        assert!(started.elapsed() < Duration::from_secs(15), "still waiting for: {reason}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn stingd_waits_for_vault_logs_in_once_resolves_refs_and_takes_up_rotated_database_logins_under_load() {
    // Vault, initialised with one share so the test can seal and unseal it. stingd's token
    // gets an 8-second period, so the test also shows it being renewed.
    let ready = ReadyVault::start(&Plan { service_token_period: Duration::from_secs(8), ..test_plan() }).await;
    let (bao, vault, root) = (&ready.bao, &ready.vault, ready.root.clone());

    // The database as install leaves it: the owner role logs in with the generated password.
    let pg = database();
    let generated = kv::get(&root, "sting", "database/stingd").await.unwrap().unwrap()["password"].clone();
    admin(
        &pg,
        &format!(
            "CREATE ROLE sting LOGIN PASSWORD '{}'; GRANT CREATE, USAGE ON SCHEMA public TO sting;",
            generated.expose()
        ),
    )
    .await;
    let remote_key = [("api_key".to_string(), Secret::new(REMOTE_KEY))].into_iter().collect();
    kv::put(&root, "sting", "providers/far", &remote_key, None).await.unwrap();

    // stingd's files: its role-id and a wrapped secret-id, as msting mounts them.
    let files = tempfile::tempdir().unwrap();
    let auth_dir = files.path().join("vault-auth");
    std::fs::create_dir_all(&auth_dir).unwrap();
    std::fs::write(auth_dir.join("role-id"), &ready.role_ids["stingd"]).unwrap();
    let wrapped = approle::issue_wrapped_secret_id(&root, "stingd", Duration::from_secs(600)).await.unwrap();
    std::fs::write(auth_dir.join("secret-id"), wrapped.expose()).unwrap();
    let token_file = files.path().join("state/vault-token");

    // Sealed before stingd starts.
    seal::seal(&root).await.unwrap();
    let (_remote, remote_base) = crate::common::remote::llama_server_keyed(Some(REMOTE_KEY)).await;
    let sections = format!(
        "database:\n  host: 127.0.0.1\n  port: {}\n  name: postgres\n  user: sting\n  password: vault-ref:database/stingd#password\n  pool_size: 32\n",
        pg.port
    );
    let far = format!(
        "    - name: far\n      allow_remote: true\n      remote:\n        base_url: {remote_base}\n        model: far-model\n        api_key: vault-ref:providers/far#api_key\n"
    );
    let env = [
        ("STING_VAULT_ADDR", bao.address()),
        ("STING_VAULT_AUTH_DIR", auth_dir.to_str().unwrap()),
        ("STING_VAULT_TOKEN_FILE", token_file.to_str().unwrap()),
    ];
    let (llama, models) = (require_path(Component::LlamaServer), [model("bee", ""), far.clone()]);
    let start = || Stingd::start_full(&llama, &models, "", &sections, &env);
    let mut stingd = start().await;

    let waiting = wait_reason(&stingd, "sealed").await;
    assert!(waiting.contains("msting unseal"), "{waiting}");
    let early = stingd.http.get(format!("{}/v1/models", stingd.base)).bearer_auth(API_KEY).send().await.unwrap();
    assert_eq!(early.status(), 503);
    assert!(early.headers().contains_key("retry-after"));
    assert_eq!(early.json::<Value>().await.unwrap()["error"]["code"], "starting");
    tokio::time::sleep(Duration::from_secs(3)).await;
    stingd.process.assert_running();

    // Unsealed: stingd logs in, reads its secrets, connects, and serves.
    seal::unseal(vault, &ready.share).await.unwrap();
    wait_ready(&mut stingd, Duration::from_secs(40)).await;
    assert_eq!(std::fs::metadata(&token_file).unwrap().permissions().mode() & 0o777, 0o600);
    let models = stingd.http.get(format!("{}/v1/models", stingd.base)).bearer_auth(API_KEY).send().await.unwrap();
    assert_eq!(models.status(), 200);

    // The remote model's key came from Vault: the remote server, which demands it, answers.
    let answer = stingd.post("/v1/chat/completions", chat_body("far", 2, false)).send().await.unwrap();
    assert_eq!(answer.status(), 200, "{}", answer.text().await.unwrap());

    // Two rotations by msting while requests that read the database keep coming: the first
    // moves stingd from the owner's own login to sting_a, the second to sting_b. Not one
    // request fails, and once the pool grows its new connections are the new login's.
    let superuser = sqlx::PgPool::connect(&pg.socket_url()).await.unwrap();
    let reader = users::create(&superuser, "reader@example.org", Role::User).await.unwrap();
    let session = sessions::create(&superuser, reader.id, Aal::One, Duration::from_secs(3600)).await.unwrap();
    let cookie = format!("{}={session}", sessions::COOKIE_NAME);
    let running = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let width = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(4));
    let load = {
        let (http, base) = (stingd.http.clone(), stingd.base.clone());
        let (running, width) = (running.clone(), width.clone());
        tokio::spawn(async move {
            let mut statuses = Vec::new();
            while running.load(std::sync::atomic::Ordering::SeqCst) {
                let n = width.load(std::sync::atomic::Ordering::SeqCst);
                let burst = (0..n).map(|_| http.get(format!("{base}/api/tokens")).header("cookie", &cookie).send());
                for response in futures_util::future::join_all(burst).await {
                    statuses.push(response.map(|r| r.status().as_u16()).unwrap_or(0));
                }
            }
            statuses
        })
    };
    let admin_sql = msting::db_admin::DbAdmin::Local(msting::db_admin::LocalPsql {
        socket_dir: pg.socket_dir().to_path_buf(),
        port: pg.port,
        database: "postgres".into(),
    });
    let operator = root.clone();
    let settle = Duration::from_secs(8);
    for (expected, retired, wider) in [("sting_a", "sting", 12), ("sting_b", "sting_a", 24)] {
        let rotated = msting::rotate::rotate_database_login(&operator, "sting", &admin_sql, "sting", settle, |_| {})
            .await
            .unwrap();
        assert_eq!((rotated.login.as_deref(), rotated.retired.as_deref()), (Some(expected), Some(retired)));
        // More at once, so that the pool must open connections, which only the new login can.
        width.store(wider, std::sync::atomic::Ordering::SeqCst);
        tokio::time::sleep(Duration::from_secs(2)).await;
        let logins: Vec<String> = sqlx::query_scalar(
            "SELECT DISTINCT usename::text FROM pg_stat_activity WHERE usename LIKE 'sting%' AND backend_start > now() - interval '2 seconds'",
        )
        .fetch_all(&superuser)
        .await
        .unwrap();
        assert!(
            !logins.is_empty() && logins.iter().all(|l| l == expected),
            "new connections after rotating to {expected}: {logins:?}"
        );
    }
    running.store(false, std::sync::atomic::Ordering::SeqCst);
    let statuses = load.await.unwrap();
    assert!(statuses.len() > 100, "{} requests", statuses.len());
    assert!(statuses.iter().all(|s| *s == 200), "statuses: {statuses:?}");
    let stored = kv::get(&root, "sting", "database/stingd").await.unwrap().unwrap();
    assert_eq!(stored["username"].expose(), "sting_b");
    assert_ne!(stored["password"].expose(), generated.expose());

    // Restarted, stingd uses its kept token: the (spent) secret-id is not needed again.
    drop(stingd);
    let mut again = start().await;
    wait_ready(&mut again, Duration::from_secs(40)).await;

    // Without the kept token, the spent secret-id cannot log in: stingd waits and says why.
    drop(again);
    std::fs::remove_file(&token_file).unwrap();
    let stuck = start().await;
    let reason = wait_reason(&stuck, "secret-id").await;
    assert!(reason.contains("msting vault credentials stingd"), "{reason}");
    assert!(!reason.contains(wrapped.expose()));
}
