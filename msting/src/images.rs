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
    let chunks = byte_stream(reader);
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

/// How a service's image came to be what it is now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// Its recipe (or the registry's image) did not change.
    Current,
    Built,
    Pulled,
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Current => "current",
            Self::Built => "built",
            Self::Pulled => "pulled",
        })
    }
}

/// What [`build`] did for one service.
#[derive(Debug, Serialize)]
pub struct Built {
    pub service: &'static str,
    pub image: String,
    pub outcome: Outcome,
    pub recipe_hash: Option<String>,
}

/// The id of the base image, or what to do when the engine does not have it.
pub async fn base_id(docker: &Docker, base: &str) -> anyhow::Result<String> {
    match docker.inspect_image(base).await {
        Ok(image) => Ok(image.id.unwrap_or_default()),
        Err(bollard::errors::Error::DockerResponseServerError { status_code: 404, .. }) => anyhow::bail!(
            "the base image {base} is not on this engine: make it with `msting images base` (debootstrap), \
             load it, or name another in images.base"
        ),
        Err(e) => Err(e.into()),
    }
}

/// Builds the images of `services` (all with a recipe when empty) whose recipe changed, keeping
/// the image it replaces as `<tag>-previous`. `log` receives the builder's output.
pub async fn build(
    docker: &Docker,
    stack: &Stack,
    base: &str,
    inputs: &crate::recipes::Inputs,
    services: &[String],
    log: &mut (dyn FnMut(&str) + Send),
) -> anyhow::Result<Vec<Built>> {
    let base_id = base_id(docker, base).await?;
    let mut out = Vec::new();
    for service in &stack.services {
        if !services.is_empty() && !services.iter().any(|s| s == service.name) {
            continue;
        }
        let recipe = match crate::recipes::recipe(service.name, inputs) {
            Ok(recipe) => recipe,
            Err(crate::recipes::RecipeError::NoRecipe(_)) if services.is_empty() => continue,
            Err(e) => return Err(e.into()),
        };
        let hash = recipe.hash(&base_id)?;
        let existing = docker.inspect_image(&service.image).await.ok();
        let existing_hash = existing
            .as_ref()
            .and_then(|i| i.config.as_ref()?.labels.as_ref()?.get(crate::recipes::RECIPE_LABEL).cloned());
        if existing_hash.as_deref() == Some(hash.as_str()) {
            out.push(Built {
                service: service.name,
                image: service.image.clone(),
                outcome: Outcome::Current,
                recipe_hash: Some(hash),
            });
            continue;
        }
        build_one(docker, &service.image, base, &recipe, &hash, log).await?;
        if let Some(previous) = existing.and_then(|i| i.id) {
            keep_previous(docker, &service.image, &previous).await?;
        }
        out.push(Built {
            service: service.name,
            image: service.image.clone(),
            outcome: Outcome::Built,
            recipe_hash: Some(hash),
        });
    }
    Ok(out)
}

/// `<repo>:<tag>-previous` for an image name `<repo>:<tag>`.
pub fn previous_name(image: &str) -> String {
    let (repo, tag) = split_name(image);
    format!("{repo}:{tag}-previous")
}

fn split_name(image: &str) -> (&str, &str) {
    match image.rsplit_once(':') {
        Some((repo, tag)) if !tag.contains('/') => (repo, tag),
        _ => (image, "latest"),
    }
}

/// Tags `id` as the previous image of `image`, unless `image` still is `id`.
pub async fn keep_previous(docker: &Docker, image: &str, id: &str) -> anyhow::Result<()> {
    let current = docker.inspect_image(image).await.ok().and_then(|i| i.id);
    if current.as_deref() == Some(id) {
        return Ok(());
    }
    let (repo, tag) = split_name(image);
    retag(docker, id, repo, &format!("{tag}-previous")).await?;
    Ok(())
}

/// Tags `id` as `repo:tag`; the image that name pointed at before is removed when it has no
/// name left and no container uses it (the engine refuses then, which is fine), so rebuilds
/// and roll-backs do not fill the disk.
pub async fn retag(docker: &Docker, id: &str, repo: &str, tag: &str) -> anyhow::Result<()> {
    let older = docker.inspect_image(&format!("{repo}:{tag}")).await.ok().and_then(|i| i.id);
    let options = bollard::query_parameters::TagImageOptionsBuilder::default().repo(repo).tag(tag).build();
    docker.tag_image(id, Some(options)).await?;
    if let Some(older) = older.filter(|o| o != id) {
        let untagged =
            docker.inspect_image(&older).await.ok().is_some_and(|i| i.repo_tags.is_none_or(|t| t.is_empty()));
        if untagged {
            let _ = crate::stack::engine::remove_image(docker, &older).await;
        }
    }
    Ok(())
}

