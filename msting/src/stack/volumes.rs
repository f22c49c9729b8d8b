//! Copying a volume's content into another, owners and modes kept, through the engine's
//! archive API: a tar stream from one never-started helper container to another, so nothing
//! passes through the host's disk and no container runs as root. A restore keeps the stack's
//! data this way before it replaces it, and copies it back if the restore fails.

use bollard::Docker;
use bollard::models::{ContainerCreateBody, HostConfig, Mount, MountType};
use bollard::query_parameters::{DownloadFromContainerOptionsBuilder, UploadToContainerOptionsBuilder};
use futures_util::StreamExt;

use super::engine;

/// Where the helpers mount a volume: a path no image has, so Docker copies nothing into it.
const MOUNT_POINT: &str = "/sting-volume-copy";

/// A created (never started) container with `volume` mounted, to read or write it.
async fn helper(
    docker: &Docker,
    project: &str,
    image: &str,
    volume: &str,
    role: &str,
) -> Result<String, bollard::errors::Error> {
    let name = format!("{volume}-{role}");
    let _ = engine::remove_container(docker, &name).await;
    let body = ContainerCreateBody {
        image: Some(image.to_string()),
        cmd: Some(vec!["true".into()]),
        entrypoint: Some(vec![]),
        network_disabled: Some(true),
        host_config: Some(HostConfig {
            mounts: Some(vec![Mount {
                target: Some(MOUNT_POINT.into()),
                source: Some(volume.into()),
                typ: Some(MountType::VOLUME),
                ..Default::default()
            }]),
            network_mode: Some("none".into()),
            cap_drop: Some(vec!["ALL".into()]),
            ..Default::default()
        }),
        ..Default::default()
    };
    engine::create_container(docker, project, &name, body).await?;
    Ok(name)
}

pub async fn exists(docker: &Docker, volume: &str) -> Result<bool, bollard::errors::Error> {
    match docker.inspect_volume(volume).await {
        Ok(_) => Ok(true),
        Err(bollard::errors::Error::DockerResponseServerError { status_code: 404, .. }) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Copies everything in `from` into `to` (which should be empty), with owners and modes.
/// `image` is any image present (the helpers never run).
pub async fn copy(docker: &Docker, project: &str, image: &str, from: &str, to: &str) -> anyhow::Result<()> {
    let source = helper(docker, project, image, from, "copy-from").await?;
    let target = match helper(docker, project, image, to, "copy-to").await {
        Ok(target) => target,
        Err(e) => {
            let _ = engine::remove_container(docker, &source).await;
            return Err(e.into());
        }
    };
    let copied = stream(docker, &source, &target).await;
    let _ = engine::remove_container(docker, &source).await;
    let _ = engine::remove_container(docker, &target).await;
    copied.map_err(|e| anyhow::anyhow!("copying volume {from} into {to} failed: {e}"))
}

async fn stream(docker: &Docker, source: &str, target: &str) -> anyhow::Result<()> {
    // The tar holds `sting-volume-copy/...`; unpacked at `/`, it lands in the target's mount.
    let (sender, receiver) = tokio::sync::mpsc::channel::<Result<bytes::Bytes, std::io::Error>>(8);
    let reader = {
        let docker = docker.clone();
        let source = source.to_string();
        tokio::spawn(async move {
            let options = DownloadFromContainerOptionsBuilder::default().path(MOUNT_POINT).build();
            let mut download = docker.download_from_container(&source, Some(options));
            while let Some(chunk) = download.next().await {
                let item = chunk.map_err(std::io::Error::other);
                let failed = item.is_err();
                if sender.send(item).await.is_err() || failed {
                    break;
                }
            }
        })
    };
    let body = futures_util::stream::unfold(receiver, |mut receiver| async move {
        receiver.recv().await.map(|item| (item, receiver))
    });
    // Owners come from the tar's headers (no `copyUIDGID`, which would make them the helper's).
    let options = UploadToContainerOptionsBuilder::default().path("/").build();
    let uploaded = docker.upload_to_container(target, Some(options), bollard::body_try_stream(body)).await;
    reader.await?;
    uploaded?;
    Ok(())
}
