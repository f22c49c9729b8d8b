//! `auth.provider: kratos` against a server that answers with Kratos's documented whoami
//! contract (see common/kratos.rs; no real Kratos runs on these machines): sessions by cookie
//! and by token, AAL and role mapping, CSRF, fail-closed outages, built-in sign-in switched off,
//! and changes made at Kratos or in stingd reaching requests.

use std::time::{Duration, Instant};

use crate::common::kratos::{KratosContract, KratosIdentity};
use crate::common::site::Site;
use serde_json::{Value, json};
use stingd::identity::users::{self, Role};
use stingd::identity::{credential::Aal, sessions};

async fn site(kratos: &KratosContract) -> Site {
    Site::start(&format!("  provider: kratos\n  kratos:\n    public_url: {}/\n", kratos.url)).await
}

fn cookie(secret: &str) -> String {
    format!("ory_kratos_session={secret}")
}

async fn me(site: &Site, headers: &[(&str, &str)]) -> (u16, Value) {
    let mut request = site.stingd.http.get(format!("{}/api/me", site.stingd.base));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.unwrap();
    (response.status().as_u16(), response.json().await.expect("answers are JSON"))
}

#[tokio::test]
async fn a_kratos_session_is_a_user_with_its_assurance_level_and_role() {
    let kratos = KratosContract::start().await;
    let admin = KratosIdentity::new("Admin@example.org", Some("admin"));
    let plain = KratosIdentity::new("pat@example.org", None);
    kratos.sign_in("admin-cookie", &admin, "aal2");
    kratos.sign_in("pat-token", &plain, "aal1");
    let site = site(&kratos).await;

    // By cookie, beside other cookies of the site, of which Kratos sees none.
    let (status, body) =
        me(&site, &[("cookie", &format!("theme=dark; {}; __Host-sting_session=x", cookie("admin-cookie")))]).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["principal"]["user"], admin.id.to_string(), "the local user is the Kratos identity");
    assert_eq!((body["principal"]["role"].as_str(), body["principal"]["aal"].as_u64()), (Some("admin"), Some(2)));
    assert_eq!(kratos.cookies_received(), vec![cookie("admin-cookie")]);
    let listed: Value = site.get("/api/admin/users", &cookie("admin-cookie")).await.json().await.unwrap();
    let emails: Vec<_> = listed["users"].as_array().unwrap().iter().map(|u| u["email"].clone()).collect();
    assert!(emails.contains(&json!("Admin@example.org")), "{listed}");

    // By token (native apps), with no role set: a user, at AAL1, kept out of admin routes.
    let (status, body) = me(&site, &[("x-session-token", "pat-token")]).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!((body["principal"]["role"].as_str(), body["principal"]["aal"].as_u64()), (Some("user"), Some(1)));
    let admin_route = site
        .stingd
        .http
        .get(format!("{}/api/admin/users", site.stingd.base))
        .header("x-session-token", "pat-token")
        .send()
        .await
        .unwrap();
    assert_eq!(admin_route.status(), 403);

    // Kratos users get stingd API tokens like anyone; a cookie only from this site's pages.
    let minted =
        site.post("/api/tokens", Some(&cookie("admin-cookie")), json!({"name": "ci", "scopes": ["inference"]})).await;
    assert_eq!(minted.status(), 201);
    let token = minted.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_string();
    let models =
        site.stingd.http.get(format!("{}/v1/models", site.stingd.base)).bearer_auth(&token).send().await.unwrap();
    assert_eq!(models.status(), 200);
    let forged = site
        .stingd
        .http
        .post(format!("{}/api/tokens", site.stingd.base))
        .header("cookie", cookie("admin-cookie"))
        .header("origin", "https://evil.example")
        .json(&json!({"name": "x", "scopes": ["read"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    assert_eq!(forged.json::<Value>().await.unwrap()["error"]["code"], "csrf_rejected");
    let by_token = site
        .stingd
        .http
        .post(format!("{}/api/tokens", site.stingd.base))
        .header("x-session-token", "pat-token")
        .json(&json!({"name": "app", "scopes": ["read"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(by_token.status(), 201, "a header no browser sends by itself needs no Origin");
}

#[tokio::test]
async fn what_kratos_does_not_vouch_for_gets_nothing_and_an_outage_fails_closed() {
    let kratos = KratosContract::start().await;
    let odd = KratosIdentity::new("odd@example.org", Some("superuser"));
    kratos.sign_in("odd", &odd, "aal2");
    kratos.require_second_factor("half-signed-in");
    kratos.answer_garbage("garbage");
    let site = site(&kratos).await;

    assert_eq!(me(&site, &[("cookie", &cookie("unknown"))]).await.0, 401, "a stale cookie is no one");
    let (status, body) = me(&site, &[("x-session-token", "unknown")]).await;
    assert_eq!((status, body["error"]["code"].as_str()), (401, Some("invalid_api_key")));
    let (status, body) = me(&site, &[("cookie", &cookie("half-signed-in"))]).await;
    assert_eq!((status, body["error"]["code"].as_str()), (403, Some("aal2_required")), "{body}");
    let (status, body) = me(&site, &[("cookie", &cookie("odd"))]).await;
    assert_eq!((status, body["principal"]["role"].as_str()), (200, Some("viewer")), "an unknown role grants least");
    let (status, body) = me(&site, &[("cookie", &cookie("garbage"))]).await;
    assert_eq!((status, body["error"]["code"].as_str()), (503, Some("identity_unavailable")), "{body}");

    // Built-in sign-in is off: its routes say where sign-in happens, its cookies count for nothing.
    let (status, body) = {
        let r = site
            .post("/api/auth/password", None, json!({"email": "a@example.org", "password": "x", "code": "1"}))
            .await;
        (r.status().as_u16(), r.json::<Value>().await.unwrap())
    };
    assert_eq!((status, body["error"]["code"].as_str()), (409, Some("managed_by_kratos")));
    let local = users::create(&site.pool, "local@example.org", Role::Admin).await.unwrap();
    let builtin = sessions::create(&site.pool, local.id, Aal::Two, Duration::from_secs(3600)).await.unwrap();
    assert_eq!(me(&site, &[("cookie", &format!("{}={builtin}", sessions::COOKIE_NAME))]).await.0, 401);

    // Kratos down: nobody new gets in, and the answer says why.
    kratos.stop();
    kratos.sign_in("late", &KratosIdentity::new("late@example.org", None), "aal1");
    let (status, body) = me(&site, &[("cookie", &cookie("late"))]).await;
    assert_eq!((status, body["error"]["code"].as_str()), (503, Some("identity_unavailable")), "{body}");
}

#[tokio::test]
async fn changes_at_kratos_arrive_within_seconds_and_a_disable_in_stingd_at_once() {
    let kratos = KratosContract::start().await;
    let boss = KratosIdentity::new("boss@example.org", Some("admin"));
    let sam = KratosIdentity::new("sam@example.org", Some("moderator"));
    kratos.sign_in("boss", &boss, "aal2");
    kratos.sign_in("sam", &sam, "aal2");
    let site = site(&kratos).await;

    // Answers are reused for a moment rather than asked for every request.
    let before = kratos.calls();
    for _ in 0..5 {
        assert_eq!(me(&site, &[("cookie", &cookie("sam"))]).await.0, 200);
    }
    assert!(kratos.calls() - before <= 2, "{} whoami calls for five requests", kratos.calls() - before);

    // A role changed in Kratos, then a sign-out there: both reach stingd within seconds.
    kratos.set_role("sam", "viewer");
    let site_ref = &site;
    let until = |want: &'static str| async move {
        let started = Instant::now();
        loop {
            let (status, body) = me(site_ref, &[("cookie", &cookie("sam"))]).await;
            let seen = if status == 200 {
                body["principal"]["role"].as_str().unwrap().to_string()
            } else {
                status.to_string()
            };
            if seen == want {
                return started.elapsed();
            }
            assert!(started.elapsed() < Duration::from_secs(10), "still {seen}, waiting for {want}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    };
    until("viewer").await;
    kratos.sign_out("sam");
    until("401").await;

    // The moderator again; an admin disables them in stingd: refused at once, cache or not.
    kratos.sign_in("sam", &sam, "aal2");
    assert_eq!(me(&site, &[("cookie", &cookie("sam"))]).await.0, 200);
    let disabled = site.post(&format!("/api/admin/users/{}/disable", sam.id), Some(&cookie("boss")), json!({})).await;
    assert_eq!(disabled.status(), 204);
    assert_eq!(me(&site, &[("cookie", &cookie("sam"))]).await.0, 401, "disabled in stingd: refused at once");
    assert_eq!(me(&site, &[("x-session-token", "sam")]).await.0, 401);

    // Roles belong to Kratos here: stingd will not change one behind its back.
    let changed =
        site.post(&format!("/api/admin/users/{}/role", sam.id), Some(&cookie("boss")), json!({"role": "admin"})).await;
    assert_eq!(changed.status(), 409);
}

/// Traits are the user's own (Kratos's settings flow edits them): what they claim grants nothing.
#[tokio::test]
async fn a_role_trait_grants_no_role_and_an_unverified_address_is_nobody_s() {
    let kratos = KratosContract::start().await;
    let boss = KratosIdentity::new("boss@example.org", Some("admin"));
    let colleague = KratosIdentity::new("colleague@example.org", None);
    let mallory = KratosIdentity::claiming(json!({"email": "colleague@example.org", "role": "admin"}));
    kratos.sign_in("boss", &boss, "aal2");
    kratos.sign_in("colleague", &colleague, "aal2");
    kratos.sign_in("mallory", &mallory, "aal2");
    let site = site(&kratos).await;

    // Mallory signs in first, claiming admin and the colleague's address.
    let (status, body) = me(&site, &[("cookie", &cookie("mallory"))]).await;
    assert_eq!((status, body["principal"]["role"].as_str()), (200, Some("user")), "{body}");
    assert_ne!(body["email"], "colleague@example.org", "{body}");
    assert_eq!(site.get("/api/admin/users", &cookie("mallory")).await.status(), 403, "a trait opens no admin route");

    // The colleague still signs in, under their own address.
    let (status, body) = me(&site, &[("cookie", &cookie("colleague"))]).await;
    assert_eq!((status, body["email"].as_str()), (200, Some("colleague@example.org")), "{body}");

    // A jar shared with the colleague's address is the colleague's, not Mallory's.
    let jar = site.post("/api/jars", Some(&cookie("boss")), json!({"name": "Board minutes"})).await;
    assert_eq!(jar.status(), 201);
    let id = jar.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_string();
    let shares = json!({"shares": [{"email": "colleague@example.org", "permission": "read"}]});
    let shared = site
        .stingd
        .http
        .put(format!("{}/api/jars/{id}/shares", site.stingd.base))
        .header("cookie", cookie("boss"))
        .header("origin", &site.origin)
        .json(&shares)
        .send()
        .await
        .unwrap();
    assert_eq!(shared.status(), 200);
    assert_eq!(site.get(&format!("/api/jars/{id}"), &cookie("colleague")).await.status(), 200);
    assert_eq!(site.get(&format!("/api/jars/{id}"), &cookie("mallory")).await.status(), 404);
}

#[test]
fn kratos_without_the_database_is_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.yml");
    std::fs::write(&config, "version: 1\nauth:\n  provider: kratos\nllm:\n  default_model: null\n  models: []\n")
        .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_stingd"))
        .args(["serve", "--listen", "127.0.0.1:0", "--config"])
        .arg(&config)
        .env("STING_API_KEY", crate::common::API_KEY)
        .env_remove(stingd::db::DATABASE_URL_VAR)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("auth.provider kratos needs the database"), "{stderr}");
}
