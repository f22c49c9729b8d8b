//! The stack's networks and volumes on the engine, and finding and removing everything that is
//! the stack's. Ownership is the Compose project label (`com.docker.compose.project`), which
//! msting puts on everything it makes, so Compose tools see the same project; nothing without
//! that label (with this project's name) is ever listed, changed or removed here.

use std::collections::HashMap;

use bollard::Docker;
use bollard::models::NetworkCreateRequest;
use bollard::query_parameters::{ListContainersOptionsBuilder, ListNetworksOptionsBuilder, ListVolumesOptionsBuilder};

use super::engine;
pub use super::engine::PROJECT_LABEL;
use super::spec::Stack;
/// The bridge driver's option that turns masquerading (a way out) off.
pub const MASQUERADE_OPTION: &str = "com.docker.network.bridge.enable_ip_masquerade";

/// An engine resource's name as Compose names it: `<project>_<name>`.
pub fn scoped(project: &str, name: &str) -> String {
    format!("{project}_{name}")
}

fn project_filter(project: &str) -> HashMap<String, Vec<String>> {
    HashMap::from([("label".to_string(), vec![format!("{PROJECT_LABEL}={project}")])])
}

/// What the engine holds of a project.
#[derive(Debug, Default, serde::Serialize, PartialEq, Eq)]
pub struct Owned {
    pub containers: Vec<String>,
    pub networks: Vec<String>,
    pub volumes: Vec<String>,
}

pub async fn owned(docker: &Docker, project: &str) -> Result<Owned, bollard::errors::Error> {
    let filters = project_filter(project);
    let containers = docker
        .list_containers(Some(ListContainersOptionsBuilder::default().all(true).filters(&filters).build()))
        .await?
        .into_iter()
        .filter_map(|c| c.names.and_then(|n| n.first().map(|n| n.trim_start_matches('/').to_string())))
        .collect();
    let networks = docker
        .list_networks(Some(ListNetworksOptionsBuilder::default().filters(&filters).build()))
        .await?
        .into_iter()
        .filter_map(|n| n.name)
        .collect();
    let volumes = docker
        .list_volumes(Some(ListVolumesOptionsBuilder::default().filters(&filters).build()))
        .await?
        .volumes
        .unwrap_or_default()
        .into_iter()
        .map(|v| v.name)
        .collect();
    let mut owned = Owned { containers, networks, volumes };
    owned.containers.sort();
    owned.networks.sort();
    owned.volumes.sort();
    Ok(owned)
}

/// Makes the stack's networks and volumes that do not exist yet; returns what it made.
pub async fn ensure(docker: &Docker, stack: &Stack) -> Result<Vec<String>, bollard::errors::Error> {
    let have = owned(docker, &stack.project).await?;
    let mut made = Vec::new();
    for network in &stack.networks {
        let name = scoped(&stack.project, network.name);
        if have.networks.contains(&name) {
            continue;
        }
        let request = NetworkCreateRequest {
            name: name.clone(),
            driver: Some("bridge".into()),
            internal: Some(network.internal),
            options: (!network.masquerade)
                .then(|| HashMap::from([(MASQUERADE_OPTION.to_string(), "false".to_string())])),
            ..Default::default()
        };
        engine::create_network(docker, &stack.project, network.name, request).await?;
        made.push(name);
    }
    for volume in &stack.volumes {
        let name = scoped(&stack.project, volume);
        if have.volumes.contains(&name) {
            continue;
        }
        engine::create_volume(docker, &stack.project, &name, volume).await?;
        made.push(name);
    }
    Ok(made)
}

/// Removes the project's containers and networks, and with `purge` its volumes (the data).
/// Only what carries the project's label; returns what was removed.
pub async fn remove(docker: &Docker, project: &str, purge: bool) -> Result<Owned, bollard::errors::Error> {
    let have = owned(docker, project).await?;
    for container in &have.containers {
        engine::remove_container(docker, container).await?;
    }
    for network in &have.networks {
        engine::remove_network(docker, network).await?;
    }
    let volumes = if purge {
        for volume in &have.volumes {
            engine::remove_volume(docker, volume).await?;
        }
        have.volumes
    } else {
        Vec::new()
    };
    Ok(Owned { containers: have.containers, networks: have.networks, volumes })
}
