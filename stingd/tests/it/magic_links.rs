//! Magic links end to end: stingd sends real mail (lettre over SMTP) to a capturing server; the
//! link signs in once, expires, and asking for one never reveals whether an account exists.

use std::time::Duration;

use crate::common::site::{Site, session_cookie};
use serde_json::{Value, json};
use stingd::identity::users::{self, Role};

async fn site() -> Site {
    Site::start("  magic_link_ttl: 10m\n").await
}

fn token_in(site: &Site, mail: &str) -> String {
    site.link_secret(mail, "/auth/magic")
}

#[tokio::test]
async fn a_link_arrives_by_mail_signs_in_once_and_is_stored_hashed() {
    let site = site().await;
    let user = users::create(&site.pool, "bee@example.org", Role::User).await.unwrap();
    let asked = site.post("/api/auth/magic-link", None, json!({"email": "Bee@Example.org"})).await;
    assert_eq!(asked.status(), 202);
    let mails = site.mail.wait_for(1, Duration::from_secs(10)).await;
    assert_eq!(mails[0].to, ["bee@example.org"]);
    assert_eq!(mails[0].from, "sting@example.org");
    assert!(mails[0].data.contains("Subject: Your STING sign-in link"));
    let token = token_in(&site, &mails[0].data);

    let stored: Vec<u8> = sqlx::query_scalar("SELECT token_hash FROM magic_links").fetch_one(&site.pool).await.unwrap();
    assert_eq!(stored.len(), 32);

    let used = site.post("/api/auth/magic-link/verify", None, json!({"token": token})).await;
    assert_eq!(used.status(), 200);
    let cookie = session_cookie(&used);
    let me: Value = site.get("/api/me", &cookie).await.json().await.unwrap();
    assert_eq!(me["principal"]["user"], user.id.to_string());
    assert_eq!(me["principal"]["aal"], 1);

    let again = site.post("/api/auth/magic-link/verify", None, json!({"token": token})).await;
    assert_eq!(again.status(), 401);
    assert_eq!(again.json::<Value>().await.unwrap()["error"]["code"], "magic_link_invalid");
}

#[tokio::test]
async fn asking_for_an_unknown_address_looks_the_same_and_sends_nothing() {
    let site = site().await;
    users::create(&site.pool, "known@example.org", Role::User).await.unwrap();
    let known = site.post("/api/auth/magic-link", None, json!({"email": "known@example.org"})).await;
    let unknown = site.post("/api/auth/magic-link", None, json!({"email": "stranger@example.org"})).await;
    assert_eq!(known.status(), unknown.status());
    assert_eq!(known.json::<Value>().await.unwrap(), unknown.json::<Value>().await.unwrap());
    site.mail.wait_for(1, Duration::from_secs(10)).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(site.mail.mails().len(), 1, "only the known address got mail");
}

#[tokio::test]
async fn an_expired_link_is_refused_and_an_address_gets_three_links_per_quarter_hour() {
    let site = site().await;
    users::create(&site.pool, "busy@example.org", Role::User).await.unwrap();
    for _ in 0..4 {
        assert_eq!(site.post("/api/auth/magic-link", None, json!({"email": "busy@example.org"})).await.status(), 202);
    }
    site.mail.wait_for(3, Duration::from_secs(10)).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mails = site.mail.mails();
    assert_eq!(mails.len(), 3, "the fourth request within the window sends nothing");
    let lifetimes: Vec<f64> =
        sqlx::query_scalar("SELECT extract(epoch FROM expires_at - created_at)::float8 FROM magic_links")
            .fetch_all(&site.pool)
            .await
            .unwrap();
    assert!(lifetimes.iter().all(|s| (599.0..=601.0).contains(s)), "{lifetimes:?}");

    sqlx::query("UPDATE magic_links SET expires_at = now() - interval '1 second'").execute(&site.pool).await.unwrap();
    let token = token_in(&site, &mails[0].data);
    assert_eq!(site.post("/api/auth/magic-link/verify", None, json!({"token": token})).await.status(), 401);
}

#[tokio::test]
async fn signing_in_again_in_a_browser_ends_the_session_it_had_and_names_its_device() {
    let site = site().await;
    let user = users::create(&site.pool, "bee@example.org", Role::User).await.unwrap();
    let old = crate::common::site::cookie_for(&site.pool, user.id, stingd::identity::credential::Aal::One).await;
    site.post("/api/auth/magic-link", None, json!({"email": "bee@example.org"})).await;
    let mails = site.mail.wait_for(1, Duration::from_secs(10)).await;
    let token = token_in(&site, &mails[0].data);
    let verify = |token: String| {
        site.stingd
            .http
            .post(format!("{}/api/auth/magic-link/verify", site.stingd.base))
            .header("origin", &site.origin)
            .header("cookie", &old)
            .header("user-agent", "Mozilla/5.0 (Android 14; Mobile; rv:133.0) Gecko/133.0 Firefox/133.0")
            .json(&json!({ "token": token }))
            .send()
    };
    // A sign-in that fails ends nothing.
    assert_eq!(verify(format!("{token}x")).await.unwrap().status(), 401);
    assert_eq!(site.get("/api/me", &old).await.status(), 200, "a refused sign-in leaves the session");
    let used = verify(token).await.unwrap();
    assert_eq!(used.status(), 200);
    let new = session_cookie(&used);
    assert_eq!(site.get("/api/me", &old).await.status(), 401, "the session it replaced is ended");
    let listed: Value = site.get("/api/account/sessions", &new).await.json().await.unwrap();
    let sessions = listed["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 1, "{listed}");
    assert_eq!(sessions[0]["device"], "Firefox on Android");
    assert_eq!(sessions[0]["current"], true);
}
