//! stingd's database layer on real PostgreSQL servers of the tests' own: migrations, the refusal
//! of a schema a newer release contracted, and surviving a database restart.

use std::process::Command;
use std::time::{Duration, Instant};

use sting_e2e::postgres::PostgresInstance;
use stingd::db;

fn stingd_db(url: &str, action: &str) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_stingd")).args(["db", action]).env(db::DATABASE_URL_VAR, url).output().unwrap()
}

fn status_of(out: &std::process::Output) -> serde_json::Value {
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[tokio::test]
async fn migrations_apply_once_and_a_second_run_changes_nothing() {
    let pg = PostgresInstance::start();
    let before = status_of(&stingd_db(&pg.url(), "status"));
    assert_eq!(before["applied"], serde_json::json!([]));

    let after = status_of(&stingd_db(&pg.url(), "migrate"));
    let known = db::known_version();
    assert_eq!(after["applied"], serde_json::json!((1..=known).collect::<Vec<_>>()));
    assert_eq!(after["known"], known);
    // Migration 12 seals TOTP secrets: no stingd from before it can check a code.
    assert_eq!(after["min_reader"], 12);

    let pool = db::connect(&pg.url(), 1, Duration::from_secs(5)).await.unwrap();
    for table in ["users", "sessions", "api_tokens", "audit_events"] {
        let found: Option<String> =
            sqlx::query_scalar("SELECT to_regclass($1)::text").bind(table).fetch_one(&pool).await.unwrap();
        assert_eq!(found.as_deref(), Some(table));
    }
    assert_eq!(status_of(&stingd_db(&pg.url(), "migrate")), after, "idempotent");
}

/// Pretends a newer release migrated the database, declaring which readers it still allows.
async fn apply_foreign_migration(pool: &sqlx::PgPool, version: i64, min_reader: i64) {
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) VALUES ($1, 'from a newer release', true, '\\x00', 0)",
    )
    .bind(version)
    .execute(pool)
    .await
    .unwrap();
    sqlx::query("INSERT INTO sting_schema_compat (version, min_reader) VALUES ($1, $2)")
        .bind(version)
        .bind(min_reader)
        .execute(pool)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_newer_expand_migration_is_accepted_and_a_newer_contract_refused() {
    let pg = PostgresInstance::start();
    status_of(&stingd_db(&pg.url(), "migrate"));
    let pool = db::connect(&pg.url(), 1, Duration::from_secs(5)).await.unwrap();

    let known = db::known_version();

    // A newer release added things (expand) and said this release's code may still run: we run.
    apply_foreign_migration(&pool, known + 1, known).await;
    let status = status_of(&stingd_db(&pg.url(), "migrate"));
    assert_eq!(status["applied"].as_array().unwrap().last().unwrap(), known + 1);

    // Then it removed something (contract): this release's code must not run any more.
    apply_foreign_migration(&pool, known + 2, known + 2).await;
    let refused = stingd_db(&pg.url(), "migrate");
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    let expected =
        format!("needs stingd of schema version {} or newer, and this stingd knows version {known}", known + 2);
    assert!(stderr.contains(&expected), "{stderr}");
    assert!(stderr.contains("restore the backup"), "{stderr}");
    let error = db::migrate(&pool).await.unwrap_err();
    assert!(
        matches!(error, db::DbError::NewerSchema { needed, known: k } if needed == known + 2 && k == known),
        "{error}"
    );
}

#[tokio::test]
async fn the_pool_survives_a_database_restart() {
    let pg = PostgresInstance::start();
    let pool = db::connect(&pg.url(), 4, Duration::from_secs(5)).await.unwrap();
    let one: i32 = sqlx::query_scalar("SELECT 1").fetch_one(&pool).await.unwrap();
    assert_eq!(one, 1);
    // Hold connections open across the restart, so the pool has stale ones to discard.
    let held: Vec<_> = futures_util::future::join_all((0..3).map(|_| pool.acquire())).await;
    drop(held);

    pg.restart();

    // The same pool, no new one: after the restart every query succeeds.
    let start = Instant::now();
    let mut failures_after_restart = 0;
    for _ in 0..50 {
        match sqlx::query_scalar::<_, i32>("SELECT 2").fetch_one(&pool).await {
            Ok(2) => {}
            other => {
                failures_after_restart += 1;
                assert!(start.elapsed() < Duration::from_secs(20), "the pool never recovered: {other:?}");
            }
        }
    }
    assert_eq!(failures_after_restart, 0, "stale connections must be replaced before use, not handed out");
}

#[tokio::test]
async fn an_unreachable_database_is_named_without_its_password() {
    let closed = sting_e2e::free_port();
    let out = stingd_db(&format!("postgres://sting:hunter2@127.0.0.1:{closed}/sting"), "status");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("cannot connect to PostgreSQL at postgres://127.0.0.1:{closed}/sting")),
        "{stderr}"
    );
    assert!(!stderr.contains("hunter2"));

    let out = Command::new(env!("CARGO_BIN_EXE_stingd"))
        .args(["db", "status"])
        .env_remove(db::DATABASE_URL_VAR)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("STING_DATABASE_URL is not set"));
}
