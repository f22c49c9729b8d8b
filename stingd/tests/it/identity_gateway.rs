//! The gateway with a database: API tokens and session cookies are accepted beside the static
//! keys, a session changes state only from the site's own origin, and a disabled user is shut
//! out at once.

use std::time::Duration;

use crate::common::site::Site;
use crate::common::{API_KEY, chat_body};
use sting_e2e::postgres::PostgresInstance;
use stingd::db;
use stingd::identity::tokens;
use stingd::identity::users::{self, Role};
use stingd::identity::{credential::Aal, sessions};

const HOUR: Duration = Duration::from_secs(3600);

async fn setup() -> Site {
    Site::start("").await
}

fn origin(site: &Site) -> &str {
    &site.origin
}

#[tokio::test]
async fn api_tokens_and_sessions_are_accepted_and_a_cookie_needs_the_sites_origin_to_change_state() {
    let site = setup().await;
    let (pool, stingd) = (&site.pool, &site.stingd);
    let user = users::create(pool, "ana@example.org", Role::User).await.unwrap();
    let (_, token) = tokens::create(pool, user.id, "script", &["inference"], None).await.unwrap();
    let session = sessions::create(pool, user.id, Aal::One, HOUR).await.unwrap();
    let models = format!("{}/v1/models", stingd.base);

    assert_eq!(stingd.http.get(&models).bearer_auth(&token).send().await.unwrap().status(), 200);
    assert_eq!(
        stingd.http.get(&models).bearer_auth(API_KEY).send().await.unwrap().status(),
        200,
        "static keys still work"
    );
    assert_eq!(stingd.http.get(&models).bearer_auth("sting_forged").send().await.unwrap().status(), 401);
    let cookie = format!("{}={session}", sessions::COOKIE_NAME);
    assert_eq!(stingd.http.get(&models).header("cookie", &cookie).send().await.unwrap().status(), 200);
    assert_eq!(
        stingd.http.get(&models).header("cookie", "__Host-sting_session=sess_forged").send().await.unwrap().status(),
        401
    );

    // State changes with a cookie: only from the site's own pages.
    let chat = format!("{}/v1/chat/completions", stingd.base);
    let body = chat_body("nope", 1, false);
    let no_origin = stingd.http.post(&chat).header("cookie", &cookie).json(&body).send().await.unwrap();
    assert_eq!(no_origin.status(), 403);
    assert_eq!(no_origin.json::<serde_json::Value>().await.unwrap()["error"]["code"], "csrf_rejected");
    let foreign = stingd
        .http
        .post(&chat)
        .header("cookie", &cookie)
        .header("origin", "https://evil.example")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(foreign.status(), 403);
    let own = stingd
        .http
        .post(&chat)
        .header("cookie", &cookie)
        .header("origin", origin(&site))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(own.status(), 404, "past authentication and CSRF: the model does not exist");
    // A token is not a cookie: no origin needed.
    assert_eq!(stingd.http.post(&chat).bearer_auth(&token).json(&body).send().await.unwrap().status(), 404);
}

#[tokio::test]
async fn a_disabled_users_token_and_session_stop_working_at_once() {
    let site = setup().await;
    let (pool, stingd) = (&site.pool, &site.stingd);
    let admin = users::create(pool, "admin@example.org", Role::Admin).await.unwrap();
    let admin_cookie =
        format!("{}={}", sessions::COOKIE_NAME, sessions::create(pool, admin.id, Aal::Two, HOUR).await.unwrap());
    let user = users::create(pool, "gone@example.org", Role::User).await.unwrap();
    let (_, token) = tokens::create(pool, user.id, "script", &["inference"], None).await.unwrap();
    let session = sessions::create(pool, user.id, Aal::Two, HOUR).await.unwrap();
    let models = format!("{}/v1/models", stingd.base);
    let cookie = format!("{}={session}", sessions::COOKIE_NAME);
    // Used once each, so both are in stingd's credential cache.
    assert_eq!(stingd.http.get(&models).bearer_auth(&token).send().await.unwrap().status(), 200);
    assert_eq!(stingd.http.get(&models).header("cookie", &cookie).send().await.unwrap().status(), 200);

    let disable =
        site.post(&format!("/api/admin/users/{}/disable", user.id), Some(&admin_cookie), serde_json::json!({})).await;
    assert_eq!(disable.status(), 204);
    assert_eq!(stingd.http.get(&models).bearer_auth(&token).send().await.unwrap().status(), 401);
    assert_eq!(stingd.http.get(&models).header("cookie", &cookie).send().await.unwrap().status(), 401);
}

