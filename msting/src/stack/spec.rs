//! The desired stack: each service's image, user, command, networks, ports, mounts, limits,
//! health check and restart policy, hardened the same way for every service (non-root, every
//! capability dropped, `no-new-privileges`, read-only root with tmpfs, memory limit, log
//! rotation). Secrets never appear here: services read them from mounted files or Vault.

use std::collections::BTreeMap;

use serde::Serialize;
use sting_config::Config;

/// The internal network (no route out) and the edge network only stingd joins.
pub const LOCAL_NETWORK: &str = "sting_local";
pub const EDGE_NETWORK: &str = "sting_edge";
/// Vault's own network, for its loopback port alone: Docker publishes no port of a container
/// that is only on an internal network. No masquerading, so it gives Vault no way out either.
pub const VAULT_NETWORK: &str = "sting_vault";
/// mailpit's, for its loopback web UI alone, on the same terms as Vault's.
pub const MAILPIT_NETWORK: &str = "sting_mailpit";
/// mailpit has no recipe: its pinned upstream image, pulled where a registry answers (or
/// carried in an images bundle).
pub const MAILPIT_IMAGE: &str = "axllent/mailpit:v1.21.0";

/// The name Vault's certificate and stingd use for it inside the stack (`.internal` is reserved
/// for private use); a network alias on `sting_local`.
pub const VAULT_HOST: &str = "vault.sting.internal";

/// Where stingd reads the stack's config inside its container.
pub const STINGD_CONFIG: &str = "/etc/sting/conf/config.yml";
/// Service users (uid = gid), fixed so host files mounted into a container can be given to it.
pub const VAULT_UID: u32 = 10100;
pub const DB_UID: u32 = 10200;
pub const STINGD_UID: u32 = 10300;
/// stingd's status socket in its container's private /tmp: only a process in the container
/// (a `docker exec`, so root on the host) can connect.
pub const STINGD_STATUS_SOCKET: &str = "/tmp/stingd/status.sock";
pub const MAILPIT_UID: u32 = 10400;

/// Ports stingd listens on inside its container (unprivileged; published as 443 and 80).
pub const STINGD_HTTPS: u16 = 8443;
pub const STINGD_HTTP: u16 = 8080;

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Port {
    pub host_ip: String,
    pub host_port: u16,
    pub container_port: u16,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Mount {
    /// A volume name (without the project prefix) or a host path.
    pub source: String,
    pub target: String,
    pub read_only: bool,
    pub volume: bool,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Health {
    pub test: Vec<String>,
    pub interval_s: u32,
    pub timeout_s: u32,
    pub retries: u32,
    pub start_period_s: u32,
}

/// What the engine gives a service to stop cleanly; stingd's is its own (below).
const STOP_GRACE: u32 = 30;
/// stingd's: requests in flight, then up to 20 s of background tasks, then its models.
const STINGD_STOP_GRACE: u32 = 45;

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Service {
    pub name: &'static str,
    pub image: String,
    /// `uid:gid`, never root.
    pub user: String,
    pub command: Vec<String>,
    pub environment: BTreeMap<String, String>,
    pub networks: Vec<&'static str>,
    /// Other names the service answers to on `sting_local`.
    pub aliases: Vec<&'static str>,
    pub ports: Vec<Port>,
    pub mounts: Vec<Mount>,
    pub tmpfs: Vec<String>,
    pub memory: u64,
    pub health: Health,
    /// Seconds the engine waits after SIGTERM before it kills the process (stingd finishes
    /// requests, joins its background tasks and stops its models in that time).
    pub stop_grace_s: u32,
    /// The signal that asks it to stop, when not SIGTERM.
    pub stop_signal: Option<&'static str>,
    pub depends_on: Vec<&'static str>,
    /// Only started with this profile (`dev` for mailpit).
    pub profile: Option<&'static str>,
    /// Every NVIDIA GPU passed through (a device request to the engine's nvidia runtime).
    pub gpus: bool,
}

#[derive(Clone, Debug, Serialize)]
pub struct Network {
    pub name: &'static str,
    pub internal: bool,
    /// Whether traffic leaving through it is masqueraded (a way out to other networks).
    pub masquerade: bool,
}

#[derive(Clone, Debug, Serialize)]
pub struct Stack {
    pub project: String,
    pub networks: Vec<Network>,
    pub volumes: Vec<&'static str>,
    pub services: Vec<Service>,
}

/// What every service gets, whatever it is.
pub struct Hardening;

impl Hardening {
    pub const CAP_DROP: &'static [&'static str] = &["ALL"];
    pub const SECURITY_OPT: &'static [&'static str] = &["no-new-privileges:true"];
    pub const RESTART: &'static str = "unless-stopped";
    pub const LOG_DRIVER: &'static str = "json-file";
    pub const LOG_MAX_SIZE: &'static str = "10m";
    pub const LOG_MAX_FILE: &'static str = "5";
}

