//! Docker resources for one test: every container and network a test makes carries the label
//! `sting.test.project=<name>` and a name starting with it, and is removed when the project
//! drops, so tests never touch another stack on the same engine.

use std::collections::HashMap;
use std::time::{SystemTime, UNIX_EPOCH};

use bollard::Docker;
use bollard::query_parameters::{
    ListContainersOptionsBuilder, ListNetworksOptionsBuilder, RemoveContainerOptionsBuilder,
};

pub const PROJECT_LABEL: &str = "sting.test.project";

pub struct TestProject {
    pub docker: Docker,
    pub name: String,
}

/// Connects to the local engine and agrees on an API version (Debian's engine speaks 1.41).
pub async fn connect() -> Docker {
    let how = "start it with tests/env/setup.sh (it installs docker.io and starts dockerd)";
    let docker = Docker::connect_with_local_defaults().unwrap_or_else(|e| panic!("no Docker engine: {e}; {how}"));
    let docker =
        docker.negotiate_version().await.unwrap_or_else(|e| panic!("the Docker engine does not answer: {e}; {how}"));
    docker.ping().await.unwrap_or_else(|e| panic!("the Docker engine does not answer: {e}; {how}"));
    docker
}

impl TestProject {
    pub async fn new(test: &str) -> Self {
        let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or_default();
        let name = format!("stingtest-{test}-{}-{:05x}", std::process::id(), nanos & 0xfffff).to_lowercase();
        Self { docker: connect().await, name }
    }

    /// A resource name inside this project.
    pub fn resource(&self, suffix: &str) -> String {
        format!("{}-{suffix}", self.name)
    }

    pub fn labels(&self) -> HashMap<String, String> {
        HashMap::from([(PROJECT_LABEL.to_string(), self.name.clone())])
    }

    /// Removes every container and network of this project.
    pub async fn cleanup(&self) {
        cleanup(&self.docker, &self.name).await
    }
}

async fn cleanup(docker: &Docker, project: &str) {
    let filters = HashMap::from([("label".to_string(), vec![format!("{PROJECT_LABEL}={project}")])]);
    {
        let containers = docker
            .list_containers(Some(ListContainersOptionsBuilder::default().all(true).filters(&filters).build()))
            .await
            .unwrap_or_default();
        for c in containers {
            if let Some(id) = c.id {
                let opts = RemoveContainerOptionsBuilder::default().force(true).v(true).build();
                let _ = docker.remove_container(&id, Some(opts)).await;
            }
        }
        let networks = docker
            .list_networks(Some(ListNetworksOptionsBuilder::default().filters(&filters).build()))
            .await
            .unwrap_or_default();
        for n in networks {
            if let Some(id) = n.id {
                let _ = docker.remove_network(&id).await;
            }
        }
    }
}

impl Drop for TestProject {
    /// Cleans up even when the test panicked: on a thread of its own with a fresh connection,
    /// since Drop cannot await and the test's runtime may be gone.
    fn drop(&mut self) {
        let name = self.name.clone();
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
            runtime.block_on(async move {
                let Ok(docker) = Docker::connect_with_local_defaults() else { return };
                let Ok(docker) = docker.negotiate_version().await else { return };
                cleanup(&docker, &name).await;
            });
        })
        .join();
    }
}
