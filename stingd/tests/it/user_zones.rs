//! The per-user rate-limit zones: one account spread over many addresses is slowed all the same,
//! password guesses against one account are slowed from any address, and refusals reach the
//! audit log once a minute per key rather than once per request.

use std::time::Duration;

use crate::common::site::Site;
use crate::common::{API_KEY, chat_body};
use serde_json::{Value, json};
use stingd::identity::audit;
use stingd::identity::credential::Aal;
use stingd::identity::users::{self, Role};

/// A site behind a trusted proxy (the tests' own loopback), so each request can come from an
/// address of its choosing, with every zone wide open except the `per_user` lines given.
async fn site(per_user: &str) -> Site {
    Site::start(&format!(
        "  trusted_proxies: [127.0.0.1]\n  rate_limits:\n    api: 100000/s\n    ai: 100000/s\n    auth: 100000/s\n    per_user:\n{per_user}"
    ))
    .await
}

async fn signed_in(site: &Site, email: &str) -> (uuid::Uuid, String) {
    crate::common::site::new_account(&site.pool, email, Role::User, Aal::One).await
}

async fn me_from(site: &Site, cookie: &str, address: &str) -> reqwest::Response {
    site.stingd
        .http
        .get(format!("{}/api/me", site.stingd.base))
        .header("cookie", cookie)
        .header("x-forwarded-for", address)
        .send()
        .await
        .unwrap()
}

async fn refusal(response: reqwest::Response) -> String {
    assert_eq!(response.status(), 429);
    let wait: u64 = response.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(wait >= 1, "{wait}");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "rate_limited");
    body["error"]["message"].as_str().unwrap().to_string()
}

/// The `ratelimit.exceeded` events recorded so far, once the expected number has been written
/// (the write happens beside the refused request, not before its answer).
async fn rate_limit_events(site: &Site, expected: usize) -> Vec<audit::Event> {
    for _ in 0..50 {
        let events: Vec<_> = audit::recent(&site.pool, 100)
            .await
            .unwrap()
            .into_iter()
            .filter(|e| e.action == "ratelimit.exceeded")
            .collect();
        if events.len() >= expected {
            // A moment more, so that an unexpected extra record would be seen too.
            tokio::time::sleep(Duration::from_millis(200)).await;
            return audit::recent(&site.pool, 100)
                .await
                .unwrap()
                .into_iter()
                .filter(|e| e.action == "ratelimit.exceeded")
                .collect();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("fewer than {expected} rate-limit events were recorded");
}

#[tokio::test]
async fn one_user_on_many_addresses_is_slowed_and_others_are_not() {
    let site = site("      api: 3/m\n      ai: 100000/s\n      auth: 100000/s\n").await;
    let (ann_id, ann) = signed_in(&site, "ann@example.org").await;
    let (_, bob) = signed_in(&site, "bob@example.org").await;

    for n in 1..=3 {
        assert_eq!(me_from(&site, &ann, &format!("203.0.113.{n}")).await.status(), 200);
    }
    let message = refusal(me_from(&site, &ann, "198.51.100.77").await).await;
    assert!(message.contains("per user"), "{message}");
    for n in 0..4 {
        assert_eq!(me_from(&site, &ann, &format!("192.0.2.{n}")).await.status(), 429, "a fresh address does not help");
    }
    assert_eq!(me_from(&site, &bob, "198.51.100.77").await.status(), 200, "another user from the same address");

    // Five refusals, one record: who, which zone, and how many it stands for.
    let events = rate_limit_events(&site, 1).await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0].actor, Some(ann_id));
    assert_eq!(events[0].target.as_deref(), Some(format!("user:{ann_id}").as_str()));
    assert_eq!(events[0].detail["zone"], "api");
    assert_eq!(events[0].detail["refused"], 1, "the first refusal is recorded at once");
}