async fn build_one(
    docker: &Docker,
    image: &str,
    base: &str,
    recipe: &crate::recipes::Recipe,
    hash: &str,
    log: &mut (dyn FnMut(&str) + Send),
) -> anyhow::Result<()> {
    let context = recipe.context()?;
    let labels = std::collections::HashMap::from([
        (crate::recipes::RECIPE_LABEL.to_string(), hash.to_string()),
        (crate::recipes::SERVICE_LABEL.to_string(), recipe.service.to_string()),
    ]);
    let args = std::collections::HashMap::from([("BASE".to_string(), base.to_string())]);
    let options = bollard::query_parameters::BuildImageOptionsBuilder::default()
        .t(image)
        .rm(true)
        .forcerm(true)
        .pull("")
        .labels(&labels)
        .buildargs(&args)
        .build();
    let mut stream = docker.build_image(options, None, Some(bollard::body_full(context.into())));
    let mut tail: Vec<String> = Vec::new();
    while let Some(item) = stream.next().await {
        let info = item.map_err(|e| anyhow::anyhow!("building {image} failed: {e}"))?;
        if let Some(text) = info.stream {
            for line in text.lines().filter(|l| !l.trim().is_empty()) {
                log(line);
                tail.push(line.to_string());
                if tail.len() > 5 {
                    tail.remove(0);
                }
            }
        }
        if let Some(error) = info.error_detail.and_then(|d| d.message) {
            anyhow::bail!("building {image} failed: {error}\n{}", tail.join("\n"));
        }
    }
    docker.inspect_image(image).await.map_err(|e| anyhow::anyhow!("the build of {image} left no image: {e}"))?;
    Ok(())
}

/// Makes the Debian base image with debootstrap (minbase, bookworm, the security suite, every
/// package upgraded) from this machine's apt mirror, then imports it as `name`.
pub async fn make_base(docker: &Docker, name: &str, log: &mut (dyn FnMut(&str) + Send)) -> anyhow::Result<String> {
    let mirror = apt_mirror("bookworm").ok_or_else(|| {
        anyhow::anyhow!(
            "no apt source for bookworm in /etc/apt: add one, or load a base image and name it in images.base"
        )
    })?;
    let security = apt_mirror("bookworm-security");
    let work = tempfile::Builder::new().prefix("sting-rootfs-").tempdir()?;
    let rootfs = work.path().join("rootfs");
    log(&format!("debootstrap --variant=minbase bookworm from {mirror}"));
    run_logged(
        std::process::Command::new("debootstrap").args(["--variant=minbase", "bookworm"]).arg(&rootfs).arg(&mirror),
        "debootstrap (install it: apt-get install -y debootstrap)",
        log,
    )?;
    let mut sources = format!("deb {mirror} bookworm main\ndeb {mirror} bookworm-updates main\n");
    if let Some(security) = security {
        sources.push_str(&format!("deb {security} bookworm-security main\n"));
    }
    std::fs::write(rootfs.join("etc/apt/sources.list"), sources)?;
    run_logged(
        std::process::Command::new("chroot").arg(&rootfs).args([
            "sh",
            "-c",
            "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get upgrade -y -qq && apt-get clean && rm -rf /var/lib/apt/lists/*",
        ]),
        "chroot (the upgrade inside the new root)",
        log,
    )?;
    let mut tar = std::process::Command::new("tar")
        .arg("-C")
        .arg(&rootfs)
        .args(["-c", "."])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| anyhow::anyhow!("cannot run tar: {e}"))?;
    let stdout = tokio::process::ChildStdout::from_std(tar.stdout.take().expect("piped"))?;
    let chunks = byte_stream(stdout);
    let (repo, tag) = split_name(name);
    let options =
        bollard::query_parameters::CreateImageOptionsBuilder::default().from_src("-").repo(repo).tag(tag).build();
    let imported = crate::stack::engine::create_image(docker, options, Some(Box::pin(chunks)))
        .await
        .map_err(|e| anyhow::anyhow!("importing {name} failed: {e}"));
    let status = tar.wait()?;
    // The engine's refusal first: it is why a tar writing into it dies.
    imported?;
    if !status.success() {
        anyhow::bail!("tar of the new root failed ({status})");
    }
    base_id(docker, name).await
}

