//! Passkeys end to end with a software authenticator (webauthn-authenticator-rs): registered
//! from a signed-in session, used to sign in at AAL2, each ceremony answered once, refused
//! from another origin or for a disabled account, and an unknown address indistinguishable
//! from a known one.

use std::time::Duration;

use crate::common::site::{Site, session_cookie};
use serde_json::{Value, json};
use stingd::identity::users::{self, Role};
use stingd::identity::{credential::Aal, sessions};
use webauthn_authenticator_rs::WebauthnAuthenticator;
use webauthn_authenticator_rs::softpasskey::SoftPasskey;
use webauthn_rs::prelude::{CreationChallengeResponse, RequestChallengeResponse, Url};

/// Registers a passkey on `authenticator` for the user of `cookie`; the AAL2 cookie it returns.
async fn register(site: &Site, cookie: &str, authenticator: &mut WebauthnAuthenticator<SoftPasskey>) -> String {
    let start = site.post("/api/auth/passkey/register/start", Some(cookie), json!({})).await;
    assert_eq!(start.status(), 200);
    let start: Value = start.json().await.unwrap();
    let options: CreationChallengeResponse = serde_json::from_value(start["options"].clone()).unwrap();
    let credential = authenticator.do_registration(Url::parse(&site.origin).unwrap(), options).unwrap();
    let finish = site
        .post(
            "/api/auth/passkey/register/finish",
            Some(cookie),
            json!({ "ceremony": start["ceremony"], "name": "laptop", "credential": credential }),
        )
        .await;
    assert_eq!(finish.status(), 200);
    session_cookie(&finish)
}

async fn sign_in_options(site: &Site, email: &str) -> (Value, RequestChallengeResponse) {
    let start = site.post("/api/auth/passkey/start", None, json!({ "email": email })).await;
    assert_eq!(start.status(), 200);
    let start: Value = start.json().await.unwrap();
    let options = serde_json::from_value(start["options"].clone()).unwrap();
    (start["ceremony"].clone(), options)
}

#[tokio::test]
async fn a_passkey_registered_from_a_session_signs_in_at_aal2_once_per_ceremony() {
    let site = Site::start("").await;
    let user = users::create(&site.pool, "pat@example.org", Role::User).await.unwrap();
    // A first-factor session, as an enrolment link or a magic link gives.
    let first = sessions::create(&site.pool, user.id, Aal::One, Duration::from_secs(3600)).await.unwrap();
    let first = format!("{}={first}", sessions::COOKIE_NAME);
    let mut authenticator = WebauthnAuthenticator::new(SoftPasskey::new(true));

    let stepped = register(&site, &first, &mut authenticator).await;
    assert_eq!(site.get("/api/me", &first).await.status(), 401, "the session id changed with the new assurance");
    let me: Value = site.get("/api/me", &stepped).await.json().await.unwrap();
    assert_eq!(me["principal"]["aal"], 2);

    let (ceremony, options) = sign_in_options(&site, "PAT@example.org").await;
    let assertion = authenticator.do_authentication(Url::parse(&site.origin).unwrap(), options).unwrap();
    let body = json!({ "ceremony": ceremony, "credential": assertion });
    let signed_in = site.post("/api/auth/passkey/finish", None, body.clone()).await;
    assert_eq!(signed_in.status(), 200);
    let cookie = session_cookie(&signed_in);
    let me: Value = site.get("/api/me", &cookie).await.json().await.unwrap();
    assert_eq!((me["email"].as_str(), me["principal"]["aal"].as_u64()), (Some("pat@example.org"), Some(2)));

    let replayed = site.post("/api/auth/passkey/finish", None, body).await;
    assert_eq!(replayed.status(), 401, "a ceremony is answered once");

    // With a passkey on the account, a first-factor session cannot add another second factor.
    let weak = sessions::create(&site.pool, user.id, Aal::One, Duration::from_secs(3600)).await.unwrap();
    let weak = format!("{}={weak}", sessions::COOKIE_NAME);
    let refused = site.post("/api/auth/passkey/register/start", Some(&weak), json!({})).await;
    assert_eq!(refused.status(), 403);
    assert_eq!(refused.json::<Value>().await.unwrap()["error"]["code"], "aal2_required");
    let totp = site.post("/api/auth/totp/setup", Some(&weak), json!({})).await;
    assert_eq!(totp.status(), 403, "nor a TOTP");

    let audit: Vec<String> =
        sqlx::query_scalar("SELECT action FROM audit_events ORDER BY id").fetch_all(&site.pool).await.unwrap();
    assert!(audit.contains(&"passkey.registered".to_string()) && audit.contains(&"signin.passkey".to_string()));
}

