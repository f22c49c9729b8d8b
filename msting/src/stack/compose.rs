//! The reference compose file (`compose/docker-compose.yml`), rendered from the same spec msting
//! installs, for people who want to read or adapt the stack. It declares the containers as msting
//! makes them but cannot do msting's bootstrap, and its header says so.

use serde_json::{Value, json};

use super::spec::{Hardening, Stack};

pub const HEADER: &str = "\
# STING-CE reference compose file, rendered by msting from the spec it installs
# (`msting stack compose` prints it; a test keeps this copy current).
#
# Read it to see the stack; it is not an installer. It cannot initialise or unseal Vault, create
# the AppRoles and secrets stingd logs in with, issue certificates, or build the images: run
# `sudo msting install` for that. Paths are those of an install in /opt/sting-ce.
";

/// A service's networks: a list, or a map where it has aliases on `sting_local`.
fn networks_of(service: &super::spec::Service) -> Value {
    if service.aliases.is_empty() {
        return json!(service.networks);
    }
    let map: serde_json::Map<String, Value> = service
        .networks
        .iter()
        .map(|n| {
            let entry =
                if *n == super::spec::LOCAL_NETWORK { json!({ "aliases": service.aliases }) } else { json!({}) };
            (n.to_string(), entry)
        })
        .collect();
    Value::Object(map)
}

/// The compose file for `stack` (Compose Specification, no `version` key; valid for
/// docker-compose 1.27 and later).
pub fn render(stack: &Stack) -> String {
    let mut services = serde_json::Map::new();
    for service in &stack.services {
        let mut entry = json!({
            "image": service.image,
            "user": service.user,
            "command": service.command,
            "networks": networks_of(service),
            "read_only": true,
            "tmpfs": service.tmpfs,
            "mem_limit": service.memory,
            "cap_drop": Hardening::CAP_DROP,
            "security_opt": Hardening::SECURITY_OPT,
            "restart": Hardening::RESTART,
            "logging": {
                "driver": Hardening::LOG_DRIVER,
                "options": { "max-size": Hardening::LOG_MAX_SIZE, "max-file": Hardening::LOG_MAX_FILE },
            },
            "healthcheck": {
                "test": service.health.test,
                "interval": format!("{}s", service.health.interval_s),
                "timeout": format!("{}s", service.health.timeout_s),
                "retries": service.health.retries,
                "start_period": format!("{}s", service.health.start_period_s),
            },
            "stop_grace_period": format!("{}s", service.stop_grace_s),
            "labels": { super::containers::SPEC_HASH_LABEL: super::containers::spec_hash(stack, service) },
        });
        if let Some(signal) = service.stop_signal {
            entry["stop_signal"] = json!(signal);
        }
        if !service.environment.is_empty() {
            entry["environment"] = json!(service.environment);
        }
        if !service.ports.is_empty() {
            entry["ports"] = json!(
                service
                    .ports
                    .iter()
                    .map(|p| format!("{}:{}:{}", p.host_ip, p.host_port, p.container_port))
                    .collect::<Vec<_>>()
            );
        }
        if !service.mounts.is_empty() {
            entry["volumes"] = json!(
                service
                    .mounts
                    .iter()
                    .map(|m| json!({
                        "type": if m.volume { "volume" } else { "bind" },
                        "source": m.source,
                        "target": m.target,
                        "read_only": m.read_only,
                    }))
                    .collect::<Vec<_>>()
            );
        }
        if !service.depends_on.is_empty() {
            entry["depends_on"] = json!(service.depends_on);
        }
        if let Some(profile) = service.profile {
            entry["profiles"] = json!([profile]);
        }
        if service.gpus {
            entry["deploy"] = json!({ "resources": { "reservations": { "devices": [
                { "driver": "nvidia", "count": "all", "capabilities": ["gpu"] }
            ] } } });
        }
        services.insert(service.name.to_string(), entry);
    }
    let networks: serde_json::Map<String, Value> = stack
        .networks
        .iter()
        .map(|n| {
            let mut entry = json!({ "internal": n.internal });
            if !n.masquerade && !n.internal {
                entry["driver_opts"] = json!({ super::resources::MASQUERADE_OPTION: "false" });
            }
            (n.name.to_string(), entry)
        })
        .collect();
    let volumes: serde_json::Map<String, Value> = stack.volumes.iter().map(|v| (v.to_string(), json!({}))).collect();
    let document = json!({
        "x-sting-project": stack.project,
        "services": services,
        "networks": networks,
        "volumes": volumes,
    });
    let yaml = serde_yaml_ng::to_string(&document).expect("a compose document serialises");
    format!("{HEADER}{yaml}")
}
