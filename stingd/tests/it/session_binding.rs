//! A factor ceremony changes only the session that authenticated it. The attack it answers:
//! Mallory holds Victor's first-factor session (an intercepted magic link, say) and a `write`
//! token of her own account; she proves *her* factor with her token while sending *his*
//! cookie. Victor's session must stay at AAL1, and the admin routes closed to it.

use crate::common::site::{Site, first_factor_cookie, totp_code};
use serde_json::{Value, json};
use stingd::identity::users::{self, Role};
use webauthn_authenticator_rs::WebauthnAuthenticator;
use webauthn_authenticator_rs::softpasskey::SoftPasskey;
use webauthn_rs::prelude::{CreationChallengeResponse, Url};

fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}

/// A request as Mallory sends it: her bearer token, Victor's cookie, this site's Origin.
async fn with_token_and_cookie(site: &Site, path: &str, token: &str, cookie: &str, body: Value) -> (u16, String) {
    let response = site
        .stingd
        .http
        .post(format!("{}{path}", site.stingd.base))
        .bearer_auth(token)
        .header("cookie", cookie)
        .header("origin", &site.origin)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let body: Value = response.json().await.expect("errors are JSON");
    (status, body["error"]["code"].as_str().unwrap_or_default().to_string())
}

/// Victor's session is as it was: signed in, at AAL1, no admin.
async fn still_first_factor(site: &Site, victors: &str) {
    let me: Value = site.get("/api/me", victors).await.json().await.unwrap();
    assert_eq!(me["principal"]["aal"], 1, "{me}");
    assert_eq!(site.get("/api/admin/users", victors).await.status(), 403, "the admin routes stay closed");
}

#[tokio::test]
async fn a_token_beside_someone_elses_cookie_raises_no_session_by_totp_or_passkey() {
    let site = Site::start("").await;
    let victor = users::create(&site.pool, "victor@example.org", Role::Admin).await.unwrap();
    let mallory = users::create(&site.pool, "mallory@example.org", Role::User).await.unwrap();
    let victors = first_factor_cookie(&site.pool, victor.id).await;
    let mallorys = first_factor_cookie(&site.pool, mallory.id).await;
    let token = site.post("/api/tokens", Some(&mallorys), json!({"name": "mine", "scopes": ["read", "write"]})).await;
    assert_eq!(token.status(), 201);
    let token = token.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_string();

    // TOTP: a token cannot even start the ceremony.
    let setup = with_token_and_cookie(&site, "/api/auth/totp/setup", &token, &victors, json!({})).await;
    assert_eq!(setup, (403, "session_required".into()));
    // Set up from her own session, then confirmed with her token beside Victor's cookie.
    let setup = site.post("/api/auth/totp/setup", Some(&mallorys), json!({})).await;
    let secret = setup.json::<Value>().await.unwrap()["secret"].as_str().unwrap().to_string();
    let confirm = json!({"code": totp_code(&secret, now())});
    let raised = with_token_and_cookie(&site, "/api/auth/totp/confirm", &token, &victors, confirm.clone()).await;
    assert_eq!(raised, (403, "session_required".into()));
    still_first_factor(&site, &victors).await;

    // Passkeys: the same, a ceremony started from her session and finished with her token.
    let mut authenticator = WebauthnAuthenticator::new(SoftPasskey::new(true));
    let start = with_token_and_cookie(&site, "/api/auth/passkey/register/start", &token, &victors, json!({})).await;
    assert_eq!(start, (403, "session_required".into()));
    let passkey_user = users::create(&site.pool, "mallory2@example.org", Role::User).await.unwrap();
    let second_account = first_factor_cookie(&site.pool, passkey_user.id).await;
    let second_token =
        site.post("/api/tokens", Some(&second_account), json!({"name": "mine", "scopes": ["read", "write"]})).await;
    let second_token = second_token.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_string();
    let start: Value =
        site.post("/api/auth/passkey/register/start", Some(&second_account), json!({})).await.json().await.unwrap();
    let options: CreationChallengeResponse = serde_json::from_value(start["options"].clone()).unwrap();
    let credential = authenticator.do_registration(Url::parse(&site.origin).unwrap(), options).unwrap();
    let finish = json!({ "ceremony": start["ceremony"], "name": "laptop", "credential": credential });
    let raised =
        with_token_and_cookie(&site, "/api/auth/passkey/register/finish", &second_token, &victors, finish).await;
    assert_eq!(raised, (403, "session_required".into()));
    still_first_factor(&site, &victors).await;

    // Her own session still completes her own ceremony: the fix refuses only the mix.
    let confirmed = site.post("/api/auth/totp/confirm", Some(&mallorys), confirm).await;
    assert_eq!(confirmed.status(), 200);

    // Routes that mint a session take no bearer credential either.
    for (path, body) in [
        ("/api/auth/password", json!({"email": "victor@example.org", "password": "x", "code": "1"})),
        ("/api/auth/magic-link/verify", json!({"token": "x"})),
        ("/api/auth/enrol", json!({"token": "x"})),
    ] {
        let refused = with_token_and_cookie(&site, path, &token, &victors, body).await;
        assert_eq!(refused, (403, "session_required".into()), "{path}");
    }
}
