//! An OpenBao server of a test's own, in production mode (raft storage, a real seal), from a
//! configuration file the test writes: started, stopped and restarted like the real one.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use sting_vault::bootstrap::{self, Plan, SealMode};
use sting_vault::server::{ServerConfig, ensure_static_key};
use sting_vault::{Connection, Secret, Vault, seal};

use crate::env::require_path;
use crate::{ChildGuard, Component, free_port};

/// A fresh server in its own folder: raft storage, an audit device, and (with `auto_unseal`)
/// the static-key seal, from the configuration sting-vault renders for the stack.
pub struct TestBao {
    pub dir: tempfile::TempDir,
    pub process: BaoProcess,
}

impl TestBao {
    pub async fn start(auto_unseal: bool) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let (port, cluster) = (free_port(), free_port());
        let config = ServerConfig {
            storage_dir: dir.path().join("data"),
            listen: format!("127.0.0.1:{port}").parse().unwrap(),
            cluster_listen: format!("127.0.0.1:{cluster}").parse().unwrap(),
            cluster_addr: None,
            api_addr: format!("http://127.0.0.1:{port}"),
            tls: None,
            static_key: auto_unseal.then(|| ensure_static_key(&dir.path().join("keys")).unwrap()),
            audit_file: dir.path().join("logs/audit.log"),
        };
        std::fs::create_dir_all(&config.storage_dir).unwrap();
        std::fs::create_dir_all(dir.path().join("logs")).unwrap();
        let file = dir.path().join("bao.hcl");
        std::fs::write(&file, config.render()).unwrap();
        let process = BaoProcess::start(&file, &format!("http://127.0.0.1:{port}")).await;
        Self { dir, process }
    }

    pub fn address(&self) -> &str {
        &self.process.address
    }

    /// Everything the server wrote to its audit log so far.
    pub fn audit_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("logs/audit.log")).unwrap_or_default()
    }
}

pub struct BaoProcess {
    config: PathBuf,
    child: Option<ChildGuard>,
    /// `http://127.0.0.1:PORT`.
    pub address: String,
}

impl BaoProcess {
    /// Starts `bao server -config=CONFIG` and waits until it answers on `address`.
    pub async fn start(config: &Path, address: &str) -> Self {
        let mut process = Self { config: config.to_path_buf(), child: None, address: address.to_string() };
        process.spawn().await;
        process
    }

    async fn spawn(&mut self) {
        let mut command = Command::new(require_path(Component::Bao));
        command.arg("server").arg(format!("-config={}", self.config.display()));
        // Nothing of the test's environment (a VAULT_TOKEN, say) reaches the server.
        command.env_clear().env("PATH", "/usr/bin:/bin");
        let mut child = ChildGuard::spawn("bao", command);
        let client = reqwest::Client::new();
        crate::wait_for_http(
            &client,
            &format!("{}/v1/sys/seal-status", self.address),
            &mut child,
            Duration::from_secs(30),
            |status| status.is_success(),
        )
        .await;
        self.child = Some(child);
    }

    /// Stops the server (SIGTERM, as `docker stop` would) and waits for it to exit.
    pub fn stop(&mut self) {
        if let Some(child) = self.child.take() {
            let _ = Command::new("kill").arg("-TERM").arg(child.id().to_string()).status();
            for _ in 0..100 {
                if !Path::new(&format!("/proc/{}", child.id())).exists()
                    || std::fs::read_to_string(format!("/proc/{}/stat", child.id()))
                        .is_ok_and(|s| s.split_whitespace().nth(2) == Some("Z"))
                {
                    break;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            drop(child);
        }
    }

    pub async fn restart(&mut self) {
        self.stop();
        self.spawn().await;
    }

    /// What the server printed so far.
    pub fn output(&self) -> String {
        self.child.as_ref().map(ChildGuard::output).unwrap_or_default()
    }
}

/// The plan tests set Vault up with: the stack's secrets, the operator on loopback.
pub fn test_plan() -> Plan {
    Plan {
        kv_mount: "sting".into(),
        operator_token_ttl: Duration::from_secs(600),
        operator_cidrs: vec!["127.0.0.1/32".into()],
        service_secret_id_ttl: Duration::from_secs(3600),
        service_token_period: Duration::from_secs(3600),
        generated: Plan::stack_secrets(),
        audit_file: "/dev/null".into(),
        recovery_ca_pem: None,
    }
}

/// A server in manual mode with one share (so a test can seal it and it stays sealed),
/// initialised, unsealed and set up with a plan; the root token is kept for the test.
pub struct ReadyVault {
    pub bao: TestBao,
    /// Without a token.
    pub vault: Vault,
    pub root: Vault,
    pub share: Secret,
    /// By role name (`stingd`, `operator`).
    pub role_ids: std::collections::BTreeMap<String, String>,
}

impl ReadyVault {
    pub async fn start(plan: &Plan) -> Self {
        let bao = TestBao::start(false).await;
        let vault = Vault::new(Connection { address: bao.address().into(), ca_file: None }).unwrap();
        let init = bootstrap::initialise(&vault, SealMode::Manual, 1, 1).await.unwrap();
        let share = init.shares[0].clone();
        seal::unseal(&vault, &share).await.unwrap();
        let root = vault.with_token(init.root_token);
        let role_ids = bootstrap::configure(&root, plan).await.unwrap().role_ids;
        Self { bao, vault, root, share, role_ids }
    }
}