/// A reader as a stream of 1 MiB chunks, for the engine's upload bodies.
fn byte_stream(
    reader: impl tokio::io::AsyncRead + Send + Unpin + 'static,
) -> impl futures_util::Stream<Item = Result<bytes::Bytes, std::io::Error>> + Send + 'static {
    futures_util::stream::unfold(reader, |mut reader| async move {
        use tokio::io::AsyncReadExt;
        let mut buf = vec![0u8; 1 << 20];
        match reader.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok(bytes::Bytes::from(buf)), reader))
            }
            Err(e) => Some((Err(e), reader)),
        }
    })
}

fn run_logged(
    command: &mut std::process::Command,
    what: &str,
    log: &mut (dyn FnMut(&str) + Send),
) -> anyhow::Result<()> {
    let output = command.output().map_err(|e| anyhow::anyhow!("cannot run {what}: {e}"))?;
    for line in String::from_utf8_lossy(&output.stdout).lines().chain(String::from_utf8_lossy(&output.stderr).lines()) {
        log(line);
    }
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        anyhow::bail!("{what} failed ({}): {}", output.status, stderr.lines().last().unwrap_or(""));
    }
    Ok(())
}

/// The mirror this machine's apt sources use for `suite` (deb822 and one-line forms).
pub fn apt_mirror(suite: &str) -> Option<String> {
    let mut texts = Vec::new();
    for dir in ["/etc/apt/sources.list.d"] {
        if let Ok(entries) = std::fs::read_dir(dir) {
            let mut paths: Vec<_> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
            paths.sort();
            texts.extend(paths.into_iter().filter_map(|p| std::fs::read_to_string(&p).ok().map(|t| (p, t))));
        }
    }
    if let Ok(text) = std::fs::read_to_string("/etc/apt/sources.list") {
        texts.push(("/etc/apt/sources.list".into(), text));
    }
    for (path, text) in &texts {
        if path.extension().is_some_and(|e| e == "sources") {
            for stanza in text.split("\n\n") {
                let field =
                    |name: &str| stanza.lines().find_map(|l| l.strip_prefix(name).map(|v| v.trim().to_string()));
                let (Some(uris), Some(suites)) = (field("URIs:"), field("Suites:")) else { continue };
                if suites.split_whitespace().any(|s| s == suite) {
                    return uris.split_whitespace().next().map(str::to_string);
                }
            }
        } else {
            for line in text.lines() {
                let words: Vec<&str> = line.split_whitespace().collect();
                if words.first() != Some(&"deb") {
                    continue;
                }
                if let Some(i) = words.iter().position(|w| w.contains("://")) {
                    if words.get(i + 1) == Some(&suite) {
                        return Some(words[i].to_string());
                    }
                }
            }
        }
    }
    None
}

/// Pulls `image` from its registry (the engine's own credentials and mirrors apply).
pub async fn pull(docker: &Docker, image: &str) -> anyhow::Result<()> {
    let (repo, tag) = split_name(image);
    let options = bollard::query_parameters::CreateImageOptionsBuilder::default().from_image(repo).tag(tag).build();
    crate::stack::engine::create_image(docker, options, None).await
}

/// How one service's image came to be on the engine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Obtained {
    pub service: &'static str,
    pub image: String,
    pub how: Outcome,
}

/// Pulls `image`; the image it replaces (if it changed) is kept as `<tag>-previous`, to roll
/// back to, as a build keeps it.
pub async fn pull_keeping_previous(docker: &Docker, image: &str) -> anyhow::Result<Outcome> {
    let before = docker.inspect_image(image).await.ok().and_then(|i| i.id);
    pull(docker, image).await?;
    let after = docker.inspect_image(image).await.ok().and_then(|i| i.id);
    Ok(match (&before, &after) {
        (Some(old), after) if after.as_ref() != Some(old) => {
            keep_previous(docker, image, old)
                .await
                .map_err(|e| e.context(format!("{image} was pulled, but the image it replaced could not be kept")))?;
            Outcome::Pulled
        }
        (None, _) => Outcome::Pulled,
        _ => Outcome::Current,
    })
}

