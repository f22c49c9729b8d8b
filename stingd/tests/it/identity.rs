//! Users and sign-in factors on a real PostgreSQL server of the test's own (and an OpenBao,
//! whose transit key seals TOTP secrets).

use std::time::Duration;

use sting_e2e::bao::{ReadyVault, test_plan};
use sting_e2e::postgres::PostgresInstance;
use stingd::db;
use stingd::identity::factors::TotpCheck;
use stingd::identity::users::{self, Role};
use stingd::identity::{IdentityError, factors};

async fn database() -> (PostgresInstance, sqlx::PgPool) {
    let pg = PostgresInstance::start();
    let pool = db::connect(&pg.url(), 8, Duration::from_secs(5)).await.unwrap();
    db::migrate(&pool).await.unwrap();
    (pg, pool)
}

/// The code an authenticator app would show for this secret at `time`.
fn code(secret_base32: &str, time: u64) -> String {
    let secret = totp_rs::Secret::try_from_base32(secret_base32).unwrap();
    let totp = totp_rs::Builder::new().with_secret(secret).with_digits(6).with_step_duration(30).build_noncompliant();
    totp.generate(time).to_string()
}

#[tokio::test]
async fn users_are_unique_by_email_whatever_its_case() {
    let (_pg, pool) = database().await;
    let ada = users::create(&pool, "Ada@Example.org", Role::Admin).await.unwrap();
    assert!(matches!(users::create(&pool, "ada@example.ORG", Role::User).await, Err(IdentityError::EmailTaken)));
    assert!(matches!(users::create(&pool, "not-an-email", Role::User).await, Err(IdentityError::InvalidEmail)));
    let found = users::find_by_email(&pool, " ADA@example.org ").await.unwrap().unwrap();
    assert_eq!(found.id, ada.id);
    assert_eq!(found.role, Role::Admin);
    assert!(users::find_by_email(&pool, "nobody@example.org").await.unwrap().is_none());
}

#[tokio::test]
async fn a_totp_code_is_accepted_once_and_never_for_an_older_step() {
    let (_pg, pool) = database().await;
    let ready = ReadyVault::start(&test_plan()).await;
    let vault = &ready.root;
    let user = users::create(&pool, "bee@example.org", Role::User).await.unwrap();
    let enrolment = factors::enrol_totp(&pool, vault, user.id, &user.email).await.unwrap();
    assert!(enrolment.otpauth_url.starts_with("otpauth://totp/STING:bee%40example.org?"), "{}", enrolment.otpauth_url);
    assert_eq!(enrolment.secret_base32.len(), 32, "160 bits");

    let now = 1_800_000_000;
    let current = code(&enrolment.secret_base32, now);
    assert!(factors::verify_totp(&pool, vault, user.id, &current, now, TotpCheck::Current).await.unwrap());
    assert!(
        !factors::verify_totp(&pool, vault, user.id, &current, now + 5, TotpCheck::Current).await.unwrap(),
        "the same code twice: replay"
    );

    let next = code(&enrolment.secret_base32, now + 30);
    assert!(factors::verify_totp(&pool, vault, user.id, &next, now + 30, TotpCheck::Current).await.unwrap());
    let earlier = code(&enrolment.secret_base32, now - 30);
    assert!(
        !factors::verify_totp(&pool, vault, user.id, &earlier, now + 30, TotpCheck::Current).await.unwrap(),
        "older than the last accepted step"
    );
    let wrong = if code(&enrolment.secret_base32, now + 60) == "000000" { "111111" } else { "000000" };
    assert!(
        !factors::verify_totp(&pool, vault, user.id, wrong, now + 60, TotpCheck::Current).await.unwrap(),
        "a wrong code"
    );
    // One step of clock drift is tolerated, two are not.
    let drifted = code(&enrolment.secret_base32, now + 120);
    assert!(factors::verify_totp(&pool, vault, user.id, &drifted, now + 90, TotpCheck::Current).await.unwrap());
    let far = code(&enrolment.secret_base32, now + 300);
    assert!(!factors::verify_totp(&pool, vault, user.id, &far, now + 200, TotpCheck::Current).await.unwrap());
}

