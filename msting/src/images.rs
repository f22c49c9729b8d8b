//! The stack's images on the engine: which are present, and the offline bundle (`save` writes
//! them to one file, `load` reads it back on a host with no registry). Only the images the stack
//! spec names are touched.

use std::path::Path;

use bollard::Docker;
use futures_util::StreamExt;
use serde::Serialize;

use crate::stack::spec::Stack;

#[derive(Debug, Serialize)]
pub struct ImageState {
    pub service: &'static str,
    pub image: String,
    pub present: bool,
    pub id: Option<String>,
    pub size: Option<i64>,
    pub created: Option<String>,
}

pub async fn list(docker: &Docker, stack: &Stack) -> Vec<ImageState> {
    let mut out = Vec::new();
    for service in &stack.services {
        let found = docker.inspect_image(&service.image).await.ok();
        out.push(ImageState {
            service: service.name,
            image: service.image.clone(),
            present: found.is_some(),
            id: found.as_ref().and_then(|i| i.id.clone()),
            size: found.as_ref().and_then(|i| i.size),
            created: found.as_ref().and_then(|i| i.created.clone()),
        });
    }
    out
}

/// Writes every image of the stack into `file` (a `docker save` tar): all of it, or nothing
/// under that name.
pub async fn save(docker: &Docker, stack: &Stack, file: &Path) -> anyhow::Result<u64> {
    let states = list(docker, stack).await;
    let missing: Vec<&str> = states.iter().filter(|s| !s.present).map(|s| s.image.as_str()).collect();
    if !missing.is_empty() {
        anyhow::bail!("these images are not on this engine: {} (build or load them first)", missing.join(", "));
    }
    let names: Vec<&str> = states.iter().map(|s| s.image.as_str()).collect();
    let dir = file.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let staged =
        dir.join(format!(".{}.partial-{}", file.file_name().unwrap_or_default().to_string_lossy(), std::process::id()));
    let written = async {
        use tokio::io::AsyncWriteExt;
        let mut out = tokio::fs::File::create(&staged).await?;
        let mut stream = docker.export_images(&names);
        let mut bytes = 0u64;
        while let Some(chunk) = stream.next().await {
            let chunk = chunk?;
            bytes += chunk.len() as u64;
            out.write_all(&chunk).await?;
        }
        out.sync_all().await?;
        tokio::fs::rename(&staged, file).await?;
        std::fs::File::open(dir)?.sync_all()?;
        anyhow::Ok(bytes)
    }
    .await;
    if written.is_err() {
        let _ = std::fs::remove_file(&staged);
    }
    written.map_err(|e| e.context(format!("cannot write {}", file.display())))
}

/// Loads images from a `save` file (or any `docker save` tar); returns what the engine reported.
pub async fn load(docker: &Docker, file: &Path) -> anyhow::Result<Vec<String>> {
    let reader =
        tokio::fs::File::open(file).await.map_err(|e| anyhow::anyhow!("cannot open {}: {e}", file.display()))?;
    let chunks = futures_util::stream::unfold(reader, |mut reader| async move {
        use tokio::io::AsyncReadExt;
        let mut buf = vec![0u8; 1 << 20];
        match reader.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok::<_, std::io::Error>(bytes::Bytes::from(buf)), reader))
            }
            Err(e) => Some((Err(e), reader)),
        }
    });
    let options = bollard::query_parameters::ImportImageOptionsBuilder::default().quiet(true).build();
    let mut progress = docker.import_image_stream(options, chunks, None);
    let mut said = Vec::new();
    while let Some(item) = progress.next().await {
        let info = item.map_err(|e| anyhow::anyhow!("the engine refused {}: {e}", file.display()))?;
        if let Some(error) = info.error_detail.and_then(|d| d.message) {
            anyhow::bail!("the engine refused {}: {error}", file.display());
        }
        if let Some(stream) = info.stream {
            said.push(stream.trim().to_string());
        }
    }
    Ok(said)
}
