//! The web app in a real browser (headless Chromium over WebDriver), against a stingd with
//! PostgreSQL, OpenBao and a mail sink, as a person would use it.

use std::time::{Duration, Instant};

use fantoccini::Locator;
use sting_e2e::browser::Browser;
use stingd::identity::users::{self, Role};

use crate::common::site::Site;

/// Polls `check` until it holds, or panics with what was last seen.
async fn until<F, Fut>(what: &str, check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = (bool, String)>,
{
    until_within(what, Duration::from_secs(15), check).await
}

/// The same, for what takes a model's time (an answer, on a machine running other tests).
async fn until_within<F, Fut>(what: &str, limit: Duration, mut check: F)
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
        assert!(started.elapsed() < limit, "{what}: still {seen}");
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
    check_page(&browser, "signin").await;
    // The check sees what a person with a screen reader would miss: a field without its label.
    page.execute("document.querySelector('label[for=email]').remove()", vec![]).await.unwrap();
    let found = browser.accessibility_violations().await;
    assert!(found.iter().any(|f| f.starts_with("label")), "{found:?}");
    page.refresh().await.unwrap();
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
    check_page(&browser, "magic-link").await;
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
    check_page(&browser, "enrol").await;
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
        (url.path() == "/" && who.contains("root@example.org") && who.contains("admin"), format!("{url} {who:?}"))
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

const GUIDE: &str = "# Hive care\n\nInspect the frames weekly. Propolis seals small gaps in the hive; bees make it from tree resin.\n\n## Winter\n\nLeave enough honey for the colony: twenty kilograms for a strong hive.\n";
const NOTES: &str = "Swarming season starts in May. Keep a spare hive ready for a caught swarm.\n";
const CONTACTS: &str = "Call the bee inspector, Jo Smith, at jo.smith@example.org or +44 20 7946 0958.\n";

/// A browser signed in as `email` with a mailed link, as a person does; `mails` is how many
/// mails the site has sent before this one.
async fn signed_in_browser(site: &Site, email: &str, mails: usize) -> Browser {
    let browser = Browser::start().await;
    let page = &browser.client;
    page.goto(&format!("{}/signin", site.origin)).await.unwrap();
    page.find(Locator::Id("email")).await.unwrap().send_keys(email).await.unwrap();
    page.find(Locator::Css("#magic-link-form button")).await.unwrap().click().await.unwrap();
    let sent = site.mail.wait_for(mails + 1, Duration::from_secs(10)).await;
    let token = site.link_secret(&sent[mails].data, "/auth/magic");
    page.goto(&format!("{}/auth/magic#{token}", site.origin)).await.unwrap();
    page.find(Locator::Id("use-link")).await.unwrap().click().await.unwrap();
    until("the link lands signed in", || async {
        let url = page.current_url().await.unwrap();
        (url.path() == "/" && text_of(page, "#who").await.contains(email), url.to_string())
    })
    .await;
    browser
}

/// Signs out (to the sign-in page), then fills in the password form and sends it.
async fn sign_out_then_send_password(page: &fantoccini::Client, email: &str, password: &str, code: &str) {
    page.find(Locator::Css("#signout-form button")).await.unwrap().click().await.unwrap();
    until("signed out", || async {
        let url = page.current_url().await.unwrap();
        (url.path() == "/signin", url.to_string())
    })
    .await;
    page.find(Locator::Css("details.panel summary")).await.unwrap().click().await.unwrap();
    page.find(Locator::Id("password-email")).await.unwrap().send_keys(email).await.unwrap();
    page.find(Locator::Id("password")).await.unwrap().send_keys(password).await.unwrap();
    page.find(Locator::Id("code")).await.unwrap().send_keys(code).await.unwrap();
    page.find(Locator::Css("#password-form button")).await.unwrap().click().await.unwrap();
}

/// Waits until the page says what was sent is not right.
async fn refused_in_words(page: &fantoccini::Client, what: &str) {
    until(what, || async {
        let text = text_of(page, "#status").await;
        (text.contains("is not right"), text)
    })
    .await;
}

async fn text_of(page: &fantoccini::Client, css: &str) -> String {
    match page.find(Locator::Css(css)).await {
        Ok(found) => found.text().await.unwrap_or_default(),
        Err(_) => String::new(),
    }
}

/// axe-core finds no serious violation on the page as it is; a screenshot is kept when asked.
async fn check_page(browser: &Browser, name: &str) {
    let found = browser.accessibility_violations().await;
    assert!(found.is_empty(), "accessibility of {name}: {found:#?}");
    browser.keep_screenshot(name).await;
}

/// The page fits a phone's width: nothing to scroll sideways.
async fn fits_a_phone(browser: &Browser, name: &str) {
    browser.resize(390, 844).await;
    // The elements that reach past the right edge, if any.
    let wide = browser
        .client
        .execute(
            "if (document.documentElement.scrollWidth <= window.innerWidth) return [];
             return [...document.querySelectorAll('body *')]
               .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1)
               .map((e) => `${e.tagName.toLowerCase()}#${e.id}.${e.className} ${Math.round(e.getBoundingClientRect().right)}`)",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(wide, serde_json::json!([]), "{name} scrolls sideways on a phone");
    browser.keep_screenshot(&format!("{name}-phone")).await;
    browser.resize(1280, 900).await;
}

/// No console error and no policy violation, but those `allowed` names.
async fn assert_clean_console(browser: &Browser, allowed: &[&str]) {
    let console = browser.console().await;
    let unexpected: Vec<_> = console
        .iter()
        .filter(|(level, message)| {
            (level == "SEVERE" || message.contains("Content Security Policy") || message.contains("Trusted Type"))
                && !allowed.iter().any(|a| message.contains(a))
        })
        .collect();
    assert!(unexpected.is_empty(), "{unexpected:?}");
}

#[tokio::test]
async fn a_user_fills_a_jar_asks_bee_and_opens_the_cited_passage_and_a_viewer_cannot_upload() {
    let bee = crate::common::model("bee", "context: 2048\nparallel: 1\nthreads: 2");
    let sections = "bee:\n  model: bee\n  answer_tokens: 48\n  sources: 3\n\
                    honey_jars:\n  min_score: 0.01\n\
                    pii:\n  mode: flag\n  entities: [email, phone]\n";
    let site = Site::start_https_with("", &[bee], sections).await;
    let ann = users::create(&site.pool, "ann@example.org", Role::User).await.unwrap();
    let browser = signed_in_browser(&site, "ann@example.org", 0).await;
    let page = &browser.client;

    // A jar, made on its page.
    page.goto(&format!("{}/jars", site.origin)).await.unwrap();
    page.find(Locator::Css("#create-panel summary")).await.unwrap().click().await.unwrap();
    page.find(Locator::Id("jar-name")).await.unwrap().send_keys("Beekeeping").await.unwrap();
    page.find(Locator::Id("jar-description")).await.unwrap().send_keys("How we keep our hives").await.unwrap();
    page.find(Locator::Css("#new-jar button[type=submit]")).await.unwrap().click().await.unwrap();
    until("the new jar's page opens", || async {
        let url = page.current_url().await.unwrap();
        (url.path().starts_with("/jars/") && text_of(page, "h1").await == "Beekeeping", url.to_string())
    })
    .await;
    let jar = page.current_url().await.unwrap().path().trim_start_matches("/jars/").to_string();

    // Three files at once through the picker: two become ready, the one with personal data is held.
    let files = tempfile::tempdir().unwrap();
    let mut paths = Vec::new();
    for (name, text) in [("guide.md", GUIDE), ("notes.txt", NOTES), ("contacts.txt", CONTACTS)] {
        let path = files.path().join(name);
        std::fs::write(&path, text).unwrap();
        paths.push(path.to_str().unwrap().to_string());
    }
    page.find(Locator::Id("files")).await.unwrap().send_keys(&paths.join("\n")).await.unwrap();
    until("each file has its own line and is sent", || async {
        let lines = page.find_all(Locator::Css("#uploads li.done")).await.unwrap().len();
        (lines == 3, format!("{lines} sent: {}", text_of(page, "#uploads").await))
    })
    .await;
    until("their statuses settle: ready, ready, held with the kinds found", || async {
        let table = text_of(page, "#documents").await;
        let ready = page.find_all(Locator::Css("#documents tr[data-status=ready]")).await.unwrap().len();
        let held = text_of(page, "#documents tr[data-status=held]").await;
        (ready == 2 && held.contains("held for review") && held.contains("email") && held.contains("phone"), table)
    })
    .await;
    // A reload shows the same, rendered by the server.
    page.refresh().await.unwrap();
    let held = text_of(page, "#documents tr[data-status=held]").await;
    assert!(held.contains("contacts.txt") && held.contains("personal data found: email, phone"), "{held}");
    check_page(&browser, "jar").await;
    fits_a_phone(&browser, "jar").await;
    page.goto(&format!("{}/jars", site.origin)).await.unwrap();
    check_page(&browser, "jars").await;
    assert_clean_console(&browser, &[]).await;

    // Bee, on this jar only: the answer streams in, then shows its sources.
    page.goto(&format!("{}/", site.origin)).await.unwrap();
    page.find(Locator::Css("input[name=scope][value=some]")).await.unwrap().click().await.unwrap();
    page.find(Locator::Css(&format!("input[name=jar][value='{jar}']"))).await.unwrap().click().await.unwrap();
    page.find(Locator::Css("#new-conversation button[type=submit]")).await.unwrap().click().await.unwrap();
    until("the conversation opens", || async {
        let url = page.current_url().await.unwrap();
        (url.path().starts_with("/bee/"), url.to_string())
    })
    .await;
    let conversation_url = page.current_url().await.unwrap().to_string();
    page.find(Locator::Id("question")).await.unwrap().send_keys("What do bees make propolis from?").await.unwrap();
    page.find(Locator::Id("ask")).await.unwrap().click().await.unwrap();
    until_within("the answer is rendered with its sources", Duration::from_secs(120), || async {
        let answer = text_of(page, "li.answer:not(.pending) .markdown").await;
        let sources = text_of(page, "li.answer:not(.pending) .sources").await;
        (!answer.is_empty() && sources.contains("guide.md"), format!("{answer:?} {sources:?}"))
    })
    .await;
    // History survives a reload.
    page.refresh().await.unwrap();
    check_page(&browser, "conversation").await;
    fits_a_phone(&browser, "conversation").await;
    let question = text_of(page, "li.question .text").await;
    assert_eq!(question, "What do bees make propolis from?");
    let source = page.find(Locator::Css("li.answer .sources a")).await.unwrap();
    let href = source.attr("href").await.unwrap().unwrap();
    assert!(href.starts_with(&format!("/jars/{jar}/documents/")) && href.contains("#passage-"), "{href}");
    source.click().await.unwrap();
    until("the cited passage opens, marked", || async {
        let url = page.current_url().await.unwrap();
        let fragment = url.fragment().unwrap_or_default().to_string();
        let passage = text_of(page, &format!("#{fragment}")).await;
        (passage.contains("Propolis seals small gaps"), format!("{url} {passage:?}"))
    })
    .await;
    let focused = page.active_element().await.unwrap().attr("id").await.unwrap().unwrap_or_default();
    assert!(focused.starts_with("passage-"), "the cited passage has the focus: {focused}");
    check_page(&browser, "document").await;

    // Asked again: the new answer takes the old one's place once it is whole.
    page.goto(&conversation_url).await.unwrap();
    page.find(Locator::Id("regenerate")).await.unwrap().click().await.unwrap();
    // The old answer stays, dimmed, while the new one streams in below it.
    let waiting = page.find_all(Locator::Css("#messages .superseded, #messages .pending")).await.unwrap().len();
    assert!(waiting >= 2, "asking again shows the old answer superseded and a new one pending");
    until_within("the answer asked again replaces the old one", Duration::from_secs(120), || async {
        let count = |css: &'static str| async move { page.find_all(Locator::Css(css)).await.unwrap().len() };
        let seen = (
            count("#messages li.question").await,
            count("#messages li.answer").await,
            count("#messages .pending, #messages .superseded").await,
        );
        (seen == (1, 1, 0) && !text_of(page, "li.answer .markdown").await.is_empty(), format!("{seen:?}"))
    })
    .await;
    let status = page.find(Locator::Id("status")).await.unwrap();
    assert_ne!(status.attr("class").await.unwrap().as_deref(), Some("error"), "{}", status.text().await.unwrap());

    // Stopped at its first token (a person's click on Stop, the moment text appears): what was
    // said is kept and marked as stopped.
    page.execute(
        "const list = document.getElementById('messages');
         new MutationObserver((_, watcher) => {
           const streamed = list.querySelector('.pending .text.streaming');
           if (streamed && streamed.textContent) { watcher.disconnect(); document.getElementById('stop').click(); }
         }).observe(list, { subtree: true, childList: true, characterData: true });",
        vec![],
    )
    .await
    .unwrap();
    let question = "Tell me all about swarms, and write to me at ann@example.org.";
    page.find(Locator::Id("question")).await.unwrap().send_keys(question).await.unwrap();
    page.find(Locator::Id("ask")).await.unwrap().click().await.unwrap();
    until_within("the stopped answer is kept and marked", Duration::from_secs(120), || async {
        let status = text_of(page, "#status").await;
        let notice = text_of(page, "#messages li.answer:last-child .notice").await;
        (status.starts_with("Stopped") && notice.contains("You stopped this answer"), format!("{status:?} {notice:?}"))
    })
    .await;
    page.refresh().await.unwrap();
    let answers = page.find_all(Locator::Css("#messages li.answer")).await.unwrap().len();
    assert_eq!(answers, 2, "the stopped answer is stored");
    // The policy flags personal data in a question (`pii.mode: flag`), and the page says so.
    let questions = page.find_all(Locator::Css("#messages li.question")).await.unwrap();
    let flagged = questions.last().unwrap().text().await.unwrap();
    assert!(flagged.contains("personal data (email)"), "{flagged:?}");

    // The list: found by its title, renamed, exported, deleted.
    page.goto(&format!("{}/", site.origin)).await.unwrap();
    check_page(&browser, "bee").await;
    let filter = page.find(Locator::Id("filter")).await.unwrap();
    filter.send_keys("no such words").await.unwrap();
    assert!(page.find(Locator::Id("no-match")).await.unwrap().is_displayed().await.unwrap());
    filter.clear().await.unwrap();
    filter.send_keys("propolis").await.unwrap();
    assert!(page.find(Locator::Css("#conversations li")).await.unwrap().is_displayed().await.unwrap());
    page.find(Locator::Css("#conversations .rename")).await.unwrap().click().await.unwrap();
    let title = page.find(Locator::Css("#conversations form.inline input")).await.unwrap();
    title.clear().await.unwrap();
    title.send_keys("Resin and hives").await.unwrap();
    page.find(Locator::Css("#conversations form.inline button[type=submit]")).await.unwrap().click().await.unwrap();
    until("the conversation is renamed", || async {
        let link = text_of(page, "#conversations .conversation-link").await;
        (link == "Resin and hives", link)
    })
    .await;
    let export = |format: &'static str| async move {
        let href = page
            .find(Locator::Css(&format!("#conversations a[href$='format={format}']")))
            .await
            .unwrap()
            .attr("href")
            .await
            .unwrap()
            .unwrap();
        page.execute_async(
            "const [href, done] = arguments; fetch(href).then((r) => r.text()).then(done, (e) => done(`failed: ${e}`));",
            vec![serde_json::json!(href)],
        )
        .await
        .unwrap()
        .as_str()
        .unwrap_or_default()
        .to_string()
    };
    let markdown = export("markdown").await;
    assert!(
        markdown.starts_with("# Resin and hives") && markdown.contains("What do bees make propolis from?"),
        "{markdown}"
    );
    let json: serde_json::Value = serde_json::from_str(&export("json").await).unwrap();
    assert_eq!(json["messages"].as_array().map(Vec::len), Some(4), "{json}");
    page.find(Locator::Css("#conversations .delete")).await.unwrap().click().await.unwrap();
    page.accept_alert().await.unwrap();
    until("the conversation is deleted", || async {
        let rows = page.find_all(Locator::Css("#conversations li")).await.unwrap().len();
        (rows == 0 && text_of(page, "#status").await == "Conversation deleted.", format!("{rows} rows"))
    })
    .await;
    page.refresh().await.unwrap();
    assert!(page.find(Locator::Id("no-conversations")).await.is_ok(), "gone after a reload too");
    assert_clean_console(&browser, &[]).await;

    // Search across what I may read, the words found marked.
    page.goto(&format!("{}/search?q=propolis", site.origin)).await.unwrap();
    let marked = text_of(page, "#hits mark").await;
    assert_eq!(marked.to_lowercase(), "propolis");
    check_page(&browser, "search").await;
    page.goto(&format!("{}/no/such/page", site.origin)).await.unwrap();
    assert_eq!(text_of(page, "h1").await, "Nothing here");
    check_page(&browser, "not-found").await;

    // A viewer the jar is shared with reads it, sees no upload control, and the API refuses them.
    let vic = users::create(&site.pool, "vic@example.org", Role::Viewer).await.unwrap();
    let ann_cookie = crate::common::site::cookie_for(&site.pool, ann.id, stingd::identity::credential::Aal::One).await;
    let share = serde_json::json!({"shares": [{"email": "vic@example.org", "permission": "write"}]});
    let shares = format!("/api/jars/{jar}/shares");
    let shared = site.request(reqwest::Method::PUT, &shares, &ann_cookie).json(&share).send().await.unwrap();
    assert_eq!(shared.status(), 200);
    let viewer = signed_in_browser(&site, "vic@example.org", 1).await;
    viewer.client.goto(&format!("{}/jars/{jar}", site.origin)).await.unwrap();
    assert_eq!(text_of(&viewer.client, "h1").await, "Beekeeping");
    assert!(viewer.client.find(Locator::Id("files")).await.is_err(), "a viewer sees no upload control");
    assert!(viewer.client.find(Locator::Css(".delete-document")).await.is_err());
    let vic_cookie = crate::common::site::cookie_for(&site.pool, vic.id, stingd::identity::credential::Aal::One).await;
    let upload = format!("/api/jars/{jar}/documents?name=x.txt");
    let refused = site.request(reqwest::Method::POST, &upload, &vic_cookie).body("hello").send().await.unwrap();
    assert_eq!(refused.status(), 403, "the API refuses what the page does not offer");
    assert_clean_console(&viewer, &[]).await;
}

