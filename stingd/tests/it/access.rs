//! Every route × every kind of caller, over HTTP against a running stingd with a database.
//! The table below must name every route the code declares: a route added without a decision
//! here fails the test, and so does a route whose behaviour differs from its decision.

use std::time::Duration;

use crate::common::API_KEY;
use crate::common::site::Site;
use axum::http::Method;
use stingd::http::access::Access;
use stingd::identity::users::{self, Role};
use stingd::identity::{credential::Aal, sessions};

/// The decision for every route: (method, path, access).
const TABLE: &[(&str, &str, Access)] = &[
    ("GET", "/", Access::Page),
    ("GET", "/signin", Access::Public),
    ("GET", "/auth/magic", Access::Public),
    ("GET", "/enrol", Access::Public),
    ("GET", "/assets/{name}", Access::Public),
    ("GET", "/bee/{id}", Access::Page),
    ("GET", "/bee/{id}/messages", Access::Page),
    ("GET", "/jars", Access::Page),
    ("GET", "/jars/{id}", Access::Page),
    ("GET", "/jars/{id}/documents/{doc}", Access::Page),
    ("GET", "/search", Access::Page),
    ("GET", "/account", Access::Page),
    ("GET", "/account/totp-qr", Access::Page),
    ("POST", "/api/auth/step-up", Access::Role(Role::Viewer)),
    ("GET", "/api/account/passkeys", Access::Role(Role::Viewer)),
    ("PATCH", "/api/account/passkeys/{id}", Access::Role(Role::Viewer)),
    ("DELETE", "/api/account/passkeys/{id}", Access::Role(Role::Viewer)),
    ("GET", "/api/account/sessions", Access::Role(Role::Viewer)),
    ("DELETE", "/api/account/sessions/{id}", Access::Role(Role::Viewer)),
    ("POST", "/api/account/recovery-codes", Access::Role(Role::Viewer)),
    ("GET", "/notifications", Access::Page),
    ("GET", "/api/notifications", Access::Role(Role::Viewer)),
    ("POST", "/api/notifications/read", Access::Role(Role::Viewer)),
    ("POST", "/api/notifications/{id}/read", Access::Role(Role::Viewer)),
    ("GET", "/api/notifications/stream", Access::Role(Role::Viewer)),
    ("GET", "/health", Access::Public),
    ("GET", "/health/ready", Access::Public),
    ("POST", "/v1/chat/completions", Access::Authenticated),
    ("POST", "/v1/completions", Access::Authenticated),
    ("POST", "/v1/embeddings", Access::Authenticated),
    ("GET", "/v1/models", Access::Authenticated),
    ("GET", "/metrics", Access::Authenticated),
    ("GET", "/api/me", Access::Authenticated),
    ("GET", "/api/admin/users", Access::Role(Role::Moderator)),
    ("POST", "/api/admin/users/{id}/disable", Access::Role(Role::Admin)),
    ("POST", "/api/admin/users/{id}/role", Access::Role(Role::Admin)),
    ("POST", "/api/admin/sessions/revoke-all", Access::Role(Role::Admin)),
    ("GET", "/api/admin/audit", Access::Role(Role::Admin)),
    ("GET", "/api/beeacon/status", Access::Role(Role::Admin)),
    ("POST", "/api/auth/enrol", Access::Public),
    ("POST", "/api/auth/password", Access::Public),
    ("POST", "/api/auth/signout", Access::Public),
    ("POST", "/api/admin/users/{id}/reset-factors", Access::Role(Role::Admin)),
    ("POST", "/api/admin/invitations", Access::Role(Role::Admin)),
    ("POST", "/api/auth/register", Access::Public),
    ("POST", "/api/auth/magic-link", Access::Public),
    ("POST", "/api/auth/magic-link/verify", Access::Public),
    ("POST", "/api/auth/totp/setup", Access::Authenticated),
    ("POST", "/api/auth/totp/confirm", Access::Authenticated),
    ("DELETE", "/api/admin/users/{id}", Access::Role(Role::Admin)),
    ("GET", "/api/tokens", Access::Role(Role::Viewer)),
    ("POST", "/api/tokens", Access::Role(Role::User)),
    ("DELETE", "/api/tokens/{id}", Access::Role(Role::Viewer)),
    ("GET", "/api/openapi.json", Access::Authenticated),
    ("POST", "/api/auth/passkey/register/start", Access::Role(Role::Viewer)),
    ("POST", "/api/auth/passkey/register/finish", Access::Role(Role::Viewer)),
    ("POST", "/api/auth/passkey/start", Access::Public),
    ("POST", "/api/auth/passkey/finish", Access::Public),
    ("GET", "/api/jars", Access::Role(Role::Viewer)),
    ("POST", "/api/jars", Access::Role(Role::User)),
    ("GET", "/api/jars/{id}", Access::Role(Role::Viewer)),
    ("PATCH", "/api/jars/{id}", Access::Role(Role::User)),
    ("DELETE", "/api/jars/{id}", Access::Role(Role::User)),
    ("PUT", "/api/jars/{id}/shares", Access::Role(Role::User)),
    ("POST", "/api/jars/{id}/documents", Access::Role(Role::User)),
    ("GET", "/api/jars/{id}/documents", Access::Role(Role::Viewer)),
    ("GET", "/api/jars/{id}/documents/{doc}/content", Access::Role(Role::Viewer)),
    ("DELETE", "/api/jars/{id}/documents/{doc}", Access::Role(Role::User)),
    ("POST", "/api/jars/{id}/documents/{doc}/approve", Access::Role(Role::Moderator)),
    ("GET", "/api/search", Access::Role(Role::Viewer)),
    ("POST", "/api/jars/{id}/reindex", Access::Role(Role::User)),
    ("GET", "/api/conversations", Access::Role(Role::Viewer)),
    ("POST", "/api/conversations", Access::Role(Role::Viewer)),
    ("GET", "/api/conversations/{id}", Access::Role(Role::Viewer)),
    ("PATCH", "/api/conversations/{id}", Access::Role(Role::Viewer)),
    ("DELETE", "/api/conversations/{id}", Access::Role(Role::Viewer)),
    ("GET", "/api/conversations/{id}/export", Access::Role(Role::Viewer)),
    ("POST", "/api/conversations/{id}/messages", Access::Role(Role::Viewer)),
];

