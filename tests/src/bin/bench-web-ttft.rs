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

use futures_util::StreamExt;
use serde_json::{Value, json};
use sting_e2e::Component;
use sting_e2e::browser::Browser;
use sting_e2e::env::require_path;
use sting_e2e::site::BenchSite;

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
  window.ttft = { inserted, sent: window.sent };
  requestAnimationFrame(() => { window.ttft.painted = performance.now() - window.asked; });
  watcher.disconnect();
});
watcher.observe(list, { subtree: true, childList: true, characterData: true });
// When the page's script sends the question: what it does before and after that, told apart.
const send = window.fetch;
window.fetch = (...args) => {
  window.sent = window.sent ?? performance.now() - window.asked;
  return send(...args);
};
window.sent = null;
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
    // The benchmark's own session (WebDriver's cookie command refuses a cookie without a
    // domain, and a `__Host-` cookie must have none).
    browser.set_session_cookie(&site.cookie).await;

    let (mut api, mut fetched, mut sent, mut inserted, mut painted) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    // The first of each warms the model, the connection and the page's script.
    for round in 0..=rounds {
        let through_api = api_ttft(&site).await?;
        let (request_sent, in_document, on_screen) = page_ttft(&site, page).await?;
        let through_fetch = fetch_ttft(&site, page).await?;
        if round > 0 {
            api.push(through_api);
            fetched.push(through_fetch);
            sent.push(request_sent);
            inserted.push(in_document);
            painted.push(on_screen);
        }
        let note = if round == 0 { " (warm-up, not counted)" } else { "" };
        println!(
            "round {round}: API {through_api:.1} ms, browser fetch {through_fetch:.1} ms, page {in_document:.1} ms in the document (request sent at {request_sent:.1}), {on_screen:.1} ms painted{note}"
        );
    }
    let (api, fetched) = (median(&mut api), median(&mut fetched));
    let (sent, inserted, painted) = (median(&mut sent), median(&mut inserted), median(&mut painted));
    println!(
        "median of {rounds} rounds: API {api:.1} ms; browser fetch {fetched:.1} ms; page {inserted:.1} ms in the document (its request sent at {sent:.1} ms), {painted:.1} ms painted"
    );
    println!(
        "on screen, the page is {:.1} ms behind the API (goal: within 50 ms; ratio {:.2}): the browser's own fetch {:.1} ms, the page's script {:.1} ms",
        painted - api,
        painted / api,
        fetched - api,
        painted - fetched
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

/// Until the answer a measurement stopped is stored: stingd has stopped the model, and the
/// next measurement finds it idle, as the one before found it.
async fn settle(site: &BenchSite, id: &str) -> anyhow::Result<()> {
    let started = Instant::now();
    loop {
        let detail: Value = site.get(&format!("/api/conversations/{id}")).send().await?.json().await?;
        if detail["messages"].as_array().map_or(0, Vec::len) >= 2 {
            return Ok(());
        }
        anyhow::ensure!(started.elapsed() < Duration::from_secs(60), "the stopped answer was never stored: {detail}");
        tokio::time::sleep(Duration::from_millis(20)).await;
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
            let elapsed = started.elapsed().as_secs_f64() * 1000.0;
            drop(stream);
            settle(site, &id).await?;
            return Ok(elapsed);
        }
    }
    anyhow::bail!("the answer ended with no token: {seen}")
}

/// The same as the API client, from the browser: a bare `fetch` in the page reading the event
/// stream, none of the page's script. What separates the browser (its network stack, and the
/// processor it takes from the model on a small machine) from the page's own work.
const FETCH_IN_PAGE: &str = r#"
const [id, question, done] = arguments;
const started = performance.now();
fetch(`/api/conversations/${id}/messages`, {
  method: "POST",
  headers: { "content-type": "application/json", accept: "text/event-stream" },
  body: JSON.stringify({ content: question }),
}).then(async (response) => {
  if (!response.ok) return done(-response.status);
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let seen = "";
  for (;;) {
    const { value, done: ended } = await reader.read();
    if (ended) return done(-1);
    seen += decoder.decode(value, { stream: true });
    if (seen.includes("event: delta")) {
      const elapsed = performance.now() - started;
      reader.cancel();
      return done(elapsed);
    }
  }
}, () => done(-1));
"#;

async fn fetch_ttft(site: &BenchSite, page: &fantoccini::Client) -> anyhow::Result<f64> {
    let id = new_conversation(site).await?;
    let elapsed = page.execute_async(FETCH_IN_PAGE, vec![json!(id), json!(QUESTION)]).await?;
    let elapsed = elapsed
        .as_f64()
        .filter(|t| *t >= 0.0)
        .ok_or_else(|| anyhow::anyhow!("no token through the browser's fetch"))?;
    settle(site, &id).await?;
    Ok(elapsed)
}

/// The page's own times (its request sent, the token in the document, painted), then the answer
/// stopped and stored.
async fn page_ttft(site: &BenchSite, page: &fantoccini::Client) -> anyhow::Result<(f64, f64, f64)> {
    let id = new_conversation(site).await?;
    page.goto(&format!("{}/bee/{id}", site.base)).await?;
    // A person reads the page before asking: the browser has finished showing it.
    tokio::time::sleep(Duration::from_millis(500)).await;
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
    settle(site, &id).await?;
    let number = |key: &str| times[key].as_f64().ok_or_else(|| anyhow::anyhow!("no {key} time: {times}"));
    Ok((number("sent")?, number("inserted")?, number("painted")?))
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}