#[tokio::test]
async fn totp_secrets_are_kept_sealed_and_open_only_for_their_own_account() {
    let (_pg, pool) = database().await;
    let ready = ReadyVault::start(&test_plan()).await;
    let vault = &ready.root;
    let ann = users::create(&pool, "ann@example.org", Role::User).await.unwrap();
    let bob = users::create(&pool, "bob@example.org", Role::User).await.unwrap();
    let enrolment = factors::enrol_totp(&pool, vault, ann.id, &ann.email).await.unwrap();
    factors::enrol_totp(&pool, vault, bob.id, &bob.email).await.unwrap();

    // What the database (and so a dump of it) holds makes no codes: Vault's ciphertext only.
    let secret = totp_rs::Secret::try_from_base32(&enrolment.secret_base32).unwrap().as_bytes().to_vec();
    let (plain, sealed): (Option<Vec<u8>>, String) =
        sqlx::query_as("SELECT secret, sealed_secret FROM totp_factors WHERE user_id = $1")
            .bind(ann.id)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(plain, None);
    assert!(sealed.starts_with("vault:v1:"), "{sealed}");
    let row: String = sqlx::query_scalar("SELECT row_to_json(t)::text FROM totp_factors t WHERE user_id = $1")
        .bind(ann.id)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(!row.contains(&enrolment.secret_base32) && !row.contains(&hex(&secret)), "{row}");

    // Ann's sealed secret copied into Bob's row does not make Ann's codes Bob's.
    sqlx::query("UPDATE totp_factors SET sealed_secret = $1 WHERE user_id = $2")
        .bind(&sealed)
        .bind(bob.id)
        .execute(&pool)
        .await
        .unwrap();
    let now = 1_800_000_000;
    let anns_code = code(&enrolment.secret_base32, now);
    let copied = factors::verify_totp(&pool, vault, bob.id, &anns_code, now, TotpCheck::Current).await;
    assert!(matches!(copied, Err(IdentityError::MisplacedSecret)), "{copied:?}");

    // A secret stored plain (before secrets were sealed) is sealed, and still makes its codes.
    let carl = users::create(&pool, "carl@example.org", Role::User).await.unwrap();
    sqlx::query("INSERT INTO totp_factors (user_id, secret, confirmed_at) VALUES ($1, $2, now())")
        .bind(carl.id)
        .bind(&secret)
        .execute(&pool)
        .await
        .unwrap();
    let before = factors::verify_totp(&pool, vault, carl.id, &anns_code, now, TotpCheck::Current).await;
    assert!(matches!(before, Err(IdentityError::UnsealedSecret)), "a plain secret is not used: {before:?}");
    assert_eq!(factors::seal_plain_secrets(&pool, vault).await.unwrap(), 1);
    assert_eq!(factors::seal_plain_secrets(&pool, vault).await.unwrap(), 0, "nothing left to seal");
    let plain: i64 =
        sqlx::query_scalar("SELECT count(*) FROM totp_factors WHERE secret IS NOT NULL OR pending_secret IS NOT NULL")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(plain, 0);
    assert!(factors::verify_totp(&pool, vault, carl.id, &anns_code, now, TotpCheck::Current).await.unwrap());
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[tokio::test]
async fn the_same_code_sent_eight_times_at_once_is_accepted_exactly_once() {
    let (_pg, pool) = database().await;
    let ready = ReadyVault::start(&test_plan()).await;
    let vault = ready.root.clone();
    let user = users::create(&pool, "race@example.org", Role::User).await.unwrap();
    let enrolment = factors::enrol_totp(&pool, &vault, user.id, &user.email).await.unwrap();
    let now = 1_800_000_000;
    let current = code(&enrolment.secret_base32, now);
    let attempts = (0..8).map(|_| {
        let (pool, vault, current) = (pool.clone(), vault.clone(), current.clone());
        tokio::spawn(async move {
            factors::verify_totp(&pool, &vault, user.id, &current, now, TotpCheck::Current).await.unwrap()
        })
    });
    let accepted = futures_util::future::join_all(attempts).await.into_iter().filter(|r| *r.as_ref().unwrap()).count();
    assert_eq!(accepted, 1);
}

#[tokio::test]
async fn passwords_are_argon2id_and_an_unknown_account_looks_like_a_wrong_password() {
    let (_pg, pool) = database().await;
    let user = users::create(&pool, "pw@example.org", Role::User).await.unwrap();
    assert!(matches!(
        factors::set_password(&pool, user.id, "short").await,
        Err(IdentityError::PasswordTooShort { min: 12 })
    ));
    factors::set_password(&pool, user.id, "correct horse battery").await.unwrap();
    let stored: String = sqlx::query_scalar("SELECT hash FROM password_factors").fetch_one(&pool).await.unwrap();
    assert!(stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{stored}");
    assert!(!stored.contains("horse"));

    assert_eq!(
        factors::verify_password(&pool, "PW@example.org", "correct horse battery").await.unwrap(),
        Some(user.id)
    );
    assert_eq!(factors::verify_password(&pool, "pw@example.org", "wrong horse battery").await.unwrap(), None);
    assert_eq!(factors::verify_password(&pool, "nobody@example.org", "correct horse battery").await.unwrap(), None);
}

#[tokio::test]
async fn recovery_codes_work_once_and_new_ones_replace_the_old() {
    let (_pg, pool) = database().await;
    let user = users::create(&pool, "lost@example.org", Role::User).await.unwrap();
    let codes = factors::new_recovery_codes(&pool, user.id).await.unwrap();
    assert_eq!(codes.len(), 10);
    assert!(codes.iter().all(|c| c.len() == 11 && c.as_bytes()[5] == b'-'), "{codes:?}");
    let unique: std::collections::HashSet<_> = codes.iter().collect();
    assert_eq!(unique.len(), 10);
    let stored: Vec<Vec<u8>> =
        sqlx::query_scalar("SELECT code_hash FROM recovery_codes").fetch_all(&pool).await.unwrap();
    assert!(
        stored.iter().all(|h| h.len() == 32 && !codes.iter().any(|c| h.windows(5).any(|w| w == &c.as_bytes()[..5])))
    );

    assert!(
        factors::use_recovery_code(&pool, user.id, &codes[0].to_uppercase().replace('-', " ")).await.unwrap(),
        "case and separators do not matter"
    );
    assert!(!factors::use_recovery_code(&pool, user.id, &codes[0]).await.unwrap(), "once only");
    let fresh = factors::new_recovery_codes(&pool, user.id).await.unwrap();
    assert!(!factors::use_recovery_code(&pool, user.id, &codes[1]).await.unwrap(), "old codes die with the new set");
    assert!(factors::use_recovery_code(&pool, user.id, &fresh[1]).await.unwrap());
}

#[tokio::test]
async fn the_magic_link_cap_holds_when_requests_for_one_address_arrive_together() {
    let (_pg, pool) = database().await;
    users::create(&pool, "burst@example.org", Role::User).await.unwrap();
    let attempts = (0..8).map(|_| {
        let pool = pool.clone();
        tokio::spawn(async move {
            stingd::identity::magic::issue(&pool, "burst@example.org", std::time::Duration::from_secs(600))
                .await
                .unwrap()
        })
    });
    let issued =
        futures_util::future::join_all(attempts).await.into_iter().filter(|r| r.as_ref().unwrap().is_some()).count();
    assert_eq!(issued as i64, stingd::identity::magic::PER_ADDRESS);
}
