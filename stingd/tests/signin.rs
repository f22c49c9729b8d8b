//! Signing in over HTTP, as a browser would: an enrolment link, TOTP setup and confirmation,
//! then password with a second factor; session ids that change at every step; sign-out; and
//! the `auth` zone slowing guessing.

mod common;

use common::site::{Site, session_cookie};
use serde_json::{Value, json};
use stingd::identity::users::{self, Role};
use stingd::identity::{enrolment, factors};

async fn site(auth_zone: &str) -> Site {
    Site::start(&format!(
        "  rate_limits:\n    api: 100000/s\n    ai: 100000/s\n    auth: {auth_zone}\n    per_user:\n      api: 100000/s\n      ai: 100000/s\n      auth: 100000/s\n"
    ))
    .await
}

fn totp_code(secret: &str, at: u64) -> String {
    let secret = totp_rs::Secret::try_from_base32(secret).unwrap();
    totp_rs::Builder::new()
        .with_secret(secret)
        .with_digits(6)
        .with_step_duration(30)
        .build_noncompliant()
        .generate(at)
        .to_string()
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
