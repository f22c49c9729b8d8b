//! One llama-server process: its command line, a watcher that reports readiness and exit, and
//! the tail of what it printed (for the `failed` state).
//!
//! The command line makes every important choice explicit (`-c`, `-np`, threads, `-ngl`,
//! `--metrics`), binds loopback only, and takes a per-child API key from the environment (never
//! argv, which any process can read), so no other process in the container can use the model.
//! The child's environment is cleared: it never sees stingd's own secrets.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;
use tokio::sync::oneshot;

use super::spawn::Spawner;

/// Lines of stderr kept for failure reports.
const STDERR_TAIL_LINES: usize = 30;

/// How to run one model process.
#[derive(Clone, Debug)]
pub struct ChildSpec {
    /// The name responses carry (llama-server's `--alias`); never the file's path.
    pub name: String,
    pub binary: PathBuf,
    pub model: PathBuf,
    pub context: u32,
    pub parallel: u32,
    pub threads: u32,
    pub gpu_layers: u32,
    pub embeddings: bool,
    /// stingd's own binary: every child starts through `stingd sandbox-exec`, which confines
    /// it (there is no way to start one directly).
    pub launcher: PathBuf,
    /// Start the child even where the kernel cannot confine it (`system.unconfined_children`).
    pub unconfined: bool,
    /// Pooling for embeddings when the model declares none (llama-server's `--pooling`).
    pub pooling: Option<&'static str>,
}

impl ChildSpec {
    pub fn args(&self, port: u16) -> Vec<String> {
        let mut args = vec![
            "--host".into(),
            "127.0.0.1".into(),
            "--port".into(),
            port.to_string(),
            "-m".into(),
            self.model.display().to_string(),
            "-c".into(),
            self.context.to_string(),
            "-np".into(),
            self.parallel.to_string(),
            "-t".into(),
            self.threads.to_string(),
            "-ngl".into(),
            self.gpu_layers.to_string(),
            "--alias".into(),
            self.name.clone(),
            "--metrics".into(),
            // No prompt cache in host memory: it is shared by every slot, so it would serve one
            // caller's cached prompt to another (see `slots`, which keeps each slot's own).
            "--cache-ram".into(),
            "0".into(),
            "--no-webui".into(),
            "--log-colors".into(),
            "off".into(),
        ];
        if self.embeddings {
            args.push("--embeddings".into());
            if let Some(pooling) = self.pooling {
                args.extend(["--pooling".into(), pooling.into()]);
            }
        }
        args
    }
}

/// What a watcher reports.
#[derive(Debug)]
pub enum ChildEvent {
    Ready,
    Exited { status: String, stderr_tail: String },
}

/// A started child. Dropping it (or [`Self::stop`]) kills the process; the watcher still reports
/// the exit.
pub struct RunningChild {
    pub port: u16,
    pub api_key: Arc<str>,
    pub pid: Option<u32>,
    /// What the launcher reported of its confinement (`landlock fully enforced`, ...).
    pub sandbox: Arc<Mutex<Option<String>>>,
    stop: Option<oneshot::Sender<()>>,
}