#[tokio::test]
async fn a_gateway_key_has_its_own_model_zone() {
    let site = site("      api: 100000/s\n      ai: 2/m\n      auth: 100000/s\n").await;
    let chat = |address: &'static str| {
        site.stingd
            .http
            .post(format!("{}/v1/chat/completions", site.stingd.base))
            .bearer_auth(API_KEY)
            .header("x-forwarded-for", address)
            .json(&chat_body("nope", 1, false))
            .send()
    };
    assert_eq!(chat("203.0.113.1").await.unwrap().status(), 404, "passes the zones, then finds no model");
    assert_eq!(chat("203.0.113.2").await.unwrap().status(), 404);
    let message = refusal(chat("203.0.113.3").await.unwrap()).await;
    assert!(message.contains("zone `ai`, per user"), "{message}");
    let models = site
        .stingd
        .http
        .get(format!("{}/v1/models", site.stingd.base))
        .bearer_auth(API_KEY)
        .header("x-forwarded-for", "203.0.113.4")
        .send()
        .await
        .unwrap();
    assert_eq!(models.status(), 200, "the model zone leaves other routes alone");
    let events = rate_limit_events(&site, 1).await;
    assert!(events[0].target.as_deref().unwrap().starts_with("key:"), "{events:?}");
    assert_eq!(events[0].actor, None);
}

#[tokio::test]
async fn password_guesses_against_one_account_are_slowed_from_any_address() {
    let site = site("      api: 100000/s\n      ai: 100000/s\n      auth: 3/m\n").await;
    let guess = |email: &'static str, address: String| {
        site.stingd
            .http
            .post(format!("{}/api/auth/password", site.stingd.base))
            .header("origin", &site.origin)
            .header("x-forwarded-for", address)
            .json(&json!({"email": email, "password": "guess", "code": "123456"}))
            .send()
    };
    users::create(&site.pool, "ann@example.org", Role::User).await.unwrap();
    for n in 1..=3 {
        assert_eq!(guess("ann@example.org", format!("203.0.113.{n}")).await.unwrap().status(), 401);
    }
    let message = refusal(guess("Ann@Example.org", "198.51.100.1".into()).await.unwrap()).await;
    assert!(message.contains("this account"), "{message}");
    assert_eq!(
        guess("bob@example.org", "198.51.100.1".into()).await.unwrap().status(),
        401,
        "another account from the same address"
    );
    // An account that does not exist is limited the same way, so the limit reveals nothing.
    for n in 1..=3 {
        assert_eq!(guess("nobody@example.org", format!("192.0.2.{n}")).await.unwrap().status(), 401);
    }
    refusal(guess("nobody@example.org", "192.0.2.9".into()).await.unwrap()).await;

    let events = rate_limit_events(&site, 2).await;
    let targets: Vec<_> = events.iter().map(|e| e.target.clone().unwrap()).collect();
    assert!(targets.contains(&"account:ann@example.org".to_string()), "{targets:?}");
    assert!(targets.contains(&"account:nobody@example.org".to_string()), "{targets:?}");
    assert!(events.iter().all(|e| e.detail["zone"] == "auth"));
}

#[tokio::test]
async fn refusals_by_address_are_recorded_too() {
    let site = Site::start(
        "  rate_limits:\n    api: 2/m\n    ai: 100000/s\n    auth: 100000/s\n    per_user:\n      api: 100000/s\n      ai: 100000/s\n      auth: 100000/s\n",
    )
    .await;
    let anonymous = || site.stingd.http.get(format!("{}/api/me", site.stingd.base)).send();
    for _ in 0..2 {
        assert_eq!(anonymous().await.unwrap().status(), 401);
    }
    let message = refusal(anonymous().await.unwrap()).await;
    assert!(message.contains("from this address"), "{message}");
    let events = rate_limit_events(&site, 1).await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].target.as_deref(), Some("address:127.0.0.1"));
    assert_eq!(events[0].actor, None);
}
