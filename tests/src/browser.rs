//! A real browser for tests: headless Chromium driven over WebDriver by chromedriver (both from
//! Debian, installed by `tests/env/setup.sh`), one chromedriver and one session per test, ended
//! and reaped when the guard drops. Console messages are kept, so a test can assert that a page
//! logged no error and no Content-Security-Policy violation.

use std::process::Command;
use std::time::Duration;

use fantoccini::{Client, ClientBuilder};
use serde_json::{Value, json};

use crate::env::{Component, require_path};
use crate::process::{ChildGuard, free_port};

pub struct Browser {
    pub client: Client,
    port: u16,
    _driver: ChildGuard,
}

impl Browser {
    /// A fresh profile, headless, trusting any certificate (tests serve stingd with their own).
    pub async fn start() -> Self {
        let chromium = require_path(Component::Chromium);
        let chromedriver = require_path(Component::Chromedriver);
        let port = free_port();
        let mut command = Command::new(&chromedriver);
        command.arg(format!("--port={port}"));
        // Its own process group, so that Chromium, its child, goes with it.
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let mut driver = ChildGuard::spawn("chromedriver", command);
        let url = format!("http://127.0.0.1:{port}");
        let mut capabilities = serde_json::Map::new();
        capabilities.insert("acceptInsecureCerts".into(), json!(true));
        capabilities.insert("goog:loggingPrefs".into(), json!({ "browser": "ALL" }));
        capabilities.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": chromium,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,900", "--disable-dev-shm-usage"],
            }),
        );
        let started = std::time::Instant::now();
        let client = loop {
            driver.assert_running();
            match ClientBuilder::rustls().expect("rustls").capabilities(capabilities.clone()).connect(&url).await {
                Ok(client) => break client,
                Err(e) if started.elapsed() < Duration::from_secs(30) => {
                    let _ = e;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(e) => panic!("no WebDriver session from chromedriver at {url}: {e}\n{}", driver.output()),
            }
        };
        Self { client, port, _driver: driver }
    }

    /// A virtual passkey authenticator (CTAP2, built in, resident keys, user verified), as a
    /// phone or laptop with a screen lock would be: WebAuthn ceremonies in this session use it.
    pub async fn add_virtual_authenticator(&self) {
        let session = self.client.session_id().await.ok().flatten().expect("a WebDriver session");
        reqwest::Client::new()
            .post(format!("http://127.0.0.1:{}/session/{session}/webauthn/authenticator", self.port))
            .json(&json!({
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": true,
                "hasUserVerification": true,
                "isUserVerified": true,
            }))
            .send()
            .await
            .and_then(|r| r.error_for_status())
            .expect("chromedriver's virtual authenticator");
    }

    /// The browser's console since the last call: (level, message) pairs, as chromedriver keeps
    /// them (`SEVERE` for errors and CSP violations).
    pub async fn console(&self) -> Vec<(String, String)> {
        let session = self.client.session_id().await.ok().flatten().expect("a WebDriver session");
        let answer: Value = reqwest::Client::new()
            .post(format!("http://127.0.0.1:{}/session/{session}/se/log", self.port))
            .json(&json!({ "type": "browser" }))
            .send()
            .await
            .and_then(|r| r.error_for_status())
            .expect("chromedriver's log endpoint")
            .json()
            .await
            .expect("a JSON log");
        answer["value"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|entry| {
                (
                    entry["level"].as_str().unwrap_or_default().to_string(),
                    entry["message"].as_str().unwrap_or_default().to_string(),
                )
            })
            .collect()
    }
}

impl Browser {
    /// The serious and critical findings of axe-core (the accessibility engine, from npm) run
    /// in the page as it is now: one line per rule with the elements it found.
    pub async fn accessibility_violations(&self) -> Vec<String> {
        let axe = std::fs::read_to_string(require_path(Component::Axe)).expect("axe.min.js is readable");
        self.client
            .execute(&format!("{axe}\nreturn typeof axe;"), Vec::new())
            .await
            .expect("axe-core loads in the page");
        let found = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 axe.run(document, { resultTypes: ['violations'] })
                   .then((r) => done(r.violations
                     .filter((v) => v.impact === 'serious' || v.impact === 'critical')
                     .map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)))
                   .catch((e) => done([`axe failed: ${e}`]));",
                Vec::new(),
            )
            .await
            .expect("axe-core runs");
        let found = found.as_array().unwrap_or_else(|| panic!("axe-core gave no list of findings: {found}"));
        found.iter().map(|v| v.as_str().unwrap_or_default().to_string()).collect()
    }

    /// Keeps a screenshot of the page as `NAME.png` in `$STING_SCREENSHOTS`, when it is set
    /// (`tests/screenshots.sh` sets it to `docs/screenshots`); otherwise does nothing.
    pub async fn keep_screenshot(&self, name: &str) {
        let Ok(dir) = std::env::var("STING_SCREENSHOTS") else { return };
        let png = self.client.screenshot().await.expect("a screenshot");
        std::fs::create_dir_all(&dir).expect("the screenshots folder");
        std::fs::write(std::path::Path::new(&dir).join(format!("{name}.png")), png).expect("the screenshot is written");
    }

    /// Gives the browser a session made outside it (for `https://localhost:…`, the page now
    /// open being of that origin), as stingd's own cookie but for `HttpOnly`, which only a
    /// server can set: the `Cookie: name=value` pair.
    pub async fn set_session_cookie(&self, pair: &str) {
        self.client
            .execute("document.cookie = `${arguments[0]}; Secure; Path=/; SameSite=Strict`;", vec![json!(pair)])
            .await
            .expect("the cookie is set");
    }

    /// The window resized, as a phone (390 × 844) or a laptop (1280 × 900) would show the page.
    pub async fn resize(&self, width: u32, height: u32) {
        self.client.set_window_size(width, height).await.expect("the window resizes");
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // chromedriver's guard kills it alone; Chromium and its helpers share its group.
        let group = format!("-{}", self._driver.id());
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
    }
}
