//! The Docker engine, through its API (bollard), never the `docker` CLI: connecting with an
//! agreed API version, and what the engine says of itself (version, CPUs, memory, storage).

use bollard::Docker;

/// The oldest engine API msting speaks (Debian 12's docker.io offers 1.41).
pub const MIN_API: (u16, u16) = (1, 41);

#[derive(Debug, thiserror::Error)]
pub enum DockerError {
    #[error(
        "cannot reach the Docker engine ({0}): is it installed and running? (`systemctl start docker`; install it with `apt-get install docker.io`)"
    )]
    Unreachable(String),
    #[error("the Docker engine speaks API {found}, older than {}.{} which msting needs: upgrade Docker", MIN_API.0, MIN_API.1)]
    TooOld { found: String },
    #[error("the Docker engine failed: {0}")]
    Api(#[from] bollard::errors::Error),
}

/// What the engine says of itself.
#[derive(Clone, Debug, serde::Serialize)]
pub struct EngineInfo {
    pub version: String,
    pub api_version: String,
    pub cpus: u64,
    pub memory: u64,
    pub root_dir: String,
    pub storage_driver: String,
}

/// A connection to the local engine at the highest API version both sides speak.
pub async fn connect() -> Result<Docker, DockerError> {
    let docker = Docker::connect_with_local_defaults().map_err(|e| DockerError::Unreachable(e.to_string()))?;
    let docker = docker.negotiate_version().await.map_err(|e| DockerError::Unreachable(e.to_string()))?;
    docker.ping().await.map_err(|e| DockerError::Unreachable(e.to_string()))?;
    Ok(docker)
}

pub async fn info(docker: &Docker) -> Result<EngineInfo, DockerError> {
    let version = docker.version().await?;
    let info = docker.info().await?;
    let api_version = version.api_version.unwrap_or_default();
    if parse_api(&api_version).is_some_and(|v| v < MIN_API) {
        return Err(DockerError::TooOld { found: api_version });
    }
    Ok(EngineInfo {
        version: version.version.unwrap_or_default(),
        api_version,
        cpus: info.ncpu.unwrap_or(0).max(0) as u64,
        memory: info.mem_total.unwrap_or(0).max(0) as u64,
        root_dir: info.docker_root_dir.unwrap_or_else(|| "/var/lib/docker".into()),
        storage_driver: info.driver.unwrap_or_default(),
    })
}

pub fn parse_api(text: &str) -> Option<(u16, u16)> {
    let (major, minor) = text.split_once('.')?;
    Some((major.parse().ok()?, minor.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_versions_compare_as_numbers() {
        assert!(parse_api("1.41").unwrap() >= MIN_API);
        assert!(parse_api("1.9").unwrap() < MIN_API, "1.9 is older than 1.41");
        assert!(parse_api("1.45").unwrap() > MIN_API);
        assert_eq!(parse_api("garbage"), None);
    }
}
