//! The stack's containers on the engine: made from the spec with every hardening setting, named
//! and labelled as Docker Compose would (so Compose tools see the same project), and replaced
//! only when their spec hash or their image changed. Only containers with the project's label
//! are ever touched.

use std::collections::HashMap;

use bollard::Docker;
use bollard::models::{
    ContainerCreateBody, DeviceRequest, EndpointSettings, HealthConfig, HostConfig, HostConfigLogConfig, Mount,
    MountType, NetworkConnectRequest, NetworkingConfig, PortBinding, RestartPolicy, RestartPolicyNameEnum,
};

use super::resources::{PROJECT_LABEL, scoped};
use super::spec::{Hardening, Service, Stack};

pub const SERVICE_LABEL: &str = "com.docker.compose.service";
pub const NUMBER_LABEL: &str = "com.docker.compose.container-number";
pub const ONEOFF_LABEL: &str = "com.docker.compose.oneoff";
pub const SPEC_HASH_LABEL: &str = "sting.spec-hash";

/// Compose v2's container name: `<project>-<service>-1`.
pub fn container_name(project: &str, service: &str) -> String {
    format!("{project}-{service}-1")
}

const NANOS: i64 = 1_000_000_000;

/// What the engine is told to make for `service`, labelled with its hash.
pub fn create_body(stack: &Stack, service: &Service) -> ContainerCreateBody {
    let mut body = unlabelled_body(stack, service);
    let hash = hash_of(&body);
    body.labels.get_or_insert_with(HashMap::new).insert(SPEC_HASH_LABEL.to_string(), hash);
    body
}

/// sha256 of everything the container is made with (image name, user, command, mounts, limits,
/// hardening, labels): equal containers, equal hashes; any change, another hash.
pub fn spec_hash(stack: &Stack, service: &Service) -> String {
    hash_of(&unlabelled_body(stack, service))
}