fn image(config: &Config, service: &str) -> String {
    format!("{}/{service}:{}", config.images.prefix, config.images.tag)
}

fn bind(source: &std::path::Path, target: &str, read_only: bool) -> Mount {
    Mount { source: source.display().to_string(), target: target.into(), read_only, volume: false }
}

fn volume(name: &str, target: &str) -> Mount {
    Mount { source: name.into(), target: target.into(), read_only: false, volume: true }
}

/// Where Vault's server configuration is mounted in its container.
pub const VAULT_CONFIG_DIR: &str = "/etc/sting/vault";
pub const VAULT_CONFIG_FILE: &str = "vault.hcl";

/// The host folder holding Vault's server configuration, its TLS certificate and (in auto
/// unseal mode) its unseal key: Vault's alone, never mounted elsewhere.
pub fn vault_server_dir(config: &Config) -> std::path::PathBuf {
    absolute(config, &config.paths.secrets_dir).join("vault-server")
}

/// A config path made absolute against the install directory.
pub fn absolute(config: &Config, path: &std::path::Path) -> std::path::PathBuf {
    if path.is_relative() { config.paths.install_dir.join(path) } else { path.to_path_buf() }
}

/// What the stack depends on besides its config.
#[derive(Clone, Copy, Debug, Default)]
pub struct Host {
    pub nvidia_gpu: bool,
}

impl Host {
    /// NVML's answer on this machine (no driver, no GPU: none, and models run on the CPU).
    pub fn detect() -> Self {
        Self { nvidia_gpu: crate::preflight::nvidia_gpus().is_some() }
    }
}

/// The stack `config` asks for on this machine.
/// The services in dependency order (each after what it needs), as `desired` lists them.
pub const SERVICE_ORDER: &[&str] = &["vault", "db", "stingd", "mailpit"];

pub fn desired(config: &Config) -> Stack {
    desired_on(config, Host::detect())
}

