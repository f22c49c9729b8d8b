//! Signing in over HTTP, as a browser would: an enrolment link, TOTP setup and confirmation,
//! then password with a second factor; session ids that change at every step; sign-out; and
//! the `auth` zone slowing guessing.

use crate::common::site::{Site, first_factor_cookie, session_cookie, totp_code};
use serde_json::{Value, json};
use stingd::identity::users::{self, Role};
use stingd::identity::{enrolment, factors};

async fn site(auth_zone: &str) -> Site {
    Site::start(&format!(
        "  rate_limits:\n    api: 100000/s\n    ai: 100000/s\n    auth: {auth_zone}\n    per_user:\n      api: 100000/s\n      ai: 100000/s\n      auth: 100000/s\n"
    ))
    .await
}

fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}

#[tokio::test]
async fn an_admin_enrols_with_totp_reaches_aal2_and_signs_in_again_with_password_and_a_recovery_code() {
    let site = site("1000/s").await;
    let admin = users::create(&site.pool, "root@example.org", Role::Admin).await.unwrap();
    let link = enrolment::create(&site.pool, admin.id).await.unwrap();

    // The link opens a first-factor session, once.
    let opened = site.post("/api/auth/enrol", None, json!({"token": link})).await;
    assert_eq!(opened.status(), 200);
    let first = session_cookie(&opened);
    let again = site.post("/api/auth/enrol", None, json!({"token": link})).await;
    assert_eq!(again.status(), 401);
    assert_eq!(again.json::<Value>().await.unwrap()["error"]["code"], "enrolment_link_invalid");
    assert_eq!(site.get("/api/admin/users", &first).await.status(), 403, "an admin at AAL1 is not yet an admin");

    // TOTP: the secret is shown once, a first code confirms it and raises the session to AAL2.
    let setup = site.post("/api/auth/totp/setup", Some(&first), json!({})).await;
    assert_eq!(setup.status(), 200);
    assert_eq!(setup.headers()["cache-control"], "no-store");
    let secret = setup.json::<Value>().await.unwrap()["secret"].as_str().unwrap().to_string();
    let wrong = site.post("/api/auth/totp/confirm", Some(&first), json!({"code": "000000"})).await;
    assert!(wrong.status() == 401 || totp_code(&secret, now()) == "000000");
    let confirmed = site.post("/api/auth/totp/confirm", Some(&first), json!({"code": totp_code(&secret, now())})).await;
    assert_eq!(confirmed.status(), 200);
    let second = session_cookie(&confirmed);
    let body: Value = confirmed.json().await.unwrap();
    let recovery: Vec<String> =
        body["recovery_codes"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_string()).collect();
    assert_eq!(recovery.len(), 10);
    assert_ne!(first, second, "a new session id at AAL2");
    assert_eq!(site.get("/api/me", &first).await.status(), 401, "the first-factor session id is dead");
    assert_eq!(site.get("/api/admin/users", &second).await.status(), 200);

    // Sign out, then in again: password and a recovery code (the TOTP step is spent).
    factors::set_password(&site.pool, admin.id, "a very long passphrase").await.unwrap();
    let out = site.post("/api/auth/signout", Some(&second), json!({})).await;
    assert_eq!(out.status(), 204);
    assert!(out.headers()["set-cookie"].to_str().unwrap().contains("Max-Age=0"));
    assert_eq!(site.get("/api/me", &second).await.status(), 401);

    let signin = |password: &str, code: &str| {
        site.post("/api/auth/password", None, json!({"email": "ROOT@example.org", "password": password, "code": code}))
    };
    let no_factor = signin("a very long passphrase", "").await;
    assert_eq!(no_factor.status(), 401, "a password never signs in alone");
    let wrong_password = signin("not the passphrase", &recovery[0]).await;
    assert_eq!(wrong_password.status(), 401);
    let wrong_body: Value = wrong_password.json().await.unwrap();
    let unknown: Value = site
        .post("/api/auth/password", None, json!({"email": "nobody@example.org", "password": "x", "code": "y"}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(wrong_body, unknown, "the answer never tells whether the account exists");
    let good = signin("a very long passphrase", &recovery[0]).await;
    assert_eq!(good.status(), 200);
    let third = session_cookie(&good);
    assert_eq!(site.get("/api/admin/users", &third).await.status(), 200);
    assert_eq!(signin("a very long passphrase", &recovery[0]).await.status(), 401, "a recovery code works once");

    // Every sign-in and failure is in the audit log, without secrets.
    let audit: Value = site.get("/api/admin/audit", &third).await.json().await.unwrap();
    let text = audit.to_string();
    for action in ["enrolment.open", "totp.confirmed", "signin.failed", "signin.password"] {
        assert!(text.contains(action), "{action} missing: {text}");
    }
    assert!(!text.contains("passphrase") && !text.contains(&recovery[0]));
}

#[tokio::test]
async fn sign_in_from_another_site_is_refused() {
    let site = site("1000/s").await;
    let response = site
        .stingd
        .http
        .post(format!("{}/api/auth/password", site.stingd.base))
        .header("origin", "https://evil.example")
        .json(&json!({"email": "a@example.org", "password": "x", "code": "y"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    assert_eq!(response.json::<Value>().await.unwrap()["error"]["code"], "csrf_rejected");
}

#[tokio::test]
async fn guessing_passwords_is_slowed_by_the_auth_zone() {
    let site = site("5/m").await;
    for _ in 0..5 {
        let r = site
            .post("/api/auth/password", None, json!({"email": "a@example.org", "password": "guess", "code": "123456"}))
            .await;
        assert_eq!(r.status(), 401);
    }
    let limited = site
        .post("/api/auth/password", None, json!({"email": "a@example.org", "password": "guess", "code": "123456"}))
        .await;
    assert_eq!(limited.status(), 429);
    assert!(limited.headers().contains_key("retry-after"));
}

/// A code other than the ones valid around `at` (a step either side is accepted).
fn wrong_code(secret: &str, at: u64) -> String {
    let valid = [totp_code(secret, at - 30), totp_code(secret, at), totp_code(secret, at + 30)];
    ["000000", "111111", "222222", "333333"].into_iter().find(|c| !valid.iter().any(|v| v == c)).unwrap().to_string()
}

#[tokio::test]
async fn wrong_codes_for_one_account_lock_its_second_factor_from_every_address() {
    // Two attempts a minute from one address: the lock below is the account's, not an address's.
    let site = Site::start(
        "  trusted_proxies: [127.0.0.1]\n  rate_limits:\n    api: 100000/s\n    ai: 100000/s\n    auth: 2/m\n    per_user:\n      api: 100000/s\n      ai: 100000/s\n      auth: 100000/s\n",
    )
    .await;
    let user = users::create(&site.pool, "pat@example.org", Role::User).await.unwrap();
    factors::set_password(&site.pool, user.id, "a very long passphrase").await.unwrap();
    let secret = factors::enrol_totp(&site.pool, site.vault(), user.id, "pat@example.org").await.unwrap().secret_base32;
    let with_password = |password: &'static str, address: String, code: String| {
        site.stingd
            .http
            .post(format!("{}/api/auth/password", site.stingd.base))
            .header("origin", &site.origin)
            .header("x-forwarded-for", address)
            .json(&json!({"email": "pat@example.org", "password": password, "code": code}))
            .send()
    };
    let from = |address: String, code: String| with_password("a very long passphrase", address, code);

    // Each wrong code from an address of its own: the per-address zones never see a second.
    for n in 0..stingd::identity::lockout::FREE_FAILURES {
        let wrong = from(format!("203.0.113.{n}"), wrong_code(&secret, now())).await.unwrap();
        assert_eq!(wrong.status(), 401, "wrong code {n}");
    }
    let right = from("198.51.100.7".into(), totp_code(&secret, now())).await.unwrap();
    assert_eq!(right.status(), 429, "locked: even the right code is refused");
    assert!(right.headers().contains_key("retry-after"));
    assert_eq!(right.json::<Value>().await.unwrap()["error"]["code"], "second_factor_locked");
    // A wrong password gets the same answer: the lock tells no right password from a wrong one.
    let guess = with_password("another passphrase", "198.51.100.8".into(), totp_code(&secret, now())).await.unwrap();
    assert_eq!(guess.status(), 429);
    assert_eq!(guess.json::<Value>().await.unwrap()["error"]["code"], "second_factor_locked");

    // TOTP confirmation counts against the same account, so a stolen first-factor session
    // cannot guess its way to AAL2 either.
    let cookie = first_factor_cookie(&site.pool, user.id).await;
    let confirm = site.post("/api/auth/totp/confirm", Some(&cookie), json!({"code": totp_code(&secret, now())})).await;
    assert_eq!(confirm.status(), 429);
    assert_eq!(confirm.json::<Value>().await.unwrap()["error"]["code"], "second_factor_locked");

    let audit: Vec<String> =
        sqlx::query_scalar("SELECT action FROM audit_events ORDER BY id").fetch_all(&site.pool).await.unwrap();
    assert!(
        audit.iter().any(|a| a == "signin.locked_out") && audit.iter().any(|a| a == "totp.locked_out"),
        "{audit:?}"
    );
}

#[tokio::test]
async fn setting_up_totp_again_keeps_the_working_factor_until_the_new_one_is_confirmed() {
    let site = site("1000/s").await;
    let user = users::create(&site.pool, "lee@example.org", Role::User).await.unwrap();
    factors::set_password(&site.pool, user.id, "a very long passphrase").await.unwrap();
    let first = first_factor_cookie(&site.pool, user.id).await;
    let setup = site.post("/api/auth/totp/setup", Some(&first), json!({})).await;
    let old = setup.json::<Value>().await.unwrap()["secret"].as_str().unwrap().to_string();
    let confirmed = site.post("/api/auth/totp/confirm", Some(&first), json!({"code": totp_code(&old, now())})).await;
    assert_eq!(confirmed.status(), 200);
    let strong = session_cookie(&confirmed);

    // A new phone: set up, not yet confirmed. The old phone still signs in.
    let setup = site.post("/api/auth/totp/setup", Some(&strong), json!({})).await;
    assert_eq!(setup.status(), 200);
    let new = setup.json::<Value>().await.unwrap()["secret"].as_str().unwrap().to_string();
    let signin = |code: String| {
        site.post(
            "/api/auth/password",
            None,
            json!({"email": "lee@example.org", "password": "a very long passphrase", "code": code}),
        )
    };
    assert_eq!(signin(totp_code(&old, now() + 30)).await.status(), 200, "the working factor still works");
    assert_eq!(signin(totp_code(&new, now())).await.status(), 401, "the new one is not in use before it is confirmed");

    // Confirmed: the new phone is the factor.
    let confirmed = site.post("/api/auth/totp/confirm", Some(&strong), json!({"code": totp_code(&new, now())})).await;
    assert_eq!(confirmed.status(), 200);
    assert_eq!(signin(totp_code(&new, now() + 30)).await.status(), 200, "the new phone signs in");
}

#[tokio::test]
async fn a_sign_in_method_the_operator_removed_is_refused_at_its_routes() {
    let site = Site::start("  methods: [passkey]\n").await;
    let user = users::create(&site.pool, "kim@example.org", Role::User).await.unwrap();
    factors::set_password(&site.pool, user.id, "a very long passphrase").await.unwrap();
    let cookie = first_factor_cookie(&site.pool, user.id).await;
    for (path, body) in [
        ("/api/auth/password", json!({"email": "kim@example.org", "password": "a very long passphrase", "code": "1"})),
        ("/api/auth/magic-link", json!({"email": "kim@example.org"})),
        ("/api/auth/magic-link/verify", json!({"token": "x"})),
        ("/api/auth/totp/setup", json!({})),
        ("/api/auth/totp/confirm", json!({"code": "123456"})),
    ] {
        let refused = site.post(path, Some(&cookie), body).await;
        assert_eq!(refused.status(), 403, "{path}");
        let body: Value = refused.json().await.unwrap();
        assert_eq!(body["error"]["code"], "method_disabled", "{path}: {body}");
        assert!(body["error"]["message"].as_str().unwrap().contains("auth.methods"), "{body}");
    }
    assert!(site.mail.mails().is_empty(), "no link was sent");
    let offered = site.post("/api/auth/passkey/register/start", Some(&cookie), json!({})).await;
    assert_eq!(offered.status(), 200, "the method left on still works");
}

#[tokio::test]
async fn a_totp_secret_stored_before_sealing_is_sealed_by_the_next_stingd_and_still_signs_in() {
    let site = site("1000/s").await;
    let user = users::create(&site.pool, "old@example.org", Role::User).await.unwrap();
    factors::set_password(&site.pool, user.id, "a very long passphrase").await.unwrap();
    // As an older stingd stored it: the secret itself, in the clear.
    let secret = b"twenty bytes of seed".to_vec();
    sqlx::query("INSERT INTO totp_factors (user_id, secret, confirmed_at) VALUES ($1, $2, now())")
        .bind(user.id)
        .bind(&secret)
        .execute(&site.pool)
        .await
        .unwrap();

    // The upgraded stingd seals it as it starts.
    let auth = "auth:\n  methods: [totp, password]\n";
    let (upgraded, _) =
        crate::common::jars_world::stingd_on(&site.world, &[crate::common::model("bee", "")], auth).await;
    let (plain, sealed): (Option<Vec<u8>>, Option<String>) =
        sqlx::query_as("SELECT secret, sealed_secret FROM totp_factors WHERE user_id = $1")
            .bind(user.id)
            .fetch_one(&site.pool)
            .await
            .unwrap();
    assert_eq!(plain, None, "the plain secret is gone");
    assert!(sealed.is_some_and(|s| s.starts_with("vault:v")));

    let base32 = totp_rs::Secret::from(secret).to_base32();
    let origin = format!("https://localhost:{}", upgraded.base.rsplit(':').next().unwrap());
    let signed_in = upgraded
        .http
        .post(format!("{}/api/auth/password", upgraded.base))
        .header("origin", origin)
        .json(&json!({"email": "old@example.org", "password": "a very long passphrase", "code": totp_code(&base32, now())}))
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status(), 200, "{}", signed_in.text().await.unwrap());
}