fn hash_of(body: &ContainerCreateBody) -> String {
    use sha2::{Digest, Sha256};
    let value = serde_json::to_value(body).expect("a container body serialises");
    let mut canonical = String::new();
    write_canonical(&value, &mut canonical);
    Sha256::digest(canonical.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// JSON with every object's keys sorted, so maps built from hash maps hash the same each time.
fn write_canonical(value: &serde_json::Value, out: &mut String) {
    match value {
        serde_json::Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for key in keys {
                out.push_str(&serde_json::to_string(key).expect("a string"));
                out.push(':');
                write_canonical(&map[key], out);
                out.push(',');
            }
            out.push('}');
        }
        serde_json::Value::Array(items) => {
            out.push('[');
            for item in items {
                write_canonical(item, out);
                out.push(',');
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

fn unlabelled_body(stack: &Stack, service: &Service) -> ContainerCreateBody {
    let labels = HashMap::from([
        (PROJECT_LABEL.to_string(), stack.project.clone()),
        (SERVICE_LABEL.to_string(), service.name.to_string()),
        (NUMBER_LABEL.to_string(), "1".to_string()),
        (ONEOFF_LABEL.to_string(), "False".to_string()),
    ]);
    let mut port_bindings: HashMap<String, Option<Vec<PortBinding>>> = HashMap::new();
    for port in &service.ports {
        port_bindings
            .entry(format!("{}/tcp", port.container_port))
            .or_insert_with(|| Some(Vec::new()))
            .get_or_insert_with(Vec::new)
            .push(PortBinding { host_ip: Some(port.host_ip.clone()), host_port: Some(port.host_port.to_string()) });
    }
    let exposed: Vec<String> = service.ports.iter().map(|p| format!("{}/tcp", p.container_port)).collect();
    let mounts = service
        .mounts
        .iter()
        .map(|m| Mount {
            target: Some(m.target.clone()),
            source: Some(if m.volume { scoped(&stack.project, &m.source) } else { m.source.clone() }),
            typ: Some(if m.volume { MountType::VOLUME } else { MountType::BIND }),
            read_only: Some(m.read_only),
            ..Default::default()
        })
        .collect();
    // Owned by the service's user: a tmpfs over a folder of the image otherwise keeps root.
    let (uid, gid) = service.user.split_once(':').unwrap_or((&service.user, &service.user));
    let options = format!("rw,nosuid,nodev,noexec,size=64m,uid={uid},gid={gid},mode=0700");
    let tmpfs = service.tmpfs.iter().map(|t| (t.clone(), options.clone())).collect();
    let host_config = HostConfig {
        cap_drop: Some(Hardening::CAP_DROP.iter().map(|c| c.to_string()).collect()),
        security_opt: Some(Hardening::SECURITY_OPT.iter().map(|c| c.to_string()).collect()),
        readonly_rootfs: Some(true),
        tmpfs: Some(tmpfs),
        memory: Some(service.memory as i64),
        // No swap beyond the limit: a model that does not fit fails clearly rather than crawls.
        memory_swap: Some(service.memory as i64),
        pids_limit: Some(1024),
        restart_policy: Some(RestartPolicy {
            name: Some(RestartPolicyNameEnum::UNLESS_STOPPED),
            maximum_retry_count: None,
        }),
        log_config: Some(HostConfigLogConfig {
            typ: Some(Hardening::LOG_DRIVER.to_string()),
            config: Some(HashMap::from([
                ("max-size".to_string(), Hardening::LOG_MAX_SIZE.to_string()),
                ("max-file".to_string(), Hardening::LOG_MAX_FILE.to_string()),
            ])),
        }),
        port_bindings: Some(port_bindings),
        mounts: Some(mounts),
        network_mode: service.networks.first().map(|n| scoped(&stack.project, n)),
        init: Some(true),
        device_requests: service.gpus.then(|| {
            vec![DeviceRequest {
                driver: Some("nvidia".into()),
                count: Some(-1),
                capabilities: Some(vec![vec!["gpu".into()]]),
                ..Default::default()
            }]
        }),
        ..Default::default()
    };
    let first = service.networks.first().map(|n| (scoped(&stack.project, n), endpoint(service, n)));
    ContainerCreateBody {
        image: Some(service.image.clone()),
        user: Some(service.user.clone()),
        cmd: Some(service.command.clone()),
        env: Some(service.environment.iter().map(|(k, v)| format!("{k}={v}")).collect()),
        labels: Some(labels),
        exposed_ports: Some(exposed),
        stop_timeout: Some(i64::from(service.stop_grace_s)),
        stop_signal: service.stop_signal.map(str::to_string),
        healthcheck: Some(HealthConfig {
            test: Some(service.health.test.clone()),
            interval: Some(i64::from(service.health.interval_s) * NANOS),
            timeout: Some(i64::from(service.health.timeout_s) * NANOS),
            retries: Some(i64::from(service.health.retries)),
            start_period: Some(i64::from(service.health.start_period_s) * NANOS),
            start_interval: None,
        }),
        host_config: Some(host_config),
        networking_config: first
            .map(|(name, endpoint)| NetworkingConfig { endpoints_config: Some(HashMap::from([(name, endpoint)])) }),
        ..Default::default()
    }
}

fn endpoint(service: &Service, network: &str) -> EndpointSettings {
    let mut aliases = vec![service.name.to_string()];
    if network == super::spec::LOCAL_NETWORK {
        aliases.extend(service.aliases.iter().map(|a| a.to_string()));
    }
    EndpointSettings { aliases: Some(aliases), ..Default::default() }
}

/// What [`ensure`] did to a container.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Change {
    Unchanged,
    Created,
    /// Its spec or its image changed.
    Replaced,
}

/// The container of `service` as the spec says, made or replaced if it differs (not started).
pub async fn ensure(docker: &Docker, stack: &Stack, service: &Service) -> Result<Change, bollard::errors::Error> {
    let name = container_name(&stack.project, service.name);
    let image_id = docker.inspect_image(&service.image).await?.id;
    let change = match docker.inspect_container(&name, None).await {
        Ok(current) => {
            let labels = current.config.as_ref().and_then(|c| c.labels.clone()).unwrap_or_default();
            let same_spec = labels.get(SPEC_HASH_LABEL) == Some(&spec_hash(stack, service));
            let ours = labels.get(PROJECT_LABEL) == Some(&stack.project);
            if !ours {
                return Err(bollard::errors::Error::DockerResponseServerError {
                    status_code: 409,
                    message: format!(
                        "a container named {name} exists and is not this stack's: rename or remove it, or choose another system.project_name"
                    ),
                });
            }
            if same_spec && current.image == image_id {
                return Ok(Change::Unchanged);
            }
            super::engine::stop_and_remove_container(docker, &name).await?;
            Change::Replaced
        }
        Err(bollard::errors::Error::DockerResponseServerError { status_code: 404, .. }) => Change::Created,
        Err(other) => return Err(other),
    };
    super::engine::create_container(docker, &stack.project, &name, create_body(stack, service)).await?;
    for network in service.networks.iter().skip(1) {
        docker
            .connect_network(
                &scoped(&stack.project, network),
                NetworkConnectRequest { container: name.clone(), endpoint_config: Some(endpoint(service, network)) },
            )
            .await?;
    }
    Ok(change)
}

/// A container's state as `msting status` shows it.
#[derive(Clone, Debug, serde::Serialize)]
pub struct ServiceState {
    pub service: String,
    pub container: String,
    pub state: ContainerState,
    pub health: Health,
    pub started_at: Option<String>,
    pub uptime_s: Option<i64>,
    pub image: Option<String>,
    pub ports: Vec<String>,
    pub restarts: i64,
}

/// Where a service's container is, as the engine says (or `missing`: there is none).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ContainerState {
    Missing,
    Created,
    Running,
    Paused,
    Restarting,
    Removing,
    Exited,
    Dead,
    Unknown,
}

impl ContainerState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Missing => "missing",
            Self::Created => "created",
            Self::Running => "running",
            Self::Paused => "paused",
            Self::Restarting => "restarting",
            Self::Removing => "removing",
            Self::Exited => "exited",
            Self::Dead => "dead",
            Self::Unknown => "unknown",
        }
    }
}