#[tokio::test]
async fn on_its_page_a_manager_renames_a_jar_shares_it_with_a_person_and_a_role_and_deletes_it() {
    let site = Site::start_https("").await;
    let ann = users::create(&site.pool, "ann@example.org", Role::User).await.unwrap();
    let vic = users::create(&site.pool, "vic@example.org", Role::Viewer).await.unwrap();
    let bo = users::create(&site.pool, "bo@example.org", Role::User).await.unwrap();
    let cookie = |id| crate::common::site::cookie_for(&site.pool, id, stingd::identity::credential::Aal::One);
    let leak = |cookie: String| -> &'static str { Box::leak(cookie.into_boxed_str()) };
    let (ann_cookie, vic_cookie, bo_cookie) =
        (leak(cookie(ann.id).await), leak(cookie(vic.id).await), leak(cookie(bo.id).await));
    let made = site.post("/api/jars", Some(ann_cookie), serde_json::json!({"name": "Apiary"})).await;
    let jar = made.json::<serde_json::Value>().await.unwrap()["id"].as_str().unwrap().to_string();
    let path = format!("/api/jars/{jar}");
    let jar_as = |cookie: &'static str| site.get(&path, cookie);

    let browser = signed_in_browser(&site, "ann@example.org", 0).await;
    let page = &browser.client;
    page.goto(&format!("{}/jars/{jar}", site.origin)).await.unwrap();
    let name = page.find(Locator::Id("edit-name")).await.unwrap();
    name.clear().await.unwrap();
    name.send_keys("Apiary notes").await.unwrap();
    page.find(Locator::Id("edit-description")).await.unwrap().send_keys("Where the hives stand").await.unwrap();
    page.find(Locator::Css("#edit-jar button[type=submit]")).await.unwrap().click().await.unwrap();
    until("the jar is renamed", || async {
        let title = text_of(page, "#jar-title").await;
        (title == "Apiary notes" && text_of(page, "#status").await == "Saved.", title)
    })
    .await;
    page.refresh().await.unwrap();
    assert_eq!(text_of(page, "#jar-about").await, "Where the hives stand");

    // A person (by email, to read) and a role (every user, to add documents), then saved.
    page.find(Locator::Id("share-email")).await.unwrap().send_keys("vic@example.org").await.unwrap();
    page.find(Locator::Id("add-share")).await.unwrap().click().await.unwrap();
    page.find(Locator::Css("#share-kind option[value=role]")).await.unwrap().click().await.unwrap();
    assert!(!page.find(Locator::Id("share-email")).await.unwrap().is_displayed().await.unwrap());
    page.find(Locator::Css("#share-role option[value=user]")).await.unwrap().click().await.unwrap();
    page.find(Locator::Css("#share-permission option[value=write]")).await.unwrap().click().await.unwrap();
    page.find(Locator::Id("add-share")).await.unwrap().click().await.unwrap();
    assert_eq!(jar_as(vic_cookie).await.status(), 404, "nothing is shared before it is saved");
    page.find(Locator::Css("#shares-form > button[type=submit]")).await.unwrap().click().await.unwrap();
    until("sharing is saved", || async {
        let status = text_of(page, "#status").await;
        (status == "Sharing saved.", status)
    })
    .await;
    let seen = jar_as(vic_cookie).await.json::<serde_json::Value>().await.unwrap();
    assert_eq!(seen["permission"], "read", "{seen}");
    let seen = jar_as(bo_cookie).await.json::<serde_json::Value>().await.unwrap();
    assert_eq!(seen["permission"], "write", "{seen}");
    // The page shows what is stored, and one share removed is no longer given.
    page.refresh().await.unwrap();
    let rows = text_of(page, "#shares").await;
    assert!(rows.contains("vic@example.org") && rows.contains("user"), "{rows}");
    check_page(&browser, "jar-manage").await;
    page.find(Locator::Css(".remove-share[aria-label$='vic@example.org']")).await.unwrap().click().await.unwrap();
    page.find(Locator::Css("#shares-form > button[type=submit]")).await.unwrap().click().await.unwrap();
    until("the share is removed", || async {
        let status = text_of(page, "#status").await;
        (status == "Sharing saved.", status)
    })
    .await;
    assert_eq!(jar_as(vic_cookie).await.status(), 404, "no longer shared with vic");
    assert_eq!(jar_as(bo_cookie).await.status(), 200, "still shared with every user");

    // Deleted, once confirmed: the list no longer has it, nor does the API.
    let warning = text_of(page, "#delete-heading + p").await;
    assert!(warning.contains("cannot be undone") && warning.contains("for everyone it is shared with"), "{warning}");
    page.find(Locator::Id("delete-jar")).await.unwrap().click().await.unwrap();
    page.dismiss_alert().await.unwrap();
    assert_eq!(jar_as(ann_cookie).await.status(), 200, "kept when the question is declined");
    page.find(Locator::Id("delete-jar")).await.unwrap().click().await.unwrap();
    page.accept_alert().await.unwrap();
    until("the jar list opens without it", || async {
        let url = page.current_url().await.unwrap();
        (url.path() == "/jars" && !text_of(page, "main").await.contains("Apiary"), url.to_string())
    })
    .await;
    assert_eq!(jar_as(ann_cookie).await.status(), 404);
    assert_clean_console(&browser, &[]).await;
}