/// Every image of the stack on the engine, in DESIGN.md's order: the local image if present;
/// else (unless `images.pull` is `never`) the image pulled from its registry; else a build from
/// its recipe. With `always` a present image is pulled again and kept when that fails. `log`
/// receives why a pull failed and the builder's output. Nothing is built for a service that
/// has no recipe: the error says how to get its image.
pub async fn obtain(
    docker: &Docker,
    stack: &Stack,
    policy: sting_config::PullPolicy,
    base: &str,
    inputs: &crate::recipes::Inputs,
    log: &mut (dyn FnMut(&str) + Send),
) -> anyhow::Result<Vec<Obtained>> {
    use sting_config::PullPolicy;
    let mut obtained = Vec::new();
    let mut to_build = Vec::new();
    let mut unobtainable = Vec::new();
    for state in list(docker, stack).await {
        if state.present && policy != PullPolicy::Always {
            continue;
        }
        let pull_failure = match policy {
            PullPolicy::Never => None,
            _ => match pull(docker, &state.image).await {
                Ok(()) => {
                    obtained.push(Obtained { service: state.service, image: state.image, how: Outcome::Pulled });
                    continue;
                }
                Err(e) => {
                    log(&format!("cannot pull {}: {e:#}", state.image));
                    Some(format!("{e:#}"))
                }
            },
        };
        if state.present {
            log(&format!("keeping the local {}", state.image));
            continue;
        }
        match crate::recipes::recipe(state.service, inputs) {
            Err(crate::recipes::RecipeError::NoRecipe(_)) => {
                let why = match pull_failure {
                    Some(failure) => format!("pulling it failed: {failure}"),
                    None => "images.pull is never: set it to if-missing to pull it".into(),
                };
                unobtainable.push(format!("{} ({why})", state.image));
            }
            // A recipe that lacks an input fails in the build, with what to give it.
            _ => to_build.push(state.service.to_string()),
        }
    }
    if !unobtainable.is_empty() {
        anyhow::bail!(
            "no recipe builds {}: pull it on a connected machine and bring it here with `msting images save FILE` and `msting images load FILE`, or disable the service",
            unobtainable.join(", ")
        );
    }
    if !to_build.is_empty() {
        log(&format!("building {}", to_build.join(", ")));
        for built in build(docker, stack, base, inputs, &to_build, log).await? {
            obtained.push(Obtained { service: built.service, image: built.image, how: built.outcome });
        }
    }
    Ok(obtained)
}

/// For an update: a newer image of each of `services` (all when empty), pulled when
/// `images.pull` allows and the registry answers, else built when its recipe changed. A pulled
/// image that replaces another keeps it as `<tag>-previous`, as a build does.
pub async fn refresh(
    docker: &Docker,
    stack: &Stack,
    policy: sting_config::PullPolicy,
    base: &str,
    inputs: &crate::recipes::Inputs,
    services: &[String],
    log: &mut (dyn FnMut(&str) + Send),
) -> anyhow::Result<Vec<Obtained>> {
    let mut obtained = Vec::new();
    let mut to_build = Vec::new();
    for service in &stack.services {
        if !services.is_empty() && !services.iter().any(|s| s == service.name) {
            continue;
        }
        let before = docker.inspect_image(&service.image).await.ok().and_then(|i| i.id);
        if policy != sting_config::PullPolicy::Never {
            match pull_keeping_previous(docker, &service.image).await {
                Ok(how) => {
                    obtained.push(Obtained { service: service.name, image: service.image.clone(), how });
                    continue;
                }
                Err(e) => log(&format!("cannot pull {}: {e:#}", service.image)),
            }
        }
        match crate::recipes::recipe(service.name, inputs) {
            Err(crate::recipes::RecipeError::NoRecipe(_)) if before.is_some() => {
                obtained.push(Obtained { service: service.name, image: service.image.clone(), how: Outcome::Current })
            }
            _ => to_build.push(service.name.to_string()),
        }
    }
    if !to_build.is_empty() {
        for built in build(docker, stack, base, inputs, &to_build, log).await? {
            obtained.push(Obtained { service: built.service, image: built.image, how: built.outcome });
        }
    }
    Ok(obtained)
}