impl From<Option<bollard::models::ContainerStateStatusEnum>> for ContainerState {
    fn from(status: Option<bollard::models::ContainerStateStatusEnum>) -> Self {
        use bollard::models::ContainerStateStatusEnum as S;
        match status {
            Some(S::CREATED) => Self::Created,
            Some(S::RUNNING) => Self::Running,
            Some(S::PAUSED) => Self::Paused,
            Some(S::RESTARTING) => Self::Restarting,
            Some(S::REMOVING) => Self::Removing,
            Some(S::EXITED) => Self::Exited,
            Some(S::DEAD) => Self::Dead,
            _ => Self::Unknown,
        }
    }
}

/// A container's health check, as the engine last judged it (`none`: it has no check).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Health {
    None,
    Starting,
    Healthy,
    Unhealthy,
}

impl Health {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Starting => "starting",
            Self::Healthy => "healthy",
            Self::Unhealthy => "unhealthy",
        }
    }
}

impl From<Option<bollard::models::HealthStatusEnum>> for Health {
    fn from(status: Option<bollard::models::HealthStatusEnum>) -> Self {
        use bollard::models::HealthStatusEnum as H;
        match status {
            Some(H::STARTING) => Self::Starting,
            Some(H::HEALTHY) => Self::Healthy,
            Some(H::UNHEALTHY) => Self::Unhealthy,
            _ => Self::None,
        }
    }
}

// Padded like a string, so tables line up.
impl std::fmt::Display for ContainerState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
}

impl std::fmt::Display for Health {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
}

/// The state of every container of `stack`'s services (missing ones included).
pub async fn states(docker: &Docker, stack: &Stack) -> Result<Vec<ServiceState>, bollard::errors::Error> {
    let mut out = Vec::new();
    for service in &stack.services {
        let name = container_name(&stack.project, service.name);
        let mut entry = ServiceState {
            service: service.name.to_string(),
            container: name.clone(),
            state: ContainerState::Missing,
            health: Health::None,
            started_at: None,
            uptime_s: None,
            image: None,
            ports: Vec::new(),
            restarts: 0,
        };
        match docker.inspect_container(&name, None).await {
            Ok(found) => {
                let state = found.state.unwrap_or_default();
                entry.state = state.status.into();
                entry.health = state.health.and_then(|h| h.status).into();
                if state.running == Some(true) {
                    entry.started_at = state.started_at.clone();
                    entry.uptime_s = state
                        .started_at
                        .as_deref()
                        .and_then(|t| {
                            time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).ok()
                        })
                        .map(|t| (time::OffsetDateTime::now_utc() - t).whole_seconds());
                }
                entry.image = found.config.and_then(|c| c.image);
                entry.restarts = found.restart_count.unwrap_or(0);
                let bindings = found.host_config.and_then(|h| h.port_bindings).unwrap_or_default();
                let mut ports: Vec<String> = bindings
                    .iter()
                    .flat_map(|(inside, outside)| {
                        outside.iter().flatten().map(move |b| {
                            format!(
                                "{}:{}->{inside}",
                                b.host_ip.as_deref().unwrap_or(""),
                                b.host_port.as_deref().unwrap_or("")
                            )
                        })
                    })
                    .collect();
                ports.sort();
                entry.ports = ports;
            }
            Err(bollard::errors::Error::DockerResponseServerError { status_code: 404, .. }) => {}
            Err(other) => return Err(other),
        }
        out.push(entry);
    }
    Ok(out)
}