/// The stack `config` asks for on a machine like `host` (the reference compose file assumes
/// no GPU, so that it does not depend on where it is rendered).
pub fn desired_on(config: &Config, host: Host) -> Stack {
    // Relative paths are relative to the install directory (as the config loader resolves them).
    let mut paths = config.paths.clone();
    for path in [&mut paths.certs_dir, &mut paths.secrets_dir, &mut paths.models_dir] {
        if path.is_relative() {
            *path = config.paths.install_dir.join(&*path);
        }
    }
    let paths = &paths;
    let services = &config.services;
    let vault = Service {
        name: "vault",
        image: image(config, "vault"),
        user: format!("{VAULT_UID}:{VAULT_UID}"),
        command: vec!["bao".into(), "server".into(), format!("-config={VAULT_CONFIG_DIR}/{VAULT_CONFIG_FILE}")],
        environment: BTreeMap::new(),
        networks: vec![LOCAL_NETWORK, VAULT_NETWORK],
        aliases: vec![VAULT_HOST],
        // For msting alone: loopback only.
        ports: vec![Port { host_ip: "127.0.0.1".into(), host_port: services.vault.port, container_port: 8200 }],
        mounts: vec![volume("vault-data", "/vault"), bind(&vault_server_dir(config), VAULT_CONFIG_DIR, true)],
        tmpfs: vec!["/tmp".into()],
        memory: services.vault.memory_limit.bytes(),
        health: Health {
            // Exits 2 while sealed: a sealed Vault is unhealthy.
            test: vec![
                "CMD".into(),
                "bao".into(),
                "status".into(),
                "-address=https://127.0.0.1:8200".into(),
                format!("-ca-cert={VAULT_CONFIG_DIR}/tls/ca.pem"),
            ],
            interval_s: 10,
            timeout_s: 5,
            retries: 3,
            start_period_s: 30,
        },
        stop_grace_s: STOP_GRACE,
        stop_signal: None,
        depends_on: Vec::new(),
        profile: None,
        gpus: false,
    };
    let db = Service {
        name: "db",
        image: image(config, "db"),
        user: format!("{DB_UID}:{DB_UID}"),
        command: vec![
            "sting-db-start".into(),
            "-c".into(),
            "listen_addresses=*".into(),
            "-c".into(),
            "password_encryption=scram-sha-256".into(),
        ],
        environment: BTreeMap::new(),
        networks: vec![LOCAL_NETWORK],
        aliases: Vec::new(),
        ports: Vec::new(),
        mounts: vec![volume("db-data", "/var/lib/postgresql/data")],
        tmpfs: vec!["/tmp".into(), "/run/postgresql".into()],
        memory: services.db.memory_limit.bytes(),
        health: Health {
            test: vec!["CMD".into(), "pg_isready".into(), "-q".into(), "-h".into(), "/run/postgresql".into()],
            interval_s: 10,
            timeout_s: 5,
            retries: 3,
            start_period_s: 20,
        },
        stop_grace_s: STOP_GRACE,
        // PostgreSQL's fast shutdown: it ends the sessions and checkpoints, where SIGTERM
        // would wait for every client to leave.
        stop_signal: Some("SIGINT"),
        depends_on: Vec::new(),
        profile: None,
        gpus: false,
    };
    let stingd = Service {
        name: "stingd",
        image: image(config, "stingd"),
        user: format!("{STINGD_UID}:{STINGD_UID}"),
        command: vec![
            "stingd".into(),
            "serve".into(),
            "--config".into(),
            STINGD_CONFIG.into(),
            "--https".into(),
            format!("0.0.0.0:{STINGD_HTTPS}"),
            "--http".into(),
            format!("0.0.0.0:{STINGD_HTTP}"),
            // Sign-in checks the origin people see: the published port, not the container's.
            "--public-port".into(),
            services.stingd.https_port.to_string(),
            // The view from the inside (models, queues) for `msting health`, via docker exec.
            "--status-socket".into(),
            STINGD_STATUS_SOCKET.into(),
        ],
        environment: BTreeMap::from([
            ("STING_VAULT_ADDR".to_string(), format!("https://{VAULT_HOST}:8200")),
            ("STING_VAULT_CACERT".to_string(), "/etc/sting/tls/ca.pem".to_string()),
            ("STING_VAULT_AUTH_DIR".to_string(), "/etc/sting/vault-auth".to_string()),
            ("STING_VAULT_TOKEN_FILE".to_string(), "/var/lib/sting/vault-token".to_string()),
            ("STING_API_KEY_FILE".to_string(), "/etc/sting/secrets/api-key".to_string()),
            ("STING_CERTS_DIR".to_string(), "/etc/sting/tls".to_string()),
            ("STING_MODELS_DIR".to_string(), "/models".to_string()),
            ("STING_DATA_DIR".to_string(), "/var/lib/sting".to_string()),
        ]),
        networks: vec![LOCAL_NETWORK, EDGE_NETWORK],
        aliases: Vec::new(),
        ports: vec![
            Port {
                host_ip: config.system.bind_address.to_string(),
                host_port: services.stingd.https_port,
                container_port: STINGD_HTTPS,
            },
            Port {
                host_ip: config.system.bind_address.to_string(),
                host_port: services.stingd.http_port,
                container_port: STINGD_HTTP,
            },
        ],
        mounts: vec![
            volume("stingd-data", "/var/lib/sting"),
            bind(&paths.install_dir.join("conf"), "/etc/sting/conf", true),
            bind(&paths.certs_dir, "/etc/sting/tls", true),
            bind(&paths.models_dir, "/models", true),
            bind(&paths.secrets_dir.join("vault").join("stingd"), "/etc/sting/vault-auth", true),
            bind(&paths.secrets_dir.join("stingd"), "/etc/sting/secrets", true),
        ],
        tmpfs: vec!["/tmp".into()],
        memory: services.stingd.memory_limit.bytes(),
        health: Health {
            test: vec![
                "CMD".into(),
                "stingd".into(),
                "healthcheck".into(),
                format!("https://127.0.0.1:{STINGD_HTTPS}"),
            ],
            interval_s: 10,
            timeout_s: 5,
            retries: 3,
            start_period_s: 60,
        },
        stop_grace_s: STINGD_STOP_GRACE,
        stop_signal: None,
        depends_on: vec!["vault", "db"],
        profile: None,
        gpus: match services.stingd.gpus {
            sting_config::GpuAccess::All => true,
            sting_config::GpuAccess::None => false,
            sting_config::GpuAccess::Auto => host.nvidia_gpu,
        },
    };
    let mut all = vec![vault, db, stingd];
    if services.mailpit.enabled {
        all.push(Service {
            name: "mailpit",
            image: MAILPIT_IMAGE.into(),
            user: format!("{MAILPIT_UID}:{MAILPIT_UID}"),
            command: vec![
                "/mailpit".into(),
                "--listen".into(),
                "0.0.0.0:8025".into(),
                "--smtp".into(),
                "0.0.0.0:1025".into(),
            ],
            environment: BTreeMap::new(),
            networks: vec![LOCAL_NETWORK, MAILPIT_NETWORK],
            aliases: Vec::new(),
            ports: vec![Port {
                host_ip: "127.0.0.1".into(),
                host_port: services.mailpit.ui_port,
                container_port: 8025,
            }],
            mounts: Vec::new(),
            tmpfs: vec!["/tmp".into()],
            memory: 64 << 20,
            health: Health {
                test: vec!["CMD".into(), "/mailpit".into(), "readyz".into()],
                interval_s: 10,
                timeout_s: 5,
                retries: 3,
                start_period_s: 5,
            },
            stop_grace_s: STOP_GRACE,
            stop_signal: None,
            depends_on: Vec::new(),
            profile: Some("dev"),
            gpus: false,
        });
    }
    let mut networks = vec![
        Network { name: LOCAL_NETWORK, internal: true, masquerade: false },
        Network { name: EDGE_NETWORK, internal: false, masquerade: true },
        Network { name: VAULT_NETWORK, internal: false, masquerade: false },
    ];
    if services.mailpit.enabled {
        networks.push(Network { name: MAILPIT_NETWORK, internal: false, masquerade: false });
    }
    Stack {
        project: config.system.project_name.clone(),
        networks,
        volumes: vec!["vault-data", "db-data", "stingd-data"],
        services: all,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_stingd_is_on_the_edge_and_only_it_publishes_beyond_loopback() {
        let mut config = Config::default();
        config.services.mailpit.enabled = true;
        let stack = desired(&config);
        assert!(stack.services.iter().any(|s| s.name == "mailpit"));
        // Every network a service joins is one the stack makes, and only stingd's may route out.
        for service in &stack.services {
            for joined in &service.networks {
                let network = stack.networks.iter().find(|n| n.name == *joined).expect(joined);
                assert!(!network.masquerade || service.name == "stingd", "{} can reach out via {joined}", service.name);
            }
        }
        for service in &stack.services {
            let edge = service.networks.contains(&EDGE_NETWORK);
            assert_eq!(edge, service.name == "stingd", "{}", service.name);
            for port in &service.ports {
                if service.name != "stingd" {
                    assert_eq!(port.host_ip, "127.0.0.1", "{} publishes beyond loopback", service.name);
                }
            }
            assert!(!service.user.starts_with("0:") && !service.user.is_empty(), "{} runs as root", service.name);
            assert!(service.mounts.iter().all(|m| !m.source.contains("docker.sock")), "{}", service.name);
            assert!(service.memory > 0);
        }
        assert!(stack.networks.iter().any(|n| n.name == LOCAL_NETWORK && n.internal));
    }
}
