//! The web app in a real browser (headless Chromium over WebDriver), against a stingd with
//! PostgreSQL, OpenBao and a mail sink, as a person would use it.

use std::time::{Duration, Instant};

use fantoccini::Locator;
use sting_e2e::browser::Browser;
use stingd::identity::users::{self, Role};

use crate::common::site::Site;

/// Polls `check` until it holds, or panics with what was last seen.
async fn until<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = (bool, String)>,
{
    let started = Instant::now();
    loop {
        let (done, seen) = check().await;
        if done {
            return;
        }
        assert!(started.elapsed() < Duration::from_secs(15), "{what}: still {seen}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_person_signs_in_with_a_mailed_link_and_signs_out_in_a_real_browser() {
    let site = Site::start_https("  magic_link_ttl: 10m\n").await;
    users::create(&site.pool, "ada@example.org", Role::User).await.unwrap();
    let browser = Browser::start().await;
    let page = &browser.client;

    // Not signed in: the start page sends one to sign in.
    page.goto(&format!("{}/", site.origin)).await.unwrap();
    assert_eq!(page.current_url().await.unwrap().path(), "/signin");
    let label = page.find(Locator::Css("label[for=email]")).await.unwrap().text().await.unwrap();
    assert_eq!(label, "Email address");
    page.find(Locator::Id("email")).await.unwrap().send_keys("ada@example.org").await.unwrap();
    page.find(Locator::Css("#magic-link-form button")).await.unwrap().click().await.unwrap();
    until("the page says the link is on its way", || async {
        let text = page.find(Locator::Id("status")).await.unwrap().text().await.unwrap();
        (text.starts_with("Check your mail"), text)
    })
    .await;

    let mails = site.mail.wait_for(1, Duration::from_secs(10)).await;
    let token = site.link_secret(&mails[0].data, "/auth/magic");
    page.goto(&format!("{}/auth/magic#{token}", site.origin)).await.unwrap();
    // Nothing is used until the person asks (a mail scanner opening the page uses nothing).
    let unused: i64 = sqlx::query_scalar("SELECT count(*) FROM magic_links WHERE used_at IS NULL")
        .fetch_one(&site.pool)
        .await
        .unwrap();
    assert_eq!(unused, 1);
    page.find(Locator::Id("use-link")).await.unwrap().click().await.unwrap();
    until("the link lands signed in", || async {
        let url = page.current_url().await.unwrap();
        let who = match page.find(Locator::Id("who")).await {
            Ok(who) => who.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        (url.path() == "/" && who.contains("ada@example.org"), format!("{url} {who:?}"))
    })
    .await;

    // Used once: the same link again says so, in words.
    page.goto(&format!("{}/auth/magic#{token}", site.origin)).await.unwrap();
    page.find(Locator::Id("use-link")).await.unwrap().click().await.unwrap();
    until("a used link is refused", || async {
        let text = page.find(Locator::Id("status")).await.unwrap().text().await.unwrap();
        (text.contains("has been used or has expired"), text)
    })
    .await;
    page.goto(&format!("{}/", site.origin)).await.unwrap();
    page.find(Locator::Css("#signout-form button")).await.unwrap().click().await.unwrap();
    until("signing out lands on sign-in", || async {
        let url = page.current_url().await.unwrap();
        (url.path() == "/signin", url.to_string())
    })
    .await;
    page.goto(&format!("{}/", site.origin)).await.unwrap();
    assert_eq!(page.current_url().await.unwrap().path(), "/signin", "the session ended");

    // The refused link's 401 is the only error the console may show; no policy was violated.
    let console = browser.console().await;
    let unexpected: Vec<_> =
        console.iter().filter(|(level, message)| level == "SEVERE" && !message.contains("magic-link/verify")).collect();
    assert!(unexpected.is_empty(), "{console:?}");
}

#[tokio::test]
async fn the_first_admin_opens_the_enrolment_link_registers_a_passkey_and_signs_in_with_it() {
    let site = Site::start_https("").await;
    let admin = users::create(&site.pool, "root@example.org", Role::Admin).await.unwrap();
    let token = stingd::identity::enrolment::create(&site.pool, admin.id).await.unwrap();
    let browser = Browser::start().await;
    browser.add_virtual_authenticator().await;
    let page = &browser.client;

    page.goto(&format!("{}/enrol#{token}", site.origin)).await.unwrap();
    page.find(Locator::Id("open-invitation")).await.unwrap().click().await.unwrap();
    until("the invitation opens", || async {
        let text = page.find(Locator::Id("status")).await.unwrap().text().await.unwrap();
        (text.contains("now register a passkey"), text)
    })
    .await;
    page.find(Locator::Id("register-passkey")).await.unwrap().click().await.unwrap();
    until("the passkey is kept and the admin lands signed in", || async {
        let url = page.current_url().await.unwrap();
        let who = match page.find(Locator::Id("who")).await {
            Ok(who) => who.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        (url.path() == "/" && who.contains("root@example.org (admin)"), format!("{url} {who:?}"))
    })
    .await;
    let kept: i64 = sqlx::query_scalar("SELECT count(*) FROM passkey_factors WHERE user_id = $1")
        .bind(admin.id)
        .fetch_one(&site.pool)
        .await
        .unwrap();
    assert_eq!(kept, 1);

    page.find(Locator::Css("#signout-form button")).await.unwrap().click().await.unwrap();
    until("signed out", || async {
        let url = page.current_url().await.unwrap();
        (url.path() == "/signin", url.to_string())
    })
    .await;
    page.find(Locator::Id("email")).await.unwrap().send_keys("root@example.org").await.unwrap();
    page.find(Locator::Id("passkey-signin")).await.unwrap().click().await.unwrap();
    until("the passkey signs the admin back in", || async {
        let url = page.current_url().await.unwrap();
        (url.path() == "/", url.to_string())
    })
    .await;
    let console = browser.console().await;
    assert!(console.iter().all(|(level, _)| level != "SEVERE"), "{console:?}");
}

#[tokio::test]
async fn pages_carry_the_page_policy_and_assets_are_cached_by_their_hash() {
    let site = Site::start("").await;
    let http = &site.stingd.http;
    let signin = http.get(format!("{}/signin", site.stingd.base)).send().await.unwrap();
    assert_eq!(signin.status(), 200);
    let policy = signin.headers()["content-security-policy"].to_str().unwrap().to_string();
    for directive in
        ["script-src 'self'", "style-src 'self'", "frame-ancestors 'none'", "base-uri 'none'", "form-action 'none'"]
    {
        assert!(policy.contains(directive), "{policy}");
    }
    assert!(!policy.contains("unsafe-inline") && !policy.contains("unsafe-eval"), "{policy}");
    let html = signin.text().await.unwrap();
    assert!(!html.contains("<script>") && !html.contains("style="), "no inline script or style:\n{html}");
    let css = html.split("href=\"").nth(1).and_then(|rest| rest.split('"').next()).unwrap().to_string();
    assert!(css.starts_with("/assets/app.") && css.ends_with(".css"), "{css}");
    let asset = http.get(format!("{}{css}", site.stingd.base)).send().await.unwrap();
    assert_eq!(asset.status(), 200);
    assert_eq!(asset.headers()["cache-control"], "public, max-age=31536000, immutable");
    assert!(asset.headers()["content-type"].to_str().unwrap().starts_with("text/css"));
    let unhashed = http.get(format!("{}/assets/app.css", site.stingd.base)).send().await.unwrap();
    assert_eq!(unhashed.status(), 404);
    // An unknown address: a page for a browser, the API's JSON for a program.
    let lost =
        http.get(format!("{}/no/such/page", site.stingd.base)).header("accept", "text/html").send().await.unwrap();
    assert_eq!(lost.status(), 404);
    assert!(lost.headers()["content-type"].to_str().unwrap().starts_with("text/html"), "{:?}", lost.headers());
    assert!(lost.headers()["content-security-policy"].to_str().unwrap().contains("script-src 'self'"));
    assert!(lost.text().await.unwrap().contains("<h1>Nothing here</h1>"));
    let lost = http.get(format!("{}/no/such/page", site.stingd.base)).send().await.unwrap();
    assert_eq!(lost.status(), 404);
    assert_eq!(lost.json::<serde_json::Value>().await.unwrap()["error"]["code"], "not_found");
    // The API keeps its own, stricter policy.
    let api = http.get(format!("{}/health", site.stingd.base)).send().await.unwrap();
    assert_eq!(api.headers()["content-security-policy"], "default-src 'none'; frame-ancestors 'none'");
}
