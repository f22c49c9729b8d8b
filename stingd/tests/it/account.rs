//! A person's own passkeys, sessions and recovery codes over the API: what needs the second
//! level refuses without it, nobody reaches another's, and bad input says what to do.

use serde_json::{Value, json};
use stingd::identity::credential::Aal;
use stingd::identity::users::Role;

use crate::common::site::{Site, new_account, session_cookie, totp_code};

fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}

async fn call(site: &Site, method: reqwest::Method, path: &str, cookie: &str, body: Option<Value>) -> (u16, Value) {
    let mut request = site
        .stingd
        .http
        .request(method, format!("{}{path}", site.stingd.base))
        .header("cookie", cookie)
        .header("origin", &site.origin);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn factor_changes_need_the_second_level_and_no_one_reaches_anothers_sessions() {
    let site = Site::start("").await;
    let (ann, first) = new_account(&site.pool, "ann@example.org", Role::User, Aal::One).await;
    let (_, bob) = new_account(&site.pool, "bob@example.org", Role::User, Aal::One).await;
    let code = |status: u16, body: &Value| (status, body["error"]["code"].as_str().map(str::to_string));

    // At the first level: no new codes, and no passkey removed (not even one that is not there).
    let (status, body) =
        call(&site, reqwest::Method::POST, "/api/account/recovery-codes", &first, Some(json!({}))).await;
    assert_eq!(code(status, &body), (403, Some("aal2_required".into())));
    let missing = format!("/api/account/passkeys/{}", uuid::Uuid::new_v4());
    let (status, body) = call(&site, reqwest::Method::DELETE, &missing, &first, None).await;
    assert_eq!(code(status, &body), (403, Some("aal2_required".into())));
    let (status, body) = call(&site, reqwest::Method::PATCH, &missing, &first, Some(json!({"name": " "}))).await;
    assert_eq!(code(status, &body), (400, Some("invalid_name".into())));
    let (status, body) = call(&site, reqwest::Method::PATCH, &missing, &first, Some(json!({"name": "Phone"}))).await;
    assert_eq!(code(status, &body), (404, Some("passkey_not_found".into())));

    // Stepping up takes a right code; a wrong one changes nothing.
    let setup = site.post("/api/auth/totp/setup", Some(&first), json!({})).await;
    let secret = setup.json::<Value>().await.unwrap()["secret"].as_str().unwrap().to_string();
    let confirmed = site.post("/api/auth/totp/confirm", Some(&first), json!({"code": totp_code(&secret, now())})).await;
    assert_eq!(confirmed.status(), 200);
    let second = session_cookie(&confirmed);
    let another = crate::common::site::cookie_for(&site.pool, ann, Aal::One).await;
    let (status, body) =
        call(&site, reqwest::Method::POST, "/api/auth/step-up", &another, Some(json!({"code": "000000"}))).await;
    assert!(status == 401 || totp_code(&secret, now()) == "000000", "{body}");
    let stepped = site.post("/api/auth/step-up", Some(&another), json!({"code": totp_code(&secret, now() + 30)})).await;
    assert_eq!(stepped.status(), 200);
    let stepped = session_cookie(&stepped);
    let (status, _) = call(&site, reqwest::Method::GET, "/api/me", &another, None).await;
    assert_eq!(status, 401, "the stepped-up session has a new id; the old one is gone");
    // A first-factor session of an account with a second factor neither sees a pending secret
    // nor confirms one: it would rise to the second level with codes it made itself.
    let restart = site.post("/api/auth/totp/setup", Some(&stepped), json!({})).await;
    assert_eq!(restart.status(), 200);
    let weak = crate::common::site::cookie_for(&site.pool, ann, Aal::One).await;
    let qr = site.get("/account/totp-qr", &weak).await;
    assert_eq!(qr.status(), 403, "the QR code of the pending secret");
    assert!(!qr.text().await.unwrap().contains("<svg"));
    let (status, body) =
        call(&site, reqwest::Method::POST, "/api/auth/totp/confirm", &weak, Some(json!({"code": "123456"}))).await;
    assert_eq!(code(status, &body), (403, Some("aal2_required".into())));
    let qr = site.get("/account/totp-qr", &stepped).await;
    assert_eq!(qr.status(), 200);
    assert_eq!(qr.headers()["cache-control"], "no-store");
    assert!(qr.text().await.unwrap().contains("<svg"));

    // A token, whatever its scopes, does not manage its owner's sign-in.
    let new_token = json!({"name": "t", "scopes": ["read", "write"]});
    let (status, issued) = call(&site, reqwest::Method::POST, "/api/tokens", &stepped, Some(new_token)).await;
    assert_eq!(status, 201);
    let token = issued["token"].as_str().unwrap();
    let listed = site
        .stingd
        .http
        .get(format!("{}/api/account/sessions", site.stingd.base))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.status(), 403);

    let (status, body) =
        call(&site, reqwest::Method::POST, "/api/account/recovery-codes", &stepped, Some(json!({}))).await;
    assert_eq!((status, body["recovery_codes"].as_array().map(Vec::len)), (200, Some(10)), "{body}");

    // Sessions: mine listed with the one in use marked; another's never reachable.
    let (status, body) = call(&site, reqwest::Method::GET, "/api/account/sessions", &second, None).await;
    assert_eq!(status, 200);
    let sessions = body["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 3, "{body}");
    assert_eq!(sessions.iter().filter(|s| s["current"] == true).count(), 1);
    let other = sessions.iter().find(|s| s["current"] == false).unwrap()["id"].as_str().unwrap().to_string();
    assert!(!body.to_string().contains("sess_"), "no session secret is listed");
    let (status, _) = call(&site, reqwest::Method::DELETE, &format!("/api/account/sessions/{other}"), &bob, None).await;
    assert_eq!(status, 404, "bob cannot end ann's session");
    let (status, _) = call(&site, reqwest::Method::DELETE, "/api/account/sessions/not-a-handle", &second, None).await;
    assert_eq!(status, 404);
    let (status, _) =
        call(&site, reqwest::Method::DELETE, &format!("/api/account/sessions/{other}"), &second, None).await;
    assert_eq!(status, 204);
    let mut ended = 0;
    for cookie in [&stepped, &weak] {
        if call(&site, reqwest::Method::GET, "/api/me", cookie, None).await.0 == 401 {
            ended += 1;
        }
    }
    assert_eq!(ended, 1, "the revoked session, and only it, stops working at once");
    let (_, body) = call(&site, reqwest::Method::GET, "/api/account/sessions", &second, None).await;
    assert_eq!(body["sessions"].as_array().unwrap().len(), 2, "{body}");
}
