//! Checks before anything is changed: running as root, the Docker engine reachable at a
//! version msting speaks, CPUs and memory as Docker sees them, free disk where the install and
//! Docker's data live, the ports stingd publishes free, and a GPU (optional). Each check says
//! what to do when it fails and can be skipped by name.

use std::net::{IpAddr, SocketAddr};
use std::path::Path;

use serde::Serialize;
use sting_config::Config;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pass,
    Warn,
    Fail,
    Skipped,
}

#[derive(Clone, Debug, Serialize)]
pub struct Check {
    pub name: &'static str,
    pub status: Status,
    pub message: String,
    /// What to do about a failure or warning.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

impl Check {
    pub(crate) fn pass(name: &'static str, message: impl Into<String>) -> Self {
        Self { name, status: Status::Pass, message: message.into(), fix: None }
    }
    pub(crate) fn fail(name: &'static str, message: impl Into<String>, fix: impl Into<String>) -> Self {
        Self { name, status: Status::Fail, message: message.into(), fix: Some(fix.into()) }
    }
    pub(crate) fn warn(name: &'static str, message: impl Into<String>, fix: impl Into<String>) -> Self {
        Self { name, status: Status::Warn, message: message.into(), fix: Some(fix.into()) }
    }
}

/// The names checks go by (for `--skip`).
pub const CHECKS: &[&str] = &["root", "docker", "resources", "disk", "ports", "gpu"];

/// Minimums for a stack with the default small model.
pub const MIN_CPUS: u64 = 2;
pub const MIN_MEMORY: u64 = 2 << 30;
pub const MIN_DISK: u64 = 5 << 30;

fn gib(bytes: u64) -> String {
    format!("{:.1} GiB", bytes as f64 / (1u64 << 30) as f64)
}

/// Whether the process runs as root (the owner of `/proc/self` is the effective user).
pub fn is_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").map(|m| m.uid() == 0).unwrap_or(false)
}

/// The ports stingd publishes, by the config key that sets each: HTTPS and HTTP on
/// `system.bind_address`.
pub fn published_ports(config: &Config) -> Vec<(&'static str, SocketAddr)> {
    let ip = config.system.bind_address;
    vec![
        ("services.stingd.https_port", SocketAddr::new(ip, config.services.stingd.https_port)),
        ("services.stingd.http_port", SocketAddr::new(ip, config.services.stingd.http_port)),
    ]
}

/// Whether a port can be bound now.
#[derive(Debug)]
pub enum Port {
    /// Not an address of this machine.
    NotLocal,
    Free,
    Taken(std::io::Error),
}

pub fn probe_port(address: &SocketAddr) -> Port {
    if !is_local(address.ip()) {
        return Port::NotLocal;
    }
    match std::net::TcpListener::bind(address) {
        Ok(_listener) => Port::Free,
        Err(e) => Port::Taken(e),
    }
}

/// What a probe of `address` (set by config key `key`) means to the operator.
pub fn port_check(key: &str, address: &SocketAddr, port: Port) -> Check {
    match port {
        Port::NotLocal => Check::fail(
            "ports",
            format!("{} is not an address of this machine", address.ip()),
            "set system.bind_address to one of this machine's addresses (`ip -brief address`), or 0.0.0.0",
        ),
        Port::Free => Check::pass("ports", format!("{address} is free")),
        Port::Taken(e) => Check::fail(
            "ports",
            format!("{address} is taken ({e})"),
            format!(
                "see what holds it with `ss -ltnp 'sport = :{}'` and stop it, or choose another port ({key}) or address (system.bind_address)",
                address.port()
            ),
        ),
    }
}