impl RunningChild {
    pub fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

impl Drop for RunningChild {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A random key only this child and stingd know.
pub fn new_api_key() -> Arc<str> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the kernel's random source");
    bytes.iter().map(|b| format!("{b:02x}")).collect::<String>().into()
}

/// A loopback port that was free a moment ago. A race with another process is caught as an
/// early exit and retried by the supervisor like any crash.
fn free_port() -> std::io::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Starts the process and its watcher; `report` receives readiness and the exit.
pub async fn start(
    spawner: &Spawner,
    spec: &ChildSpec,
    client: reqwest::Client,
    report: impl Fn(ChildEvent) + Send + 'static,
) -> std::io::Result<RunningChild> {
    let port = free_port()?;
    let api_key = new_api_key();
    let confinement =
        crate::sandbox::Confinement { read_files: vec![spec.model.clone()], port, allow_unconfined: spec.unconfined };
    let mut command = Command::new(&spec.launcher);
    command.args(confinement.launcher_args(&spec.binary, &spec.args(port)));
    command
        .env_clear()
        .env("LLAMA_API_KEY", &*api_key)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true);
    if let Some(path) = std::env::var_os("LD_LIBRARY_PATH") {
        command.env("LD_LIBRARY_PATH", path);
    }
    let mut child = spawner.spawn(command).await?;
    let pid = child.id();
    let tail = Arc::new(Mutex::new(VecDeque::with_capacity(STDERR_TAIL_LINES)));
    let sandbox = Arc::new(Mutex::new(None));
    if let Some(stderr) = child.stderr.take() {
        let tail = tail.clone();
        let sandbox = sandbox.clone();
        tokio::spawn(async move {
            let mut lines = BufReader::new(stderr).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                // The launcher's one line comes first; a later one is the child's, which
                // must not be able to claim a confinement it does not have.
                if let Some(note) = line.strip_prefix("stingd-sandbox: ") {
                    sandbox.lock().expect("sandbox note lock").get_or_insert_with(|| note.to_string());
                }
                let mut tail = tail.lock().expect("stderr tail lock");
                if tail.len() == STDERR_TAIL_LINES {
                    tail.pop_front();
                }
                tail.push_back(line);
            }
        });
    }
    let (stop_tx, mut stop_rx) = oneshot::channel::<()>();
    let health = format!("http://127.0.0.1:{port}/health");
    tokio::spawn(async move {
        let mut ready = false;
        let mut probe = tokio::time::interval(Duration::from_millis(50));
        let status = loop {
            tokio::select! {
                status = child.wait() => break status,
                _ = &mut stop_rx => {
                    let _ = child.start_kill();
                    break child.wait().await;
                }
                _ = probe.tick(), if !ready => {
                    // 503 while loading, 200 once the model is in memory.
                    let ok = client.get(&health).timeout(Duration::from_secs(1)).send().await.is_ok_and(|r| r.status().is_success());
                    if ok {
                        ready = true;
                        report(ChildEvent::Ready);
                    }
                }
            }
        };
        // Give the stderr reader a moment to drain the last lines.
        tokio::time::sleep(Duration::from_millis(50)).await;
        let status = match status {
            Ok(s) => describe_exit(s),
            Err(e) => format!("could not be waited for: {e}"),
        };
        let stderr_tail = tail.lock().expect("stderr tail lock").iter().cloned().collect::<Vec<_>>().join("\n");
        report(ChildEvent::Exited { status, stderr_tail });
    });
    Ok(RunningChild { port, api_key, pid, sandbox, stop: Some(stop_tx) })
}

fn describe_exit(status: std::process::ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exited with status {code}"),
        (None, Some(signal)) => format!("killed by signal {signal}{}", if signal == 9 { " (SIGKILL)" } else { "" }),
        _ => "exited".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_important_flag_is_explicit_and_the_key_is_not_on_the_command_line() {
        let spec = ChildSpec {
            name: "bee".into(),
            binary: "llama-server".into(),
            model: "/models/bee.gguf".into(),
            context: 4096,
            parallel: 4,
            threads: 2,
            gpu_layers: 0,
            embeddings: true,
            launcher: "/usr/bin/stingd".into(),
            unconfined: false,
            pooling: Some("mean"),
        };
        let args = spec.args(4321).join(" ");
        for flag in [
            "--alias bee",
            "--host 127.0.0.1",
            "--port 4321",
            "-c 4096",
            "-np 4",
            "-t 2",
            "-ngl 0",
            "--cache-ram 0",
            "--metrics",
            "--embeddings",
        ] {
            assert!(args.contains(flag), "{flag} missing from {args}");
        }
        assert!(!args.contains("api-key"));
        // Verbose logging would print prompts into the stderr tail that /v1/models shows.
        assert!(!spec.args(1).iter().any(|a| a == "-v" || a == "--verbose" || a.starts_with("--log-verbos")));
        assert_eq!(new_api_key().len(), 64);
        assert_ne!(new_api_key(), new_api_key());
    }
}
