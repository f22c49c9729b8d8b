//! Child processes for tests: killed and reaped when the guard drops, even when a test panics.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A loopback port that was free a moment ago.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("no free loopback port")
}

/// Owns a running child; kills (SIGKILL) and reaps it on drop.
pub struct ChildGuard {
    child: Child,
    name: String,
    log: tempfile::NamedTempFile,
}

impl ChildGuard {
    /// Starts `command` with its stdout and stderr captured to a temporary log file.
    pub fn spawn(name: &str, mut command: Command) -> Self {
        let log = tempfile::NamedTempFile::new().expect("temporary log file");
        let out = log.reopen().expect("log file");
        let err = log.reopen().expect("log file");
        let child = command
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name} ({:?}): {e}", command.get_program()));
        Self { child, name: name.to_string(), log }
    }

    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// What the child printed so far (for failure messages).
    pub fn output(&self) -> String {
        std::fs::read_to_string(self.log.path()).unwrap_or_default()
    }

    /// Panics with the child's output if it has exited.
    pub fn assert_running(&mut self) {
        if let Ok(Some(status)) = self.child.try_wait() {
            panic!("{} exited early ({status}):\n{}", self.name, self.output());
        }
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Polls `url` until it answers with a status `ready` accepts, or panics after `timeout` with
/// the child's output.
pub async fn wait_for_http(
    client: &reqwest::Client,
    url: &str,
    child: &mut ChildGuard,
    timeout: Duration,
    ready: impl Fn(reqwest::StatusCode) -> bool,
) {
    let start = Instant::now();
    loop {
        child.assert_running();
        if let Ok(response) = client.get(url).timeout(Duration::from_secs(2)).send().await {
            if ready(response.status()) {
                return;
            }
        }
        if start.elapsed() > timeout {
            panic!("{url} did not become ready within {timeout:?}; {} printed:\n{}", child.name, child.output());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The loopback port and API key of a llama-server child of stingd, read from /proc (root
/// only): lets a test or benchmark talk to exactly the process stingd uses.
pub fn llama_child_endpoint(pid: u64) -> (u16, String) {
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).expect("the child's command line");
    let args: Vec<String> = cmdline.split(|b| *b == 0).map(|a| String::from_utf8_lossy(a).into_owned()).collect();
    let port = args
        .iter()
        .position(|a| a == "--port")
        .and_then(|i| args.get(i + 1))
        .and_then(|p| p.parse().ok())
        .expect("the child has a --port");
    let environ = std::fs::read(format!("/proc/{pid}/environ")).expect("the child's environment (needs root)");
    let key = environ
        .split(|b| *b == 0)
        .filter_map(|kv| std::str::from_utf8(kv).ok())
        .find_map(|kv| kv.strip_prefix("LLAMA_API_KEY="))
        .expect("the child has LLAMA_API_KEY")
        .to_string();
    (port, key)
}
