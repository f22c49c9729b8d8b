//! Users' own API tokens over HTTP: created from a session and shown once, limited to their
//! scopes, invisible and irrevocable to anyone else; and an admin deleting an account.

use crate::common::site::Site;
use serde_json::{Value, json};
use stingd::identity::credential::Aal;
use stingd::identity::users::{self, Role};

async fn signed_in(site: &Site, email: &str, role: Role) -> (uuid::Uuid, String) {
    crate::common::site::new_account(&site.pool, email, role, Aal::Two).await
}

async fn error_code(response: reqwest::Response) -> (u16, String) {
    let status = response.status().as_u16();
    let body: Value = response.json().await.expect("errors are JSON");
    (status, body["error"]["code"].as_str().unwrap_or_default().to_string())
}

#[tokio::test]
async fn a_token_is_shown_once_works_within_its_scopes_and_only_its_owner_sees_or_revokes_it() {
    let site = Site::start("").await;
    let (_, ana) = signed_in(&site, "ana@example.org", Role::User).await;
    let (_, bob) = signed_in(&site, "bob@example.org", Role::User).await;

    let created = site.post("/api/tokens", Some(&ana), json!({"name": "laptop script", "scopes": ["inference"]})).await;
    assert_eq!(created.status(), 201);
    let created: Value = created.json().await.unwrap();
    let secret = created["token"].as_str().unwrap().to_string();
    let id = created["id"].as_str().unwrap().to_string();

    let listed: Value = site.get("/api/tokens", &ana).await.json().await.unwrap();
    assert_eq!(listed["tokens"].as_array().unwrap().len(), 1);
    assert_eq!(listed["tokens"][0]["name"], "laptop script");
    assert!(listed["tokens"][0]["expires_at"].is_string(), "tokens expire by default");
    assert!(!listed.to_string().contains(&secret), "the secret is never shown again");
    let bobs_list: Value = site.get("/api/tokens", &bob).await.json().await.unwrap();
    assert_eq!(bobs_list["tokens"], json!([]), "bob sees none of ana's tokens");

    let http = &site.stingd.http;
    let base = &site.stingd.base;
    assert_eq!(http.get(format!("{base}/v1/models")).bearer_auth(&secret).send().await.unwrap().status(), 200);
    let (status, code) =
        error_code(http.get(format!("{base}/api/me")).bearer_auth(&secret).send().await.unwrap()).await;
    assert_eq!((status, code.as_str()), (403, "scope_missing"), "an inference token cannot read the account API");
    let minted = http
        .post(format!("{base}/api/tokens"))
        .bearer_auth(&secret)
        .json(&json!({"name": "x", "scopes": ["write"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(minted).await.0, 403, "a token cannot mint tokens");

    let revoke = |cookie: String| {
        let url = format!("{base}/api/tokens/{id}");
        let origin = site.origin.clone();
        async move { http.delete(url).header("cookie", cookie).header("origin", origin).send().await.unwrap() }
    };
    assert_eq!(error_code(revoke(bob.clone()).await).await, (404, "token_not_found".into()), "bob cannot revoke it");
    assert_eq!(http.get(format!("{base}/v1/models")).bearer_auth(&secret).send().await.unwrap().status(), 200);
    assert_eq!(revoke(ana.clone()).await.status(), 204);
    assert_eq!(http.get(format!("{base}/v1/models")).bearer_auth(&secret).send().await.unwrap().status(), 401);
    assert_eq!(error_code(revoke(ana.clone()).await).await.0, 404, "revoking twice is no such token");
}

#[tokio::test]
async fn bad_token_requests_say_what_to_fix() {
    let site = Site::start("").await;
    let (_, ana) = signed_in(&site, "ana@example.org", Role::User).await;
    let (_, viewer) = signed_in(&site, "vic@example.org", Role::Viewer).await;
    for (body, code) in [
        (json!({"name": "", "scopes": ["read"]}), "invalid_name"),
        (json!({"name": "x", "scopes": []}), "invalid_scopes"),
        (json!({"name": "x", "scopes": ["admin"]}), "invalid_scopes"),
        (json!({"name": "x", "scopes": ["read"], "expires_in_days": 100000}), "invalid_expiry"),
        (json!({"name": "x", "scopes": ["read"], "colour": "red"}), "invalid_body"),
        (json!({"scopes": ["read"]}), "invalid_body"),
    ] {
        let (status, got) = error_code(site.post("/api/tokens", Some(&ana), body.clone()).await).await;
        assert_eq!(got, code, "{body}");
        assert!(status == 400 || status == 422, "{body}: {status}");
    }
    let (status, code) =
        error_code(site.post("/api/tokens", Some(&viewer), json!({"name": "x", "scopes": ["read"]})).await).await;
    assert_eq!((status, code.as_str()), (403, "forbidden"), "viewers only read");
    let malformed = site
        .stingd
        .http
        .delete(format!("{}/api/tokens/not-a-uuid", site.stingd.base))
        .header("cookie", &ana)
        .header("origin", &site.origin)
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(malformed).await, (400, "invalid_request".into()), "a malformed path is a JSON error too");
    let never =
        site.post("/api/tokens", Some(&ana), json!({"name": "x", "scopes": ["read"], "expires_in_days": 0})).await;
    assert_eq!(never.status(), 201);
    let listed: Value = site.get("/api/tokens", &ana).await.json().await.unwrap();
    assert!(listed["tokens"][0]["expires_at"].is_null(), "0 days: never expires");
}

#[tokio::test]
async fn an_admin_deletes_an_account_and_everything_it_held_stops_at_once() {
    let site = Site::start("").await;
    let (admin_id, admin) = signed_in(&site, "admin@example.org", Role::Admin).await;
    let (carl_id, carl) = signed_in(&site, "carl@example.org", Role::User).await;
    let token: Value =
        site.post("/api/tokens", Some(&carl), json!({"name": "t", "scopes": ["read"]})).await.json().await.unwrap();
    let token = token["token"].as_str().unwrap().to_string();
    let me = |auth: &str| site.stingd.http.get(format!("{}/api/me", site.stingd.base)).bearer_auth(auth).send();
    assert_eq!(me(&token).await.unwrap().status(), 200);
    assert_eq!(site.get("/api/me", &carl).await.status(), 200);

    let delete = |id: uuid::Uuid| {
        site.stingd
            .http
            .delete(format!("{}/api/admin/users/{id}", site.stingd.base))
            .header("cookie", &admin)
            .header("origin", &site.origin)
            .send()
    };
    assert_eq!(error_code(delete(admin_id).await.unwrap()).await, (400, "cannot_delete_self".into()));
    assert_eq!(delete(carl_id).await.unwrap().status(), 204);
    assert_eq!(me(&token).await.unwrap().status(), 401);
    assert_eq!(site.get("/api/me", &carl).await.status(), 401);
    assert!(users::find(&site.pool, carl_id).await.unwrap().is_none());
    assert_eq!(error_code(delete(carl_id).await.unwrap()).await, (404, "user_not_found".into()));
    let audit: Value = site.get("/api/admin/audit", &admin).await.json().await.unwrap();
    let deleted = audit["events"].as_array().unwrap().iter().find(|e| e["action"] == "user.delete").unwrap();
    assert_eq!(deleted["target"], carl_id.to_string());
}