#[tokio::test]
async fn a_share_arrives_live_beside_notifications_and_is_read_on_its_page() {
    let site = Site::start_https("").await;
    let ann = users::create(&site.pool, "ann@example.org", Role::User).await.unwrap();
    users::create(&site.pool, "bob@example.org", Role::User).await.unwrap();
    let ann_cookie = crate::common::site::cookie_for(&site.pool, ann.id, stingd::identity::credential::Aal::One).await;
    let made = site.post("/api/jars", Some(&ann_cookie), serde_json::json!({"name": "Apiary"})).await;
    let jar = made.json::<serde_json::Value>().await.unwrap()["id"].as_str().unwrap().to_string();

    let browser = signed_in_browser(&site, "bob@example.org", 0).await;
    let page = &browser.client;
    until("the page listens for notifications", || async {
        let live = page.find(Locator::Id("unread")).await.unwrap().attr("data-live").await.unwrap();
        (live.as_deref() == Some("yes"), format!("{live:?}"))
    })
    .await;
    assert!(!page.find(Locator::Id("unread")).await.unwrap().is_displayed().await.unwrap(), "nothing unread yet");
    let share = serde_json::json!({"shares": [{"email": "bob@example.org", "permission": "read"}]});
    let shares = format!("/api/jars/{jar}/shares");
    let shared = site.request(reqwest::Method::PUT, &shares, &ann_cookie).json(&share).send().await.unwrap();
    assert_eq!(shared.status(), 200);
    until("the count and the news arrive without a reload", || async {
        let count = text_of(page, "#unread-count").await;
        let status = text_of(page, "#status").await;
        (count == "1" && status == "New: “Apiary” is shared with you", format!("{count:?} {status:?}"))
    })
    .await;

    page.find(Locator::Id("bell")).await.unwrap().click().await.unwrap();
    until("the notifications page opens", || async {
        let url = page.current_url().await.unwrap();
        (url.path() == "/notifications", url.to_string())
    })
    .await;
    let row = text_of(page, "#notifications li.unread").await;
    assert!(row.contains("“Apiary” is shared with you") && row.contains("ann@example.org shared"), "{row}");
    check_page(&browser, "notifications").await;
    fits_a_phone(&browser, "notifications").await;
    page.find(Locator::Css("#notifications .mark-read")).await.unwrap().click().await.unwrap();
    until("read, and no longer counted", || async {
        let unread = page.find_all(Locator::Css("#notifications li.unread")).await.unwrap().len();
        let badge = page.find(Locator::Id("unread")).await.unwrap().is_displayed().await.unwrap();
        (unread == 0 && !badge, format!("{unread} unread, badge shown: {badge}"))
    })
    .await;
    let link = page.find(Locator::Css("#notifications .title a")).await.unwrap().attr("href").await.unwrap();
    assert_eq!(link, Some(format!("/jars/{jar}")));
    assert_clean_console(&browser, &[]).await;
}

