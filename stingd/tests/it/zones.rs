//! Rate-limit zones by client address, before authentication, with forwarding headers trusted
//! only from configured proxies. Requests name a model that does not exist: the zones answer
//! before any model would be loaded.

use crate::common::{API_KEY, Stingd, chat_body, model};
use sting_e2e::Component;
use sting_e2e::env::require_path;

/// `auth` sets the address zones; the per-user zones stay out of the way.
async fn start(auth: &str) -> Stingd {
    let auth = format!("{auth}    per_user:\n      api: 100000/s\n      ai: 100000/s\n      auth: 100000/s\n");
    Stingd::start_full(&require_path(Component::LlamaServer), &[model("bee", "")], "", &auth, &[]).await
}

async fn chat_from(stingd: &Stingd, forwarded_for: Option<&str>) -> reqwest::Response {
    let mut request = stingd.post("/v1/chat/completions", chat_body("nope", 1, false));
    if let Some(client) = forwarded_for {
        request = request.header("x-forwarded-for", client);
    }
    request.send().await.unwrap()
}

#[tokio::test]
async fn the_ai_zone_limits_model_routes_and_leaves_the_rest() {
    let stingd = start("auth:\n  rate_limits:\n    api: 1000/s\n    ai: 3/m\n").await;
    for _ in 0..3 {
        assert_eq!(chat_from(&stingd, None).await.status(), 404, "passes the zone, then finds no model");
    }
    let limited = chat_from(&stingd, None).await;
    assert_eq!(limited.status(), 429);
    let wait: u64 = limited.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=20).contains(&wait), "{wait}");
    let body: serde_json::Value = limited.json().await.unwrap();
    assert_eq!(body["error"]["code"], "rate_limited");
    assert!(body["error"]["message"].as_str().unwrap().contains("zone `ai`"));
    let models = stingd.http.get(format!("{}/v1/models", stingd.base)).bearer_auth(API_KEY).send().await.unwrap();
    assert_eq!(models.status(), 200, "other routes are in the api zone");
}

#[tokio::test]
async fn guessing_keys_is_slowed_by_the_api_zone() {
    let stingd = start("auth:\n  rate_limits:\n    api: 3/m\n").await;
    let guess = || stingd.http.get(format!("{}/v1/models", stingd.base)).bearer_auth("guess-0000000000000").send();
    for _ in 0..3 {
        assert_eq!(guess().await.unwrap().status(), 401);
    }
    assert_eq!(
        guess().await.unwrap().status(),
        429,
        "the fourth guess within a minute is refused before any key check"
    );
    assert_eq!(
        stingd.http.get(format!("{}/health", stingd.base)).send().await.unwrap().status(),
        200,
        "health is never limited"
    );
}

#[tokio::test]
async fn forwarded_addresses_count_only_behind_a_trusted_proxy() {
    // Trusted: each forwarded client has its own bucket.
    let stingd = start("auth:\n  trusted_proxies: [127.0.0.1]\n  rate_limits:\n    api: 1000/s\n    ai: 2/m\n").await;
    for _ in 0..2 {
        assert_eq!(chat_from(&stingd, Some("203.0.113.1")).await.status(), 404);
    }
    assert_eq!(chat_from(&stingd, Some("203.0.113.1")).await.status(), 429);
    assert_eq!(chat_from(&stingd, Some("203.0.113.2")).await.status(), 404, "another client behind the proxy");
    drop(stingd);

    // Not trusted: inventing the header does not buy a fresh bucket.
    let stingd = start("auth:\n  rate_limits:\n    api: 1000/s\n    ai: 2/m\n").await;
    assert_eq!(chat_from(&stingd, Some("198.51.100.1")).await.status(), 404);
    assert_eq!(chat_from(&stingd, Some("198.51.100.2")).await.status(), 404);
    assert_eq!(chat_from(&stingd, Some("198.51.100.3")).await.status(), 429);
}