/// Whether each port can be bound now; a taken one fails saying how to find who holds it.
pub fn check_ports(ports: &[(&'static str, SocketAddr)]) -> Vec<Check> {
    ports.iter().map(|(key, address)| port_check(key, address, probe_port(address))).collect()
}

/// The file system holding a path: where it is mounted, its free and total bytes.
pub struct DiskSpace {
    pub mount: String,
    pub available: u64,
    pub total: u64,
}

/// The file system holding `path` (or its nearest existing parent).
pub fn disk_of(path: &Path) -> Option<DiskSpace> {
    let mut existing = path;
    while !existing.exists() {
        existing = existing.parent()?;
    }
    let existing = existing.canonicalize().ok()?;
    let disks = sysinfo::Disks::new_with_refreshed_list();
    disks
        .list()
        .iter()
        .filter(|d| existing.starts_with(d.mount_point()) && d.total_space() > 0)
        .max_by_key(|d| d.mount_point().as_os_str().len())
        .map(|d| DiskSpace {
            mount: d.mount_point().display().to_string(),
            available: d.available_space(),
            total: d.total_space(),
        })
}

/// Free space on the file system holding `path` (or its nearest existing parent).
pub fn free_space(path: &Path) -> Option<u64> {
    disk_of(path).map(|d| d.available)
}

fn check_disk(name_of: &str, path: &Path) -> Check {
    match free_space(path) {
        Some(free) if free >= MIN_DISK => {
            Check::pass("disk", format!("{} free at {} ({name_of})", gib(free), path.display()))
        }
        Some(free) => Check::fail(
            "disk",
            format!("only {} free at {} ({name_of}); STING needs {}", gib(free), path.display(), gib(MIN_DISK)),
            "free space there, or install elsewhere (--install-dir)",
        ),
        None => {
            Check::warn("disk", format!("cannot tell the free space at {}", path.display()), "check it with `df -h`")
        }
    }
}

/// Runs every check not in `skip`. The Docker engine is asked once.
pub async fn run(config: &Config, skip: &[String]) -> Vec<Check> {
    let skipped = |name: &str| skip.iter().any(|s| s == name);
    let mut checks = Vec::new();
    let skip_check = |name: &'static str| Check { name, status: Status::Skipped, message: "skipped".into(), fix: None };
    checks.push(if skipped("root") {
        skip_check("root")
    } else if is_root() {
        Check::pass("root", "running as root")
    } else {
        Check::fail("root", "not running as root", "run it with sudo")
    });
    let engine = if skipped("docker") {
        checks.push(skip_check("docker"));
        None
    } else {
        match crate::docker::connect().await {
            Ok(docker) => match crate::docker::info(&docker).await {
                Ok(info) => {
                    checks.push(Check::pass(
                        "docker",
                        format!("Docker {} (API {}, {} storage)", info.version, info.api_version, info.storage_driver),
                    ));
                    Some(info)
                }
                Err(e) => {
                    checks.push(Check::fail("docker", e.to_string(), "see above"));
                    None
                }
            },
            Err(e) => {
                checks.push(Check::fail("docker", e.to_string(), "start the Docker engine"));
                None
            }
        }
    };
    if skipped("resources") {
        checks.push(skip_check("resources"));
    } else if let Some(info) = &engine {
        let enough = info.cpus >= MIN_CPUS && info.memory >= MIN_MEMORY;
        let message = format!("Docker sees {} CPUs and {} of memory", info.cpus, gib(info.memory));
        checks.push(if enough {
            Check::pass("resources", message)
        } else {
            Check::fail(
                "resources",
                format!("{message}; STING needs at least {MIN_CPUS} CPUs and {}", gib(MIN_MEMORY)),
                "give the machine (or Docker's VM) more CPUs or memory",
            )
        });
    }
    if skipped("disk") {
        checks.push(skip_check("disk"));
    } else {
        checks.push(check_disk("the install directory", &config.paths.install_dir));
        if let Some(info) = &engine {
            checks.push(check_disk("Docker's data", Path::new(&info.root_dir)));
        }
    }
    if skipped("ports") {
        checks.push(skip_check("ports"));
    } else {
        checks.extend(check_ports(&published_ports(config)));
    }
    if skipped("gpu") {
        checks.push(skip_check("gpu"));
    } else {
        checks.push(match nvidia_gpus() {
            Some(devices) => Check::pass("gpu", format!("NVIDIA GPU: {devices}")),
            None => Check {
                name: "gpu",
                status: Status::Pass,
                message: "no NVIDIA GPU (models run on the CPU)".into(),
                fix: None,
            },
        });
    }
    checks
}

/// The NVIDIA GPUs NVML finds, by name; `None` without a driver or a GPU.
pub fn nvidia_gpus() -> Option<String> {
    let nvml = nvml_wrapper::Nvml::init().ok()?;
    let count = nvml.device_count().ok()?;
    let names: Vec<String> = (0..count).filter_map(|i| nvml.device_by_index(i).ok()?.name().ok()).collect();
    (!names.is_empty()).then(|| names.join(", "))
}

/// Whether the addresses a config binds to are this machine's (a typo'd bind address fails
/// every port check with "cannot assign requested address").
pub fn is_local(ip: IpAddr) -> bool {
    ip.is_unspecified() || std::net::TcpListener::bind((ip, 0)).is_ok()
}
