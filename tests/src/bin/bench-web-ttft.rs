//! What the web page adds to Bee's time to first token: the same question, in one run, asked
//! through the API by a client that reads the event stream itself, and asked on the
//! conversation page in headless Chromium, timed in the page from the moment the question is
//! sent to the first token in the document (and to the next frame the browser paints, when a
//! person would see it). Rounds alternate between the two, each in a new conversation, so the
//! model and its prompt cache are in the same state for both; each answer is stopped at its
//! first token.
//!
//!   cargo build --release -p stingd -p sting-e2e --bin stingd --bin bench-web-ttft
//!   eval "$(tests/env/setup.sh)"
//!   target/release/bench-web-ttft --stingd target/release/stingd --rounds 8

use std::time::{Duration, Instant};

use fantoccini::cookies::Cookie;
use futures_util::StreamExt;
use serde_json::{Value, json};
use sting_e2e::Component;
use sting_e2e::browser::Browser;
use sting_e2e::env::require_path;
use sting_e2e::site::{BenchSite, SESSION_COOKIE};

const QUESTION: &str = "In one sentence: why do bees make honey?";

/// Watches the answer being streamed into the page; `window.ttft` gets the milliseconds from
/// the question's submission to its first token in the document, then to the frame after.
const ASK_IN_PAGE: &str = r#"
const [question] = arguments;
const list = document.getElementById("messages");
window.ttft = null;
const watcher = new MutationObserver(() => {
  const streamed = list.querySelector(".pending .text.streaming");
  if (window.ttft || !streamed || !streamed.textContent.length) return;
  const inserted = performance.now() - window.asked;
  window.ttft = { inserted };
  requestAnimationFrame(() => { window.ttft.painted = performance.now() - window.asked; });
  watcher.disconnect();
});
watcher.observe(list, { subtree: true, childList: true, characterData: true });
document.getElementById("question").value = question;
window.asked = performance.now();
document.getElementById("ask-form").requestSubmit();
"#;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let value = |flag: &str| args.iter().position(|a| a == flag).and_then(|i| args.get(i + 1)).cloned();
    let stingd_bin = value("--stingd").unwrap_or_else(|| "target/release/stingd".into());
    let rounds: usize = value("--rounds").map_or(8, |r| r.parse().unwrap());

    let sections = format!(
        "llm:\n  llama_server: {}\n  cache:\n    enabled: false\n  models:\n    - name: bee\n      path: {}\n      pinned: true\n      context: 2048\n      parallel: 1\n      threads: 2\n",
        require_path(Component::LlamaServer).display(),
        require_path(Component::TestModel).display()
    );
    let site = BenchSite::start_https(std::path::Path::new(&stingd_bin), &sections).await?;
    wait_for_model(&site).await?;

    let browser = Browser::start().await;
    let page = &browser.client;
    page.goto(&format!("{}/signin", site.base)).await?;
    let session = site.cookie.split_once('=').map(|(_, v)| v.to_string()).unwrap_or_default();
    page.add_cookie(Cookie::build((SESSION_COOKIE, session)).path("/").secure(true).http_only(true).build()).await?;

    let (mut api, mut inserted, mut painted) = (Vec::new(), Vec::new(), Vec::new());
    // The first of each warms the model, the connection and the page's script.
    for round in 0..=rounds {
        let through_api = api_ttft(&site).await?;
        let (in_document, on_screen) = page_ttft(&site, page).await?;
        if round > 0 {
            api.push(through_api);
            inserted.push(in_document);
            painted.push(on_screen);
        }
        println!(
            "round {round}: API {through_api:.1} ms, page {in_document:.1} ms in the document, {on_screen:.1} ms painted{}",
            if round == 0 { " (warm-up, not counted)" } else { "" }
        );
    }
    let (api, inserted, painted) = (median(&mut api), median(&mut inserted), median(&mut painted));
    println!(
        "median of {rounds} rounds: API {api:.1} ms; page {inserted:.1} ms in the document, {painted:.1} ms painted"
    );
    println!(
        "the page adds {:.1} ms to the first token in the document, {:.1} ms to it on screen (goal: within 50 ms); ratio {:.2}",
        inserted - api,
        painted - api,
        painted / api
    );
    Ok(())
}

/// Until the model answers (it loads when stingd starts).
async fn wait_for_model(site: &BenchSite) -> anyhow::Result<()> {
    let started = Instant::now();
    loop {
        match api_ttft(site).await {
            Ok(_) => return Ok(()),
            Err(e) if started.elapsed() < Duration::from_secs(180) => {
                let _ = e;
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            Err(e) => anyhow::bail!("the model never answered: {e}\n{}", site.output()),
        }
    }
}

async fn new_conversation(site: &BenchSite) -> anyhow::Result<String> {
    let made: Value = site.post("/api/conversations").json(&json!({})).send().await?.json().await?;
    made["id"].as_str().map(str::to_string).ok_or_else(|| anyhow::anyhow!("no conversation: {made}"))
}

/// Milliseconds from sending the question to the first `delta` event read; the answer is then
/// dropped (stingd stops the model, as when a person stops it).
async fn api_ttft(site: &BenchSite) -> anyhow::Result<f64> {
    let id = new_conversation(site).await?;
    let started = Instant::now();
    let response = site
        .post(&format!("/api/conversations/{id}/messages"))
        .header("accept", "text/event-stream")
        .json(&json!({ "content": QUESTION }))
        .send()
        .await?;
    anyhow::ensure!(response.status().is_success(), "asking failed: {}", response.text().await?);
    let mut stream = response.bytes_stream();
    let mut seen = String::new();
    while let Some(chunk) = stream.next().await {
        seen.push_str(&String::from_utf8_lossy(&chunk?));
        if seen.contains("event: delta") {
            return Ok(started.elapsed().as_secs_f64() * 1000.0);
        }
    }
    anyhow::bail!("the answer ended with no token: {seen}")
}

/// The page's own times (in the document, painted), then the answer stopped and stored.
async fn page_ttft(site: &BenchSite, page: &fantoccini::Client) -> anyhow::Result<(f64, f64)> {
    let id = new_conversation(site).await?;
    page.goto(&format!("{}/bee/{id}", site.base)).await?;
    page.execute(ASK_IN_PAGE, vec![json!(QUESTION)]).await?;
    let started = Instant::now();
    let times = loop {
        let times = page.execute("return window.ttft && window.ttft.painted ? window.ttft : null", vec![]).await?;
        if !times.is_null() {
            break times;
        }
        anyhow::ensure!(started.elapsed() < Duration::from_secs(120), "no token on the page");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    page.execute("document.getElementById('stop').click()", vec![]).await?;
    // Done when the page has put the stored messages in place of what it streamed.
    loop {
        let pending = page.execute("return document.querySelectorAll('#messages .pending').length", vec![]).await?;
        if pending == json!(0) {
            break;
        }
        anyhow::ensure!(started.elapsed() < Duration::from_secs(120), "the stopped answer never settled");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let number = |key: &str| times[key].as_f64().ok_or_else(|| anyhow::anyhow!("no {key} time: {times}"));
    Ok((number("inserted")?, number("painted")?))
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}