/// Polls `url` with `cookie` until it is refused; how long that took.
async fn until_refused(site: &Site, cookie: &str) -> Duration {
    let started = std::time::Instant::now();
    // Well under the cache's own limit (`MAX_AGE`), so only a notification explains a refusal.
    while started.elapsed() < stingd::identity::cache::MAX_AGE / 3 {
        if site.get("/api/me", cookie).await.status() == 401 {
            return started.elapsed();
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the revocation never reached stingd's credential cache");
}

#[tokio::test]
async fn a_revocation_made_elsewhere_reaches_the_cache_through_the_database_even_after_a_restart() {
    let site = setup().await;
    let pool = &site.pool;
    let user = users::create(pool, "elsewhere@example.org", Role::User).await.unwrap();
    let first = format!("{}={}", sessions::COOKIE_NAME, sessions::create(pool, user.id, Aal::One, HOUR).await.unwrap());
    let second =
        format!("{}={}", sessions::COOKIE_NAME, sessions::create(pool, user.id, Aal::One, HOUR).await.unwrap());
    assert_eq!(site.get("/api/me", &first).await.status(), 200);
    assert_eq!(site.get("/api/me", &second).await.status(), 200);

    // Another stingd, or an operator with psql: nothing tells this stingd but the database.
    sqlx::query("UPDATE users SET disabled_at = now() WHERE id = $1").bind(user.id).execute(pool).await.unwrap();
    until_refused(&site, &first).await;

    // A restart loses notifications sent meanwhile; while stingd cannot hear them it serves
    // nothing from memory, and it listens again once the database is back.
    sqlx::query("UPDATE users SET disabled_at = NULL WHERE id = $1").bind(user.id).execute(pool).await.unwrap();
    let third = format!("{}={}", sessions::COOKIE_NAME, sessions::create(pool, user.id, Aal::One, HOUR).await.unwrap());
    assert_eq!(site.get("/api/me", &third).await.status(), 200);
    site.world.pg.stop();
    // The listener notices the closed connection a moment after the server has gone.
    let mut refused = false;
    for _ in 0..100 {
        if site.get("/api/me", &third).await.status() == 503 {
            refused = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(refused, "no cached answer while revocations cannot be heard");
    site.world.pg.start_again();
    let mut status = 0;
    for _ in 0..200 {
        status = site.get("/api/me", &third).await.status().as_u16();
        if status == 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(status, 200, "back once the database is");
    sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user.id).execute(pool).await.unwrap();
    until_refused(&site, &third).await;
}

#[tokio::test]
async fn stingd_refuses_to_serve_on_a_schema_a_newer_release_contracted() {
    let pg = PostgresInstance::start();
    let pool = &db::connect(&pg.url(), 2, Duration::from_secs(5)).await.unwrap();
    db::migrate(pool).await.unwrap();
    let future = db::known_version() + 1;
    sqlx::query("INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) VALUES ($1, 'newer', true, '\\x00', 0)")
        .bind(future)
        .execute(pool)
        .await
        .unwrap();
    sqlx::query("INSERT INTO sting_schema_compat (version, min_reader) VALUES ($1, $1)")
        .bind(future)
        .execute(pool)
        .await
        .unwrap();

    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.yml");
    std::fs::write(&config, "version: 1\nllm:\n  models: []\n").unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_stingd"))
        .args(["serve", "--config"])
        .arg(&config)
        .args(["--listen", "127.0.0.1:0"])
        .env("STING_API_KEY", API_KEY)
        .env("STING_LLAMA_SERVER", "/bin/true")
        .env(db::DATABASE_URL_VAR, pg.url())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&format!("needs stingd of schema version {future} or newer")), "{stderr}");
}

#[tokio::test]
async fn the_model_list_shows_paths_pids_and_failures_to_admins_and_the_operator_only() {
    let site = setup().await;
    let (pool, stingd) = (&site.pool, &site.stingd);
    let cookie_of = |role: Role, email: &'static str| async move {
        let user = users::create(pool, email, role).await.unwrap();
        let session = sessions::create(pool, user.id, Aal::Two, HOUR).await.unwrap();
        format!("{}={session}", sessions::COOKIE_NAME)
    };
    let user = cookie_of(Role::User, "pat@example.org").await;
    let admin = cookie_of(Role::Admin, "root@example.org").await;
    let models = |header: (&'static str, String)| async move {
        let body: serde_json::Value = stingd
            .http
            .get(format!("{}/v1/models", stingd.base))
            .header(header.0, header.1)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        body["data"][0]["sting"].clone()
    };
    let seen_by_user = models(("cookie", user)).await;
    assert_eq!(seen_by_user["name"], "bee", "{seen_by_user}");
    assert!(seen_by_user["state"].is_string(), "{seen_by_user}");
    let text = seen_by_user.to_string();
    for detail in ["path", "pid", "sandbox", "stderr_tail", "memory_estimate", ".gguf"] {
        assert!(!text.contains(detail), "a user sees {detail}: {text}");
    }
    for who in [("cookie", admin), ("authorization", format!("Bearer {API_KEY}"))] {
        let seen = models(who).await;
        assert!(seen["path"].as_str().unwrap().ends_with(".gguf"), "{seen}");
    }
}