#[derive(Clone, Copy, Debug)]
enum Who {
    Anonymous,
    StaticKey,
    Session(Role, Aal),
}

const CALLERS: &[Who] = &[
    Who::Anonymous,
    Who::StaticKey,
    Who::Session(Role::Viewer, Aal::Two),
    Who::Session(Role::User, Aal::One),
    Who::Session(Role::Moderator, Aal::One),
    Who::Session(Role::Moderator, Aal::Two),
    Who::Session(Role::Admin, Aal::One),
    Who::Session(Role::Admin, Aal::Two),
];

#[test]
fn every_declared_route_has_a_decision_in_the_table_and_they_agree() {
    let (_, decisions) = stingd::http::routes().into_parts();
    for decision in &decisions {
        let row = TABLE.iter().find(|(m, p, _)| *m == decision.method.as_str() && *p == decision.path);
        let Some((_, _, access)) = row else {
            panic!(
                "{} {} has no row in this test's TABLE: decide who may call it, and add it",
                decision.method, decision.path
            );
        };
        assert_eq!(*access, decision.access, "{} {}", decision.method, decision.path);
    }
    assert_eq!(decisions.len(), TABLE.len(), "the TABLE names routes that no longer exist");
}

#[tokio::test]
async fn every_route_answers_every_caller_as_its_decision_says() {
    let site = Site::start("").await;
    let (stingd, pool, origin) = (&site.stingd, &site.pool, &site.origin);
    let mut people = std::collections::HashMap::new();
    for role in [Role::Viewer, Role::User, Role::Moderator, Role::Admin] {
        let user = users::create(pool, &format!("{}@example.org", role.as_str()), role).await.unwrap();
        people.insert(role.as_str(), user.id);
    }

    // A page refuses by sending the browser to sign in: seen here as the redirect itself.
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let mut failures = Vec::new();
    for (n, (method, path, access)) in TABLE.iter().enumerate() {
        for (k, who) in CALLERS.iter().enumerate() {
            // A fresh target and fresh sessions each time: admin actions change state.
            let target = users::create(pool, &format!("target-{n}-{k}@example.org"), Role::User).await.unwrap();
            let url = format!("{}{}", stingd.base, path.replace("{id}", &target.id.to_string()));
            let method = Method::from_bytes(method.as_bytes()).unwrap();
            let mut request = http.request(reqwest::Method::from_bytes(method.as_str().as_bytes()).unwrap(), &url);
            if method == Method::POST {
                let body = if path.ends_with("/role") {
                    serde_json::json!({"role": "viewer"})
                } else if *path == "/api/tokens" {
                    serde_json::json!({"name": "t", "scopes": ["read"]})
                } else if path.ends_with("/invitations") {
                    serde_json::json!({"email": format!("invited-{n}-{k}@example.org")})
                } else {
                    serde_json::json!({"model": "nope", "messages": [], "prompt": "x", "input": "x"})
                };
                request = request.json(&body);
            }
            if method != Method::GET {
                request = request.header("origin", origin);
            }
            let principal = match who {
                Who::Anonymous => None,
                Who::StaticKey => {
                    request = request.bearer_auth(API_KEY);
                    Some(stingd::http::access::Principal {
                        caller: stingd::http::Caller::Key([0; 6]),
                        user: None,
                        email: None,
                        role: Role::User,
                        aal: Aal::One,
                        scopes: None,
                        credential: stingd::http::access::Credential::GatewayKey,
                    })
                }
                Who::Session(role, aal) => {
                    let user = people[role.as_str()];
                    let session = sessions::create(pool, user, *aal, Duration::from_secs(3600)).await.unwrap();
                    request = request.header("cookie", format!("{}={session}", sessions::COOKIE_NAME));
                    Some(stingd::http::access::Principal {
                        caller: stingd::http::Caller::User(user),
                        user: Some(user),
                        email: None,
                        role: *role,
                        aal: *aal,
                        scopes: None,
                        credential: stingd::http::access::Credential::Session(sessions::SessionId::new(&session)),
                    })
                }
            };
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            let to_signin = status == 303 && response.headers().get("location").is_some_and(|l| l == "/signin");
            // A stream (notifications) is open for good: its status says enough.
            let streams = response
                .headers()
                .get("content-type")
                .and_then(|t| t.to_str().ok())
                .is_some_and(|t| t.starts_with("text/event-stream"));
            let code = if streams {
                None
            } else {
                response
                    .json::<serde_json::Value>()
                    .await
                    .ok()
                    .and_then(|b| b["error"]["code"].as_str().map(str::to_string))
            };
            // The access layer's own refusals; a handler may answer 401 for other reasons (a
            // wrong password), which is not a refusal of access.
            let refused = to_signin
                || matches!((status, code.as_deref()), (401, Some("invalid_api_key")) | (403, Some("forbidden")));
            let expected = access.check(principal.as_ref());
            let ok = match expected {
                Ok(()) => !refused,
                Err(_) if *access == Access::Page => to_signin,
                Err(refusal) => refused && status == refusal.as_u16(),
            };
            if !ok {
                failures.push(format!("{method} {path} as {who:?}: got {status}, expected {expected:?}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[tokio::test]
async fn admin_actions_work_and_are_audited() {
    let site = Site::start("").await;
    let (stingd, pool, origin) = (&site.stingd, &site.pool, &site.origin);
    let admin = users::create(pool, "admin@example.org", Role::Admin).await.unwrap();
    let session = sessions::create(pool, admin.id, Aal::Two, Duration::from_secs(3600)).await.unwrap();
    let cookie = format!("{}={session}", sessions::COOKIE_NAME);
    let bob = users::create(pool, "bob@example.org", Role::User).await.unwrap();
    let bobs_session = sessions::create(pool, bob.id, Aal::One, Duration::from_secs(3600)).await.unwrap();
    let post = |path: String, body: serde_json::Value| {
        stingd
            .http
            .post(format!("{}{path}", stingd.base))
            .header("cookie", &cookie)
            .header("origin", origin)
            .json(&body)
            .send()
    };

    let me: serde_json::Value = stingd
        .http
        .get(format!("{}/api/me", stingd.base))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["email"], "admin@example.org");
    let bobs_cookie = format!("{}={bobs_session}", sessions::COOKIE_NAME);
    let bob_me = || stingd.http.get(format!("{}/api/me", stingd.base)).header("cookie", &bobs_cookie).send();
    assert_eq!(bob_me().await.unwrap().status(), 200, "bob's session works (and is now cached)");
    assert_eq!(me["principal"]["role"], "admin");
    assert_eq!(me["principal"]["aal"], 2);

    assert_eq!(
        post(format!("/api/admin/users/{}/role", bob.id), serde_json::json!({"role": "moderator"}))
            .await
            .unwrap()
            .status(),
        204
    );
    assert_eq!(users::find(pool, bob.id).await.unwrap().unwrap().role, Role::Moderator);
    assert_eq!(bob_me().await.unwrap().status(), 401, "new privileges need a new sign-in");
    assert_eq!(
        post(format!("/api/admin/users/{}/disable", bob.id), serde_json::json!({})).await.unwrap().status(),
        204
    );
    let refused = post(format!("/api/admin/users/{}/disable", admin.id), serde_json::json!({})).await.unwrap();
    assert_eq!(refused.status(), 400, "no locking oneself out");
    let unknown =
        post(format!("/api/admin/users/{}/disable", uuid::Uuid::new_v4()), serde_json::json!({})).await.unwrap();
    assert_eq!(unknown.status(), 404);
    let bad_role =
        post(format!("/api/admin/users/{}/role", bob.id), serde_json::json!({"role": "emperor"})).await.unwrap();
    assert_eq!(bad_role.status(), 422);

    let audit: serde_json::Value = stingd
        .http
        .get(format!("{}/api/admin/audit", stingd.base))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let actions: Vec<&str> =
        audit["events"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["user.disable", "user.role"]);
    assert_eq!(audit["events"][1]["detail"], serde_json::json!({"from": "user", "to": "moderator"}));
    assert_eq!(audit["events"][0]["actor"], admin.id.to_string());

    let revoked: serde_json::Value =
        post("/api/admin/sessions/revoke-all".into(), serde_json::json!({})).await.unwrap().json().await.unwrap();
    assert_eq!(revoked["revoked"], 1, "the admin's own session");
    let after = stingd.http.get(format!("{}/api/me", stingd.base)).header("cookie", &cookie).send().await.unwrap();
    assert_eq!(after.status(), 401);
}

#[tokio::test]
async fn the_inside_view_counts_sessions_and_documents_for_an_admin_with_a_second_factor_only() {
    let site = Site::start("").await;
    let (stingd, pool) = (&site.stingd, &site.pool);
    let admin = users::create(pool, "admin@example.org", Role::Admin).await.unwrap();
    let strong = sessions::create(pool, admin.id, Aal::Two, Duration::from_secs(3600)).await.unwrap();
    let weak = sessions::create(pool, admin.id, Aal::One, Duration::from_secs(3600)).await.unwrap();
    let get = |session: String| {
        stingd
            .http
            .get(format!("{}/api/beeacon/status", stingd.base))
            .header("cookie", format!("{}={session}", sessions::COOKIE_NAME))
            .send()
    };
    let refused = get(weak.to_string()).await.unwrap();
    assert_eq!(refused.status(), 403, "an admin without a second factor is refused");
    let answer = get(strong.to_string()).await.unwrap();
    assert_eq!(answer.status(), 200);
    let view: serde_json::Value = answer.json().await.unwrap();
    assert_eq!(view["sessions"]["active"], 2, "{view:#}");
    assert_eq!(view["sessions"]["users_signed_in"], 1, "{view:#}");
    assert_eq!(view["ingestion"]["queued"], 0, "{view:#}");
    assert!(view["schema"]["known"].as_i64().unwrap() >= 9, "{view:#}");
    assert!(view["models"].is_array(), "{view:#}");
    assert_eq!(view["vault"]["configured"], true, "the site's stingd has its Vault: {view:#}");
}
