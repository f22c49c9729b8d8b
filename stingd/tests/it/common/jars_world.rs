//! A world for Honey Jar tests: a real OpenBao (manually unsealed, so a test can seal it),
//! PostgreSQL with the schema, and stingd on them with its own Vault login; people signed in
//! by role; requests as them.

use std::time::Duration;

use serde_json::{Value, json};
use sting_e2e::Component;
use sting_e2e::bao::{ReadyVault, TestBao, test_plan};
use sting_e2e::env::require_path;
use sting_e2e::postgres::PostgresInstance;
use sting_vault::{Secret, Vault, approle, kv};
use stingd::identity::credential::Aal;
use stingd::identity::users::{self, Role};

use super::{Stingd, model};

pub struct World {
    pub bao: TestBao,
    pub root: Vault,
    pub pg: PostgresInstance,
    pub pool: sqlx::PgPool,
    pub files: tempfile::TempDir,
    pub role_id: String,
}

pub async fn world() -> World {
    // Manual unsealing, so that a sealed Vault stays sealed for as long as the test wants.
    let ready = ReadyVault::start(&test_plan()).await;
    let root = ready.root.clone();
    let pg = PostgresInstance::start();
    let login = [("username".to_string(), Secret::new("postgres")), ("password".to_string(), Secret::new("trusted"))];
    kv::put(&root, "sting", "database/stingd", &login.into_iter().collect(), None).await.unwrap();
    let pool = stingd::db::connect(&pg.url(), 4, Duration::from_secs(5)).await.unwrap();
    stingd::db::migrate(&pool).await.unwrap();
    let role_id = ready.role_ids["stingd"].clone();
    World { bao: ready.bao, root, pg, pool, files: tempfile::tempdir().unwrap(), role_id }
}

/// A stingd on `world` with this PII mode; each start gets a fresh wrapped secret-id.
pub async fn stingd(world: &World, pii_mode: &str) -> Stingd {
    stingd_with_env(world, pii_mode).await.0
}

/// The same, and the environment it runs with (for `stingd admin` commands beside it).
pub async fn stingd_with_env(world: &World, pii_mode: &str) -> (Stingd, Vec<(String, String)>) {
    stingd_custom(world, pii_mode, &[model("bee", "")], "").await
}

/// A stingd on `world` with these models and extra config sections.
pub async fn stingd_custom(
    world: &World,
    pii_mode: &str,
    models: &[String],
    extra_sections: &str,
) -> (Stingd, Vec<(String, String)>) {
    stingd_configured(world, pii_mode, models, "", extra_sections).await
}

/// The same, with more `honey_jars` keys (`"  key: value\n"` lines).
pub async fn stingd_configured(
    world: &World,
    pii_mode: &str,
    models: &[String],
    honey_jars_extra: &str,
    extra_sections: &str,
) -> (Stingd, Vec<(String, String)>) {
    // Small by default, so that size limits are quick to reach; a test may set its own.
    let sizes = if honey_jars_extra.contains("max_document_size") {
        ""
    } else {
        "  max_document_size: 64k\n  user_quota: 1m\n"
    };
    let sections = format!(
        "honey_jars:\n{sizes}  min_score: 0.01\n{honey_jars_extra}\
         pii:\n  mode: {pii_mode}\n  entities: [email, phone, credit-card, iban, ssn, ip-address]\n"
    ) + extra_sections;
    stingd_on(world, models, &sections).await
}

/// A stingd on `world`'s Vault and database with these config sections (beside `database`),
/// ready: each start gets a fresh wrapped secret-id.
pub async fn stingd_on(world: &World, models: &[String], sections: &str) -> (Stingd, Vec<(String, String)>) {
    stingd_on_with(world, models, sections, &[]).await
}

/// The same, with more environment (`STING_CERTS_DIR` serves HTTPS from that folder).
pub async fn stingd_on_with(
    world: &World,
    models: &[String],
    sections: &str,
    extra_env: &[(&str, &str)],
) -> (Stingd, Vec<(String, String)>) {
    let auth = world.files.path().join(format!("auth-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&auth).unwrap();
    std::fs::write(auth.join("role-id"), &world.role_id).unwrap();
    let wrapped = approle::issue_wrapped_secret_id(&world.root, "stingd", Duration::from_secs(600)).await.unwrap();
    std::fs::write(auth.join("secret-id"), wrapped.expose()).unwrap();
    let sections = format!(
        "database:\n  host: 127.0.0.1\n  port: {}\n  name: postgres\n  user: postgres\n  password: vault-ref:database/stingd#password\n",
        world.pg.port
    ) + sections;
    let token = auth.join("token");
    let mut env = vec![
        ("STING_VAULT_ADDR", world.bao.address()),
        ("STING_VAULT_AUTH_DIR", auth.to_str().unwrap()),
        ("STING_VAULT_TOKEN_FILE", token.to_str().unwrap()),
        ("STING_DATA_DIR", world.files.path().to_str().unwrap()),
    ];
    env.extend_from_slice(extra_env);
    let mut stingd = Stingd::start_full(&require_path(Component::LlamaServer), models, "", &sections, &env).await;
    let env: Vec<(String, String)> = env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    for _ in 0..200 {
        stingd.process.assert_running();
        let ready = stingd.http.get(format!("{}/health/ready", stingd.base)).send().await.unwrap();
        if ready.status() == 200 {
            return (stingd, env);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("stingd did not become ready:\n{}", stingd.process.output());
}

pub async fn signed_in(world: &World, email: &str, role: Role) -> String {
    let user = match users::find_by_email(&world.pool, email).await.unwrap() {
        Some(user) => user,
        None => users::create(&world.pool, email, role).await.unwrap(),
    };
    super::site::cookie_for(&world.pool, user.id, Aal::Two).await
}

pub fn origin(stingd: &Stingd) -> String {
    format!("https://localhost:{}", stingd.base.rsplit(':').next().unwrap())
}

pub async fn send(
    stingd: &Stingd,
    method: reqwest::Method,
    path: &str,
    cookie: &str,
    body: Option<Vec<u8>>,
) -> (u16, Value) {
    let mut request = stingd
        .http
        .request(method, format!("{}{path}", stingd.base))
        .header("cookie", cookie)
        .header("origin", origin(stingd));
    if let Some(body) = body {
        request = request.body(body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

pub async fn upload(stingd: &Stingd, cookie: &str, jar: &str, name: &str, bytes: &[u8]) -> (u16, Value) {
    send(stingd, reqwest::Method::POST, &format!("/api/jars/{jar}/documents?name={name}"), cookie, Some(bytes.to_vec()))
        .await
}

pub async fn search(stingd: &Stingd, cookie: &str, q: &str) -> Vec<Value> {
    let (status, body) = send(stingd, reqwest::Method::GET, &format!("/api/search?q={q}"), cookie, None).await;
    assert_eq!(status, 200, "{body}");
    body["results"].as_array().unwrap().clone()
}

pub async fn new_jar(stingd: &Stingd, cookie: &str, name: &str) -> String {
    let body = serde_json::to_vec(&json!({"name": name})).unwrap();
    let response = stingd
        .http
        .post(format!("{}/api/jars", stingd.base))
        .header("cookie", cookie)
        .header("origin", origin(stingd))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    response.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_string()
}