#[tokio::test]
async fn an_assertion_for_another_origin_or_a_disabled_account_is_refused() {
    let site = Site::start("").await;
    let user = users::create(&site.pool, "quinn@example.org", Role::User).await.unwrap();
    let first = sessions::create(&site.pool, user.id, Aal::One, Duration::from_secs(3600)).await.unwrap();
    let mut authenticator = WebauthnAuthenticator::new(SoftPasskey::new(true));
    register(&site, &format!("{}={first}", sessions::COOKIE_NAME), &mut authenticator).await;

    // Same host, another port: another origin, as a phishing page would be.
    let (ceremony, options) = sign_in_options(&site, "quinn@example.org").await;
    let elsewhere = authenticator.do_authentication(Url::parse("https://localhost:1").unwrap(), options).unwrap();
    let refused =
        site.post("/api/auth/passkey/finish", None, json!({ "ceremony": ceremony, "credential": elsewhere })).await;
    assert_eq!(refused.status(), 401);

    let (ceremony, options) = sign_in_options(&site, "quinn@example.org").await;
    let assertion = authenticator.do_authentication(Url::parse(&site.origin).unwrap(), options).unwrap();
    users::disable(&site.pool, &stingd::identity::cache::CredentialCache::new(Duration::from_secs(1)), user.id)
        .await
        .unwrap();
    let refused =
        site.post("/api/auth/passkey/finish", None, json!({ "ceremony": ceremony, "credential": assertion })).await;
    assert_eq!(refused.status(), 401, "a disabled account cannot sign in");
}

