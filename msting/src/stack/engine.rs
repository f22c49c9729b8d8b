//! The one place msting calls the engine's create and remove: containers (the services and the
//! never-started helpers that copy volumes), networks, volumes, execs, images pulled or made
//! from a root file system, and removing images. Every container, network and volume made here
//! carries the Compose project label, so that it is found by it (`resources::owned`) and
//! removed with the stack. (Building, tagging and loading images, which make no labelled
//! object, are `images.rs`'s.)

use std::collections::HashMap;

use bollard::Docker;
use bollard::errors::Error;
use bollard::models::{ContainerCreateBody, NetworkCreateRequest, VolumeCreateRequest};
use bollard::query_parameters::{
    CreateContainerOptionsBuilder, CreateImageOptions, RemoveContainerOptionsBuilder, RemoveImageOptions,
    RemoveVolumeOptionsBuilder, StopContainerOptions,
};
use futures_util::StreamExt;

/// Whose an object is: the Compose project (`system.project_name`).
pub const PROJECT_LABEL: &str = "com.docker.compose.project";
/// A network's name within the project.
pub const NETWORK_LABEL: &str = "com.docker.compose.network";
/// A volume's name within the project.
pub const VOLUME_LABEL: &str = "com.docker.compose.volume";

fn labelled(labels: &mut Option<HashMap<String, String>>, project: &str, extra: &[(&str, &str)]) {
    let labels = labels.get_or_insert_with(HashMap::new);
    labels.insert(PROJECT_LABEL.to_string(), project.to_string());
    for (key, value) in extra {
        labels.insert(key.to_string(), value.to_string());
    }
}

fn is_missing(error: &Error) -> bool {
    matches!(error, Error::DockerResponseServerError { status_code: 404, .. })
}

/// Creates (does not start) container `name`, labelled as `project`'s.
pub async fn create_container(
    docker: &Docker,
    project: &str,
    name: &str,
    mut body: ContainerCreateBody,
) -> Result<(), Error> {
    labelled(&mut body.labels, project, &[]);
    docker.create_container(Some(CreateContainerOptionsBuilder::default().name(name).build()), body).await?;
    Ok(())
}

/// Removes container `name` at once (running or not); its volumes stay.
pub async fn remove_container(docker: &Docker, name: &str) -> Result<(), Error> {
    docker.remove_container(name, Some(RemoveContainerOptionsBuilder::default().force(true).v(false).build())).await
}

/// Stops container `name` (with the grace its spec gave it), then removes it.
pub async fn stop_and_remove_container(docker: &Docker, name: &str) -> Result<(), Error> {
    let _ = docker.stop_container(name, None::<StopContainerOptions>).await;
    remove_container(docker, name).await
}

/// Creates network `request.name` as `project`'s network `logical`.
pub async fn create_network(
    docker: &Docker,
    project: &str,
    logical: &str,
    mut request: NetworkCreateRequest,
) -> Result<(), Error> {
    labelled(&mut request.labels, project, &[(NETWORK_LABEL, logical)]);
    docker.create_network(request).await?;
    Ok(())
}

pub async fn remove_network(docker: &Docker, name: &str) -> Result<(), Error> {
    docker.remove_network(name).await
}

/// Creates (empty) volume `name` as `project`'s volume `logical`.
pub async fn create_volume(docker: &Docker, project: &str, name: &str, logical: &str) -> Result<(), Error> {
    let mut labels = None;
    labelled(&mut labels, project, &[(VOLUME_LABEL, logical)]);
    docker.create_volume(VolumeCreateRequest { name: Some(name.to_string()), labels, ..Default::default() }).await?;
    Ok(())
}

/// Removes volume `name` if it exists and no container uses it (the engine refuses then).
pub async fn remove_volume(docker: &Docker, name: &str) -> Result<(), Error> {
    match docker.remove_volume(name, Some(RemoveVolumeOptionsBuilder::default().force(false).build())).await {
        Err(e) if is_missing(&e) => Ok(()),
        other => other,
    }
}

/// An exec of `command` in `container` (as the container's user), stdout and stderr attached.
pub async fn create_exec(
    docker: &Docker,
    container: &str,
    command: &[&str],
    stdin: bool,
) -> Result<bollard::exec::CreateExecResults, Error> {
    let options = bollard::exec::CreateExecOptions {
        cmd: Some(command.iter().map(|c| c.to_string()).collect()),
        attach_stdin: Some(stdin),
        attach_stdout: Some(true),
        attach_stderr: Some(true),
        tty: Some(false),
        ..Default::default()
    };
    docker.create_exec(container, options).await
}

/// Makes an image by pulling it, or from a tar stream (`body`), following the engine's
/// progress to the end; an error the engine reports in the stream is an error here.
pub async fn create_image(
    docker: &Docker,
    options: CreateImageOptions,
    tar: Option<futures_util::stream::BoxStream<'static, Result<bytes::Bytes, std::io::Error>>>,
) -> anyhow::Result<()> {
    let mut progress = docker.create_image(Some(options), tar.map(bollard::body_try_stream), None);
    while let Some(item) = progress.next().await {
        let info = item.map_err(|e| anyhow::anyhow!("{e}"))?;
        if let Some(error) = info.error_detail.and_then(|d| d.message) {
            anyhow::bail!("{error}");
        }
    }
    Ok(())
}

/// Removes image `id` (the engine refuses while a name or a container still uses it).
pub async fn remove_image(docker: &Docker, id: &str) -> Result<(), Error> {
    docker.remove_image(id, None::<RemoveImageOptions>, None).await.map(|_| ())
}