/// Every container with the project's label (whatever the current spec lists).
pub async fn all_of_project(docker: &Docker, project: &str) -> Result<Vec<String>, bollard::errors::Error> {
    Ok(super::resources::owned(docker, project).await?.containers)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_changes_with_the_spec_and_only_then() {
        let config = sting_config::Config::default();
        let a = super::super::spec::desired(&config);
        let hash = |s: &Stack, name: &str| spec_hash(s, s.services.iter().find(|x| x.name == name).unwrap());
        assert_eq!(hash(&a, "stingd"), hash(&super::super::spec::desired(&config), "stingd"));
        let mut changed = config.clone();
        changed.services.stingd.memory_limit = sting_config::ByteSize::gib(8);
        let b = super::super::spec::desired(&changed);
        assert_ne!(hash(&a, "stingd"), hash(&b, "stingd"));
        assert_eq!(hash(&a, "vault"), hash(&b, "vault"), "vault did not change");
    }

    #[test]
    fn stingd_is_given_the_time_its_shutdown_takes_before_it_is_killed() {
        let stack = super::super::spec::desired(&sting_config::Config::default());
        let grace =
            |name: &str| create_body(&stack, stack.services.iter().find(|s| s.name == name).unwrap()).stop_timeout;
        // Requests in flight, then up to 20 s of background tasks, then the models: not 10 s.
        assert!(grace("stingd").is_some_and(|s| s >= 40), "{:?}", grace("stingd"));
        assert!(grace("db").is_some_and(|s| s >= 30), "PostgreSQL checkpoints before it exits");
        let db = stack.services.iter().find(|s| s.name == "db").unwrap();
        assert_eq!(create_body(&stack, db).stop_signal.as_deref(), Some("SIGINT"), "fast shutdown, not smart");
        let names: Vec<&str> = stack.services.iter().map(|s| s.name).collect();
        let ordered: Vec<&str> =
            super::super::spec::SERVICE_ORDER.iter().copied().filter(|s| names.contains(s)).collect();
        assert_eq!(names, ordered, "SERVICE_ORDER is the order the stack lists its services in");
    }

    #[test]
    fn every_container_is_hardened_and_labelled_for_compose() {
        let stack = super::super::spec::desired(&sting_config::Config::default());
        for service in &stack.services {
            let body = create_body(&stack, service);
            let host = body.host_config.as_ref().unwrap();
            assert_eq!(host.cap_drop.as_deref(), Some(&["ALL".to_string()][..]), "{}", service.name);
            assert_eq!(host.readonly_rootfs, Some(true));
            assert!(host.security_opt.as_ref().unwrap().iter().any(|o| o.starts_with("no-new-privileges")));
            assert!(host.memory.unwrap() > 0);
            assert!(!body.user.as_deref().unwrap().starts_with('0'));
            let labels = body.labels.as_ref().unwrap();
            assert_eq!(labels[PROJECT_LABEL], "sting-ce");
            assert_eq!(labels[SERVICE_LABEL], service.name);
            assert_eq!(labels[SPEC_HASH_LABEL], spec_hash(&stack, service));
        }
    }

    #[test]
    fn gpus_reach_stingd_alone_when_asked_or_found_and_never_without_a_gpu() {
        use super::super::spec::{Host, desired_on};
        let requests = |gpus: sting_config::GpuAccess, host: Host| {
            let mut config = sting_config::Config::default();
            config.services.stingd.gpus = gpus;
            let stack = desired_on(&config, host);
            stack
                .services
                .iter()
                .map(|s| (s.name, create_body(&stack, s).host_config.unwrap().device_requests))
                .collect::<Vec<_>>()
        };
        let with_gpu = Host { nvidia_gpu: true };
        for (name, devices) in requests(sting_config::GpuAccess::Auto, with_gpu) {
            match name {
                "stingd" => {
                    let device = &devices.expect("stingd gets the GPUs")[0];
                    assert_eq!(device.driver.as_deref(), Some("nvidia"));
                    assert_eq!(device.count, Some(-1), "every GPU");
                    assert_eq!(device.capabilities, Some(vec![vec!["gpu".to_string()]]));
                }
                other => assert_eq!(devices, None, "{other} got a GPU"),
            }
        }
        // Degrades to the CPU: nothing asked of an engine that may have no nvidia runtime.
        assert!(requests(sting_config::GpuAccess::Auto, Host::default()).iter().all(|(_, d)| d.is_none()));
        assert!(requests(sting_config::GpuAccess::None, with_gpu).iter().all(|(_, d)| d.is_none()));
        assert!(requests(sting_config::GpuAccess::All, Host::default()).iter().any(|(_, d)| d.is_some()));
    }
}