#[tokio::test]
async fn asking_for_an_unknown_address_looks_like_asking_for_a_known_one() {
    let site = Site::start("").await;
    let user = users::create(&site.pool, "rae@example.org", Role::User).await.unwrap();
    let first = sessions::create(&site.pool, user.id, Aal::One, Duration::from_secs(3600)).await.unwrap();
    let mut authenticator = WebauthnAuthenticator::new(SoftPasskey::new(true));
    let stepped = register(&site, &format!("{}={first}", sessions::COOKIE_NAME), &mut authenticator).await;
    // Two passkeys: a decoy of one credential would stand out.
    register(&site, &stepped, &mut WebauthnAuthenticator::new(SoftPasskey::new(true))).await;

    // Everything webauthn-rs writes but the random challenge and the allow-list, and each
    // listed credential's fields (their values differ from account to account).
    let frame = |v: &Value| {
        let mut v = v["options"].clone();
        v["publicKey"]["challenge"] = Value::Null;
        v["publicKey"]["allowCredentials"] = Value::Null;
        v
    };
    let fields = |entry: &Value| entry.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    let allowed = |v: &Value| v["options"]["publicKey"]["allowCredentials"].as_array().unwrap().clone();
    let on = &site;
    let start = move |email: &'static str| async move {
        on.post("/api/auth/passkey/start", None, json!({"email": email})).await.json::<Value>().await.unwrap()
    };
    let known = start("rae@example.org").await;
    let unknown = start("nobody@example.org").await;
    assert_eq!(frame(&known), frame(&unknown));
    assert!(allowed(&unknown).iter().all(|entry| fields(entry) == fields(&allowed(&known)[0])), "{unknown}");

    // The decoy does not move when other accounts' passkeys do: another account gets one.
    let other = users::create(&site.pool, "sol@example.org", Role::User).await.unwrap();
    let first = sessions::create(&site.pool, other.id, Aal::One, Duration::from_secs(3600)).await.unwrap();
    register(
        &site,
        &format!("{}={first}", sessions::COOKIE_NAME),
        &mut WebauthnAuthenticator::new(SoftPasskey::new(true)),
    )
    .await;
    let again = start("nobody@example.org").await;
    assert_eq!(allowed(&unknown), allowed(&again), "the decoy is the same each time, as a real account's list is");
    assert_ne!(allowed(&unknown), allowed(&known));
    // Nor from one stingd to another of the same installation (replicas, restarts).
    let replica = stingd::identity::passkeys::Passkeys::new(&site.pool, "localhost", &site.origin).await.unwrap();
    let (_, options) = replica.start_authentication(&site.pool, "nobody@example.org").await.unwrap();
    let options = serde_json::to_value(options).unwrap();
    assert_eq!(options["publicKey"]["allowCredentials"], Value::Array(allowed(&unknown)));

    // Across addresses, decoys list one, two or three credentials, as accounts do: always one
    // would tell every account with two. Three is one address in ten: 300 addresses (asked of
    // the replica, which answers as the server does, past the sign-in rate limit) miss it with
    // a chance of one in 10^13.
    let mut counts = std::collections::BTreeSet::new();
    for n in 0..300 {
        let (_, options) = replica.start_authentication(&site.pool, &format!("nobody{n}@example.org")).await.unwrap();
        counts.insert(allowed(&json!({ "options": options })).len());
    }
    assert_eq!(counts.into_iter().collect::<Vec<_>>(), [1, 2, 3]);

    let bogus = site
        .post("/api/auth/passkey/finish", None, json!({ "ceremony": unknown["ceremony"], "credential": {"id": "x"} }))
        .await;
    assert!(bogus.status().is_client_error(), "{}", bogus.status());
    let foreign = site
        .stingd
        .http
        .post(format!("{}/api/auth/passkey/start", site.stingd.base))
        .header("origin", "https://evil.example")
        .json(&json!({"email": "rae@example.org"}))
        .send()
        .await
        .unwrap();
    assert_eq!(foreign.status(), 403, "sign-in starts only from this site");
}

#[tokio::test]
async fn a_bad_passkey_name_is_refused_and_the_ceremony_can_still_finish() {
    let site = Site::start("").await;
    let user = users::create(&site.pool, "kim@example.org", Role::User).await.unwrap();
    let cookie = sessions::create(&site.pool, user.id, Aal::One, Duration::from_secs(3600)).await.unwrap();
    let cookie = format!("{}={cookie}", sessions::COOKIE_NAME);
    let mut authenticator = WebauthnAuthenticator::new(SoftPasskey::new(true));
    let start: Value =
        site.post("/api/auth/passkey/register/start", Some(&cookie), json!({})).await.json().await.unwrap();
    let options: CreationChallengeResponse = serde_json::from_value(start["options"].clone()).unwrap();
    let credential = authenticator.do_registration(Url::parse(&site.origin).unwrap(), options).unwrap();
    let finish = |name: String| {
        site.post(
            "/api/auth/passkey/register/finish",
            Some(&cookie),
            json!({ "ceremony": start["ceremony"], "name": name, "credential": credential }),
        )
    };
    for bad in ["x".repeat(101), "two\nlines".to_string()] {
        let refused = finish(bad).await;
        assert_eq!(refused.status(), 400);
        assert_eq!(refused.json::<Value>().await.unwrap()["error"]["code"], "invalid_name");
    }
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM passkey_factors").fetch_one(&site.pool).await.unwrap();
    assert_eq!(stored, 0);
    assert_eq!(finish("x".repeat(100)).await.status(), 200, "the same ceremony, with an acceptable name");
}
