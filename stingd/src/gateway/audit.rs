//! The record of every request sent off the machine: when, which model, which caller, where to,
//! and how many bytes went each way. Never the content. One JSON object per line, in a file only
//! root can read; the identity issue makes these readable to admins through the API.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;

#[derive(Serialize)]
pub struct RemoteRequest<'a> {
    pub time: u64,
    pub model: &'a str,
    pub caller: &'a str,
    /// Scheme, host and port only: never a path or query that might carry data.
    pub destination: &'a str,
    pub route: &'a str,
    pub request_bytes: usize,
    pub response_bytes: Option<usize>,
    pub status: Option<u16>,
    /// Personal data replaced by placeholders before the request left (a count, never values).
    pub redacted: usize,
}

pub struct AuditLog {
    path: PathBuf,
    file: Mutex<File>,
}

impl AuditLog {
    pub fn open(dir: &Path) -> std::io::Result<Self> {
        std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir)?;
        let path = dir.join("remote-requests.jsonl");
        let file = OpenOptions::new().create(true).append(true).mode(0o600).open(&path)?;
        Ok(Self { path, file: Mutex::new(file) })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn record(&self, entry: &RemoteRequest) {
        let Ok(mut line) = serde_json::to_vec(entry) else { return };
        line.push(b'\n');
        let mut file = self.file.lock().expect("audit lock");
        if let Err(e) = file.write_all(&line).and_then(|()| file.sync_data()) {
            tracing::error!(error = %e, path = %self.path.display(), "cannot write the remote-request audit record");
        }
    }
}

pub fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or_default()
}

/// `https://host:port` of a URL, without path, query or credentials.
pub fn destination(base_url: &str) -> String {
    let Ok(url) = reqwest::Url::parse(base_url) else { return "invalid-url".into() };
    match (url.host_str(), url.port_or_known_default()) {
        (Some(host), Some(port)) => format!("{}://{host}:{port}", url.scheme()),
        (Some(host), None) => format!("{}://{host}", url.scheme()),
        _ => "invalid-url".into(),
    }
}
