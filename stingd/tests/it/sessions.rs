//! Sessions, API tokens, disabling a user, enrolment links and `stingd admin create`, on a real
//! PostgreSQL server of the test's own.

use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use sting_e2e::postgres::PostgresInstance;
use stingd::db;
use stingd::identity::cache::CredentialCache;
use stingd::identity::users::{self, Role};
use stingd::identity::{credential::Aal, sessions};
use stingd::identity::{enrolment, factors, tokens};

/// A database and a credential cache listening to it, as stingd runs them: every check below
/// goes through the cache, so a revocation that only reached the database would show.
async fn database() -> (PostgresInstance, sqlx::PgPool, Arc<CredentialCache>) {
    let pg = PostgresInstance::start();
    let pool = db::connect(&pg.url(), 4, Duration::from_secs(5)).await.unwrap();
    db::migrate(&pool).await.unwrap();
    let cache = CredentialCache::new(Duration::from_secs(60));
    tokio::spawn(cache.clone().listen(pool.clone()));
    while !cache.is_live() {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    (pg, pool, cache)
}

const HOUR: Duration = Duration::from_secs(3600);

#[tokio::test]
async fn a_session_carries_its_user_role_and_assurance_and_a_rotated_id_kills_the_old_one() {
    let (_pg, pool, cache) = database().await;
    let user = users::create(&pool, "mod@example.org", Role::Moderator).await.unwrap();
    let id = sessions::create(&pool, user.id, Aal::One, HOUR).await.unwrap();
    assert!(id.starts_with("sess_"));
    let session = sessions::authenticate(&pool, &cache, &id, HOUR).await.unwrap().unwrap();
    assert_eq!((session.user, session.role, session.aal), (user.id, Role::Moderator, Aal::One));

    // Another user's proof never raises this session, and leaves it as it was.
    let other = users::create(&pool, "other@example.org", Role::User).await.unwrap();
    let sid = sessions::SessionId::new(&id);
    assert!(sessions::rotate(&pool, &cache, &sid, other.id, Aal::Two).await.unwrap().is_none());
    assert_eq!(sessions::authenticate(&pool, &cache, &id, HOUR).await.unwrap().unwrap().aal, Aal::One);

    // Stepping up to AAL2 issues a new id: the old one (perhaps planted) is dead.
    let stepped = sessions::rotate(&pool, &cache, &sid, user.id, Aal::Two).await.unwrap().unwrap();
    assert!(sessions::authenticate(&pool, &cache, &id, HOUR).await.unwrap().is_none(), "session fixation");
    assert_eq!(sessions::authenticate(&pool, &cache, &stepped, HOUR).await.unwrap().unwrap().aal, Aal::Two);
    assert!(sessions::rotate(&pool, &cache, &sid, user.id, Aal::Two).await.unwrap().is_none());

    let stored: Vec<Vec<u8>> = sqlx::query_scalar("SELECT id_hash FROM sessions").fetch_all(&pool).await.unwrap();
    assert!(
        stored.iter().all(|h| h.len() == 32 && !h.windows(8).any(|w| stepped.as_bytes().windows(8).any(|s| s == w)))
    );
    let cookie = sessions::cookie(&stepped, HOUR);
    assert!(cookie.starts_with("__Host-") && !cookie.contains("Domain"), "a host-only cookie: {cookie}");
    assert!(cookie.ends_with("; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=3600"));
    assert!(sessions::authenticate(&pool, &cache, "sess_forged", HOUR).await.unwrap().is_none());
}

#[tokio::test]
async fn sessions_end_when_idle_or_past_their_absolute_lifetime_and_reset_ends_them_all() {
    let (_pg, pool, cache) = database().await;
    let user = users::create(&pool, "idle@example.org", Role::User).await.unwrap();
    let idle = sessions::create(&pool, user.id, Aal::One, HOUR).await.unwrap();
    let short = sessions::create(&pool, user.id, Aal::One, Duration::from_secs(1)).await.unwrap();
    let other = sessions::create(&pool, user.id, Aal::One, HOUR).await.unwrap();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(
        sessions::authenticate(&pool, &cache, &idle, Duration::from_secs(1)).await.unwrap().is_none(),
        "idle too long"
    );
    assert!(sessions::authenticate(&pool, &cache, &short, HOUR).await.unwrap().is_none(), "past its absolute expiry");
    assert!(sessions::authenticate(&pool, &cache, &other, HOUR).await.unwrap().is_some());
    assert_eq!(sessions::revoke_all(&pool, &cache).await.unwrap(), 3);
    assert!(sessions::authenticate(&pool, &cache, &other, HOUR).await.unwrap().is_none());
}

#[tokio::test]
async fn api_tokens_are_shown_once_scoped_expiring_and_revocable() {
    let (_pg, pool, cache) = database().await;
    let user = users::create(&pool, "bot@example.org", Role::User).await.unwrap();
    let (id, secret) = tokens::create(&pool, user.id, "ci", &["chat", "models:read"], None).await.unwrap();
    let owner = tokens::authenticate(&pool, &cache, &secret).await.unwrap().unwrap();
    assert_eq!(owner.user, user.id);
    assert_eq!(owner.scopes, ["chat", "models:read"]);
    let stored: Vec<u8> = sqlx::query_scalar("SELECT secret_hash FROM api_tokens").fetch_one(&pool).await.unwrap();
    assert_eq!(stored.len(), 32, "only a hash is kept");

    tokens::revoke(&pool, &cache, user.id, id).await.unwrap();
    assert!(tokens::authenticate(&pool, &cache, &secret).await.unwrap().is_none());

    let (_, brief) = tokens::create(&pool, user.id, "brief", &[], Some(Duration::from_secs(1))).await.unwrap();
    assert!(tokens::authenticate(&pool, &cache, &brief).await.unwrap().is_some());
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert!(tokens::authenticate(&pool, &cache, &brief).await.unwrap().is_none(), "expired");
    assert!(tokens::authenticate(&pool, &cache, "not-a-token").await.unwrap().is_none());
}

#[tokio::test]
async fn disabling_a_user_stops_every_session_token_and_password_at_once() {
    let (_pg, pool, cache) = database().await;
    let user = users::create(&pool, "leaver@example.org", Role::User).await.unwrap();
    factors::set_password(&pool, user.id, "a long enough password").await.unwrap();
    let session = sessions::create(&pool, user.id, Aal::Two, HOUR).await.unwrap();
    let (_, token) = tokens::create(&pool, user.id, "laptop", &[], None).await.unwrap();
    let bystander = users::create(&pool, "stays@example.org", Role::User).await.unwrap();
    let kept = sessions::create(&pool, bystander.id, Aal::One, HOUR).await.unwrap();

    users::disable(&pool, &cache, user.id).await.unwrap();
    assert!(sessions::authenticate(&pool, &cache, &session, HOUR).await.unwrap().is_none());
    assert!(tokens::authenticate(&pool, &cache, &token).await.unwrap().is_none());
    assert!(factors::verify_password(&pool, "leaver@example.org", "a long enough password").await.unwrap().is_none());
    assert!(users::find_by_email(&pool, "leaver@example.org").await.unwrap().unwrap().disabled);
    assert!(sessions::authenticate(&pool, &cache, &kept, HOUR).await.unwrap().is_some(), "other users are untouched");
}

#[tokio::test]
async fn admin_create_prints_a_one_time_enrolment_link_and_refuses_a_pipe_without_consent() {
    let pg = PostgresInstance::start();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.yml");
    std::fs::write(
        &config,
        "version: 1\nsystem:\n  domain: sting.example.org\nservices:\n  stingd:\n    https_port: 8443\n",
    )
    .unwrap();
    let run = |extra: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_stingd"))
            .args(["admin", "create", "--email", "root@example.org", "--config"])
            .arg(&config)
            .args(extra)
            .env(db::DATABASE_URL_VAR, pg.url())
            .output()
            .unwrap()
    };
    let refused = run(&[]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("stdout is not a terminal"));

    let out = run(&["--stdout"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let link = stdout.lines().find(|l| l.starts_with("https://")).unwrap();
    let token = link.strip_prefix("https://sting.example.org:8443/enrol#").unwrap_or_else(|| panic!("{link}"));

    let pool = db::connect(&pg.url(), 2, Duration::from_secs(5)).await.unwrap();
    let admin = users::find_by_email(&pool, "root@example.org").await.unwrap().unwrap();
    assert_eq!(admin.role, Role::Admin);
    assert_eq!(enrolment::consume(&pool, token).await.unwrap(), Some(admin.id));
    assert_eq!(enrolment::consume(&pool, token).await.unwrap(), None, "a link works once");

    let again = run(&["--stdout"]);
    // Its own exit code, which `msting install` acts on (an admin made before is no failure).
    assert_eq!(again.status.code(), Some(3), "{}", String::from_utf8_lossy(&again.stderr));
    assert!(String::from_utf8_lossy(&again.stderr).contains("root@example.org already has an account"));

    // With Kratos signing in, admins are Kratos identities: no local enrolment link.
    std::fs::write(&config, "version: 1\nauth:\n  provider: kratos\n").unwrap();
    let kratos = Command::new(env!("CARGO_BIN_EXE_stingd"))
        .args(["admin", "create", "--email", "other@example.org", "--stdout", "--config"])
        .arg(&config)
        .env(db::DATABASE_URL_VAR, pg.url())
        .output()
        .unwrap();
    assert!(!kratos.status.success());
    assert!(String::from_utf8_lossy(&kratos.stderr).contains("trait `role: admin`"));
    assert!(users::find_by_email(&pool, "other@example.org").await.unwrap().is_none());
}