/// What hostile content would run, had it been rendered as markup.
const HOSTILE: &str = "<script>window.pwned = 'script'</script><img src=x onerror=\"window.pwned='img'\">\
    <b onmouseover=\"window.pwned='hover'\">bold</b> [click](javascript:window.pwned='link') \
    <a href=\"javascript:window.pwned='a'\">a</a> <div><svg onload=\"window.pwned='svg'\"><p>broken";

#[tokio::test]
async fn hostile_answers_names_descriptions_and_passages_run_no_script_in_a_real_browser() {
    let site = Site::start_https_with("", &[crate::common::model("bee", "")], "pii:\n  enabled: false\n").await;
    let ann = users::create(&site.pool, "ann@example.org", Role::User).await.unwrap();
    let cookie = crate::common::site::cookie_for(&site.pool, ann.id, stingd::identity::credential::Aal::One).await;
    let api = |method: reqwest::Method, path: &str| site.request(method, path, &cookie);
    let jar: serde_json::Value = api(reqwest::Method::POST, "/api/jars")
        .json(&serde_json::json!({"name": format!("Jar <img src=x onerror=\"window.pwned='jar'\">"), "description": HOSTILE}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let jar = jar["id"].as_str().unwrap().to_string();
    let name = "<svg onload=alert(1)>.md";
    let document: serde_json::Value =
        api(reqwest::Method::POST, &format!("/api/jars/{jar}/documents?name={}", urlencode(name)))
            .body(format!("# Heading <script>window.pwned='heading'</script>\n\n{HOSTILE}\n"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    assert_eq!(document["status"], "ready", "{document}");
    let document = document["id"].as_str().unwrap().to_string();

    // A model's answer as hostile as can be, stored as Bee stores answers.
    let conversation: serde_json::Value = api(reqwest::Method::POST, "/api/conversations")
        .json(&serde_json::json!({"title": "<script>window.pwned='title'</script>"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let conversation = uuid::Uuid::parse_str(conversation["id"].as_str().unwrap()).unwrap();
    let keys = stingd::envelope::KeyCache::new(Duration::from_secs(60), 16);
    let reader = stingd::honey_jars::jars::Reader::new(ann.id, Role::User, stingd::identity::credential::Aal::One);
    let opened =
        stingd::bee::conversations::open(&site.pool, Some(site.vault()), &keys, reader, conversation).await.unwrap();
    let citation = stingd::bee::conversations::Citation {
        number: 1,
        jar: jar.parse().unwrap(),
        document: document.parse().unwrap(),
        document_name: name.into(),
        chunk: 0,
        heading: "<script>window.pwned='source'</script>".into(),
        score: 1.0,
        cited: true,
    };
    let answer = format!("{HOSTILE} as said in [1]\n\n```html\n<script>window.pwned='code'</script>\n```\n");
    use stingd::bee::conversations::Draft;
    let drafts = [
        Draft {
            from_user: true,
            content: HOSTILE,
            sources: &[],
            pii: &[],
            usage: None,
            finish_reason: None,
            rendered: None,
        },
        // Stored without its HTML (as by an older stingd): the first view renders and stores it.
        Draft {
            from_user: false,
            content: &answer,
            sources: &[citation],
            pii: &[],
            usage: None,
            finish_reason: Some("stop"),
            rendered: None,
        },
    ];
    stingd::bee::conversations::append(&site.pool, &opened, &drafts, None).await.unwrap();
    // An answer asked again replaces nothing when the conversation moved on meanwhile.
    let stale = stingd::bee::conversations::Replacing { from: 0, last: 7 };
    let refused = stingd::bee::conversations::append(&site.pool, &opened, &drafts[1..], Some(stale)).await;
    assert!(matches!(refused, Err(stingd::bee::conversations::ConversationError::Changed)), "{refused:?}");

    let browser = signed_in_browser(&site, "ann@example.org", 0).await;
    let page = &browser.client;
    for path in [
        "/".to_string(),
        format!("/bee/{conversation}"),
        "/jars".to_string(),
        format!("/jars/{jar}"),
        format!("/jars/{jar}/documents/{document}"),
        "/search?q=broken".to_string(),
    ] {
        page.goto(&format!("{}{path}", site.origin)).await.unwrap();
        let injected = page.find_all(Locator::Css("main script, main img, main svg, main iframe")).await.unwrap();
        assert!(injected.is_empty(), "elements from hostile text on {path}");
        let ran = page.execute("return window.pwned || null", vec![]).await.unwrap();
        assert_eq!(ran, serde_json::Value::Null, "script ran on {path}");
        let links = page.find_all(Locator::Css("a[href^='javascript']")).await.unwrap().len();
        let handlers = page
            .execute("return document.querySelectorAll('[onerror],[onload],[onmouseover]').length", vec![])
            .await
            .unwrap();
        assert_eq!((links, handlers), (0, serde_json::json!(0)), "markup came through on {path}");
    }
    until("the first view stores the answer's HTML", || async {
        let stored = stingd::bee::conversations::messages(&site.pool, &opened).await.unwrap();
        let rendered = stored.iter().find(|m| m.role == "assistant").and_then(|m| m.rendered.clone());
        (rendered.as_ref().is_some_and(|r| r.is_current() && r.html().contains("hl-")), format!("{rendered:?}"))
    })
    .await;
    // HTML is stored only for the message as it is: not for other text under its number, and
    // not over HTML this renderer made.
    use stingd::bee::conversations::{messages, render_answer, store_rendered};
    let markdown = stingd::markdown::Markdown::default();
    let stored = messages(&site.pool, &opened).await.unwrap().pop().unwrap();
    let mut other = stored.clone();
    other.content = "Another answer under the same number".into();
    other.rendered = Some(render_answer(&markdown, &other.content, &[]));
    store_rendered(&site.pool, &opened, &other).await.unwrap();
    let mut again = stored.clone();
    again.rendered = Some(render_answer(&markdown, "overwritten", &[]));
    store_rendered(&site.pool, &opened, &again).await.unwrap();
    let now = messages(&site.pool, &opened).await.unwrap().pop().unwrap();
    assert_eq!(now.rendered, stored.rendered, "the stored HTML is unchanged");
    let exported = site.get(&format!("/api/conversations/{conversation}"), &cookie).await.text().await.unwrap();
    assert!(!exported.contains("hl-") && !exported.contains("rendered"), "the API gives the text, not the HTML");
    // Shown again from the stored HTML: the code block shows the script as code, highlighted,
    // with a copy button.
    page.goto(&format!("{}/bee/{conversation}", site.origin)).await.unwrap();
    let ran = page.execute("return window.pwned || null", vec![]).await.unwrap();
    assert_eq!(ran, serde_json::Value::Null, "script ran from the stored HTML");
    let code = text_of(page, "pre.code").await;
    assert!(code.contains("<script>window.pwned='code'</script>"), "{code:?}");
    assert!(page.find(Locator::Css("button.copy")).await.is_ok());
    let cite = page.find(Locator::Css("a.cite")).await.unwrap().attr("href").await.unwrap().unwrap();
    assert_eq!(cite, format!("/jars/{jar}/documents/{document}#passage-0"));
    assert_clean_console(&browser, &[]).await;
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| if b.is_ascii_alphanumeric() || b == b'.' { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

fn unix_now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}

#[tokio::test]
async fn on_the_account_page_a_user_sets_up_an_app_passkeys_and_tokens_then_signs_in_with_a_password() {
    let site = Site::start_https("").await;
    let ann = users::create(&site.pool, "ann@example.org", Role::User).await.unwrap();
    let browser = signed_in_browser(&site, "ann@example.org", 0).await;
    browser.add_virtual_authenticator().await;
    let page = &browser.client;
    page.find(Locator::Id("who")).await.unwrap().click().await.unwrap();
    until("the account page opens", || async {
        (text_of(page, "h1").await == "My account", page.current_url().await.unwrap().to_string())
    })
    .await;
    check_page(&browser, "account").await;
    fits_a_phone(&browser, "account").await;

    // The authenticator app, from the QR code drawn by the server.
    page.find(Locator::Id("totp-setup")).await.unwrap().click().await.unwrap();
    until("the QR code and the key are shown", || async {
        let drawn = page.find(Locator::Css("#totp-qr svg path")).await.is_ok();
        (drawn && !text_of(page, "#totp-secret").await.is_empty(), text_of(page, "#totp-enrol").await)
    })
    .await;
    let secret = text_of(page, "#totp-secret").await;
    let code = crate::common::site::totp_code(&secret, unix_now());
    page.find(Locator::Id("totp-code")).await.unwrap().send_keys(&code).await.unwrap();
    page.find(Locator::Css("#totp-confirm button")).await.unwrap().click().await.unwrap();
    until("ten recovery codes are shown once", || async {
        let codes = page.find_all(Locator::Css("#recovery-list li")).await.unwrap().len();
        (codes == 10, text_of(page, "#status").await)
    })
    .await;

    // With the app set up, a session of one factor elsewhere may not see a factor being set up:
    // the page says so (403), in words.
    let elsewhere = Browser::start().await;
    elsewhere.client.goto(&format!("{}/signin", site.origin)).await.unwrap();
    let one_factor = crate::common::site::cookie_for(&site.pool, ann.id, stingd::identity::credential::Aal::One).await;
    elsewhere.set_session_cookie(&one_factor).await;
    elsewhere.client.goto(&format!("{}/account/totp-qr", site.origin)).await.unwrap();
    assert_eq!(text_of(&elsewhere.client, "h1").await, "Not allowed");
    let said = text_of(&elsewhere.client, "main").await;
    assert!(said.contains("already has a second factor: sign in with it"), "{said}");
    check_page(&elsewhere, "forbidden").await;
    drop(elsewhere);
    let ended = site.post("/api/auth/signout", Some(&one_factor), serde_json::json!({})).await;
    assert_eq!(ended.status(), 204);

    // Now at the second level: a passkey, named and then removed.
    page.refresh().await.unwrap();
    assert!(page.find(Locator::Id("step-up")).await.is_err(), "the session is at the second level");
    page.find(Locator::Id("add-passkey")).await.unwrap().click().await.unwrap();
    until("the passkey is listed", || async {
        let listed = page.find_all(Locator::Css("#passkeys li")).await.unwrap().len();
        (listed == 1, text_of(page, "#status").await)
    })
    .await;
    page.find(Locator::Css(".rename-passkey")).await.unwrap().click().await.unwrap();
    page.send_alert_text("Work laptop").await.unwrap();
    page.accept_alert().await.unwrap();
    until("renamed", || async {
        let name = text_of(page, ".passkey-name").await;
        (name == "Work laptop", name)
    })
    .await;
    page.find(Locator::Css(".remove-passkey")).await.unwrap().click().await.unwrap();
    page.accept_alert().await.unwrap();
    until("removed", || async {
        let listed = page.find_all(Locator::Css("#passkeys li")).await.unwrap().len();
        (listed == 0, format!("{listed}"))
    })
    .await;

    // A token, shown once, that works as an OpenAI client's key; then revoked.
    page.find(Locator::Id("token-name")).await.unwrap().send_keys("notebook").await.unwrap();
    page.find(Locator::Css("#new-token button[type=submit]")).await.unwrap().click().await.unwrap();
    until("the token is shown", || async {
        let token = text_of(page, "#token-secret").await;
        (!token.is_empty(), text_of(page, "#status").await)
    })
    .await;
    let token = text_of(page, "#token-secret").await;
    let models =
        site.stingd.http.get(format!("{}/v1/models", site.stingd.base)).bearer_auth(&token).send().await.unwrap();
    assert_eq!(models.status(), 200);
    let example = text_of(page, "#openai-example").await;
    assert!(example.contains(&format!("OPENAI_BASE_URL={}/v1", site.origin)), "{example}");
    page.refresh().await.unwrap();
    page.find(Locator::Css(".revoke-token")).await.unwrap().click().await.unwrap();
    page.accept_alert().await.unwrap();
    until("revoked", || async {
        let listed = page.find_all(Locator::Css("#tokens li")).await.unwrap().len();
        (listed == 0, format!("{listed}"))
    })
    .await;
    let refused =
        site.stingd.http.get(format!("{}/v1/models", site.stingd.base)).bearer_auth(&token).send().await.unwrap();
    assert_eq!(refused.status(), 401);

    // Another session of hers is listed and can be signed out from here.
    let other = crate::common::site::cookie_for(&site.pool, ann.id, stingd::identity::credential::Aal::One).await;
    page.refresh().await.unwrap();
    let this = text_of(page, "#sessions").await;
    // Each named by what it was made on (this one in Chromium; the other said nothing).
    assert!(this.contains("Chrome on Linux · this browser") && this.contains("an unnamed device"), "{this}");
    page.find(Locator::Css(".revoke-session")).await.unwrap().click().await.unwrap();
    until("the other session is gone", || async {
        let listed = page.find_all(Locator::Css("#sessions li")).await.unwrap().len();
        (listed == 1, format!("{listed}"))
    })
    .await;
    let ended = site.get("/api/me", &other).await;
    assert_eq!(ended.status(), 401, "that session no longer works");
    assert_clean_console(&browser, &[]).await;

    // Signing out, then in with a password and a code of the app.
    stingd::identity::factors::set_password(&site.pool, ann.id, "correct horse battery staple").await.unwrap();
    sign_out_then_send_password(page, "ann@example.org", "wrong password", "123456").await;
    refused_in_words(page, "a wrong password is refused in words").await;
    page.find(Locator::Id("password")).await.unwrap().clear().await.unwrap();
    page.find(Locator::Id("password")).await.unwrap().send_keys("correct horse battery staple").await.unwrap();
    page.find(Locator::Id("code")).await.unwrap().clear().await.unwrap();
    let next = crate::common::site::totp_code(&secret, unix_now() + 30);
    page.find(Locator::Id("code")).await.unwrap().send_keys(&next).await.unwrap();
    page.find(Locator::Css("#password-form button")).await.unwrap().click().await.unwrap();
    until("the password and code sign her in", || async {
        let url = page.current_url().await.unwrap();
        (url.path() == "/" && text_of(page, "#who").await.contains("ann@example.org"), text_of(page, "#status").await)
    })
    .await;
    assert_clean_console(&browser, &["api/auth/password"]).await;
}

#[tokio::test]
async fn an_invited_user_sets_up_an_authenticator_app_on_the_invitation_page() {
    let site = Site::start_https("").await;
    let tom = users::create(&site.pool, "tom@example.org", Role::User).await.unwrap();
    let token = stingd::identity::enrolment::create(&site.pool, tom.id).await.unwrap();
    let browser = Browser::start().await;
    let page = &browser.client;
    page.goto(&format!("{}/enrol#{token}", site.origin)).await.unwrap();
    page.find(Locator::Id("open-invitation")).await.unwrap().click().await.unwrap();
    until("the invitation opens", || async {
        let text = text_of(page, "#status").await;
        (text.contains("authenticator app"), text)
    })
    .await;
    page.find(Locator::Id("totp-setup")).await.unwrap().click().await.unwrap();
    until("the QR code is drawn", || async {
        (page.find(Locator::Css("#totp-qr svg")).await.is_ok(), text_of(page, "#status").await)
    })
    .await;
    let secret = text_of(page, "#totp-secret").await;
    page.find(Locator::Id("totp-code")).await.unwrap().send_keys("000000").await.unwrap();
    if crate::common::site::totp_code(&secret, unix_now()) != "000000" {
        page.find(Locator::Css("#totp-confirm button")).await.unwrap().click().await.unwrap();
        until("a wrong code is refused in words", || async {
            let text = text_of(page, "#status").await;
            (text.contains("not valid"), text)
        })
        .await;
    }
    page.find(Locator::Id("totp-code")).await.unwrap().clear().await.unwrap();
    let code = crate::common::site::totp_code(&secret, unix_now());
    page.find(Locator::Id("totp-code")).await.unwrap().send_keys(&code).await.unwrap();
    page.find(Locator::Css("#totp-confirm button")).await.unwrap().click().await.unwrap();
    until("ten recovery codes, shown once", || async {
        let codes = page.find_all(Locator::Css("#recovery-list li")).await.unwrap().len();
        (codes == 10, text_of(page, "#status").await)
    })
    .await;
    let recovery = text_of(page, "#recovery-list li").await;
    check_page(&browser, "enrol-app").await;
    page.find(Locator::Id("enrolled")).await.unwrap().click().await.unwrap();
    until("signed in at the second level", || async {
        let url = page.current_url().await.unwrap();
        (url.path() == "/" && text_of(page, "#who").await.contains("tom@example.org"), url.to_string())
    })
    .await;
    let aal: i16 = sqlx::query_scalar("SELECT max(aal) FROM sessions WHERE user_id = $1")
        .bind(tom.id)
        .fetch_one(&site.pool)
        .await
        .unwrap();
    assert_eq!(aal, 2);

    // Without the app, a recovery code stands in for its code, once.
    stingd::identity::factors::set_password(&site.pool, tom.id, "tom's long passphrase").await.unwrap();
    let recovery = recovery.trim().to_string();
    sign_out_then_send_password(page, "tom@example.org", "tom's long passphrase", &recovery).await;
    until("the recovery code signs him in", || async {
        let url = page.current_url().await.unwrap();
        (url.path() == "/" && text_of(page, "#who").await.contains("tom@example.org"), url.to_string())
    })
    .await;
    sign_out_then_send_password(page, "tom@example.org", "tom's long passphrase", &recovery).await;
    refused_in_words(page, "a used recovery code is refused in words").await;
    assert_clean_console(&browser, &["totp/confirm", "api/auth/password"]).await;
}

#[tokio::test]
async fn a_refusal_for_too_many_attempts_says_when_to_try_again() {
    let rates = "  rate_limits:\n    api: 100000/s\n    ai: 100000/s\n    auth: 3/m\n    per_user:\n      api: 100000/s\n      ai: 100000/s\n      auth: 100000/s\n";
    let site = Site::start_https(rates).await;
    let browser = Browser::start().await;
    let page = &browser.client;
    page.goto(&format!("{}/signin", site.origin)).await.unwrap();
    page.find(Locator::Id("email")).await.unwrap().send_keys("someone@example.org").await.unwrap();
    until("the sign-in page refuses more links for now, and says when to ask again", || async {
        page.find(Locator::Css("#magic-link-form button")).await.unwrap().click().await.unwrap();
        tokio::time::sleep(Duration::from_millis(200)).await;
        let text = text_of(page, "#status").await;
        let seconds = text
            .strip_prefix("Too many attempts: try again in ")
            .and_then(|rest| rest.strip_suffix(" seconds."))
            .and_then(|n| n.parse::<u32>().ok());
        (seconds.is_some_and(|s| (1..=60).contains(&s)), text)
    })
    .await;
    assert_clean_console(&browser, &["api/auth/magic-link"]).await;
}
