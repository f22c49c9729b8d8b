//! Bringing a backup back, onto this host or a new one: the whole file is read and checked
//! before anything changes; then the stack stops, a safety copy of its data and files is kept,
//! the databases are made again from the dumps, a fresh Vault takes the backup's raft snapshot,
//! msting logs in to it with a certificate from the restored CA and issues new credentials
//! (those of the backup's time are destroyed), and the stack starts through install's
//! health-gated steps. Any failure puts the safety copy back and starts the stack as it was.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use bollard::Docker;
use sting_config::{Config, UnsealMode};
use sting_vault::bootstrap::{self, SealMode};
use sting_vault::{Vault, seal};
use zeroize::Zeroizing;

use super::archive::{self, Unlock};
use super::manifest::{self, Manifest, Unseal};
use crate::install;
use crate::output::Output;
use crate::progress::Progress;
use crate::stack::containers::container_name;
use crate::stack::spec::{self, Stack};
use crate::stack::{engine, exec, resources, volumes};
use crate::{fsio, vault_access};

/// The backup's config, inside the archive.
const CONFIG_ENTRY: &str = "conf/config.yml";
/// Where the backup's config goes when the install keeps its own (`--keep-config`).
const CONFIG_FROM_BACKUP: &str = "config.yml.from-backup";
/// The safety copy's folder in the install directory, and its volumes' suffix.
const SAFETY_DIR: &str = ".pre-restore";
const SAFETY_SUFFIX: &str = "-pre-restore";

pub struct Options {
    /// Keep this install's config (its project name, ports, domain) rather than the backup's.
    pub keep_config: bool,
    /// Manual unseal mode: the restored Vault's shares from this file (else a prompt).
    pub key_file: Option<PathBuf>,
    pub install: install::Options,
}

/// Where a restore lands: the config file and the overrides it is read with.
pub struct Target {
    pub config_file: PathBuf,
    pub overrides: sting_config::Overrides,
}

/// Opens the backup: called on each reading's own thread (an age identity cannot move
/// between threads).
pub type Key = Arc<dyn Fn() -> anyhow::Result<Unlock> + Send + Sync>;

pub struct Restored {
    pub manifest: Manifest,
    pub outcome: install::Outcome,
}

/// Restores `file` as [`Options`] say. On failure the stack is back as it was, and the error
/// says so (or says where the safety copy is, if putting it back failed too).
pub async fn run(
    docker: &Docker,
    target: &Target,
    file: &Path,
    unlock: Key,
    options: &Options,
    out: &Output,
    progress: &mut Progress,
) -> anyhow::Result<Restored> {
    let mut backup_config = None;
    install::step(progress, "verify", async {
        let (manifest, config_text) = verify(file, unlock.clone()).await?;
        let said = format!("{} entries, made {} on {}", manifest.entries.len(), manifest.created, manifest.host);
        backup_config = Some((manifest, config_text));
        Ok(said)
    })
    .await?;
    let (manifest, config_text) = backup_config.expect("set by the verify step");
    let previous = if target.config_file.exists() {
        Some(crate::config_file::load(&target.config_file, &target.overrides, out)?)
    } else {
        None
    };
    let config = choose_config(target, &manifest, config_text.as_deref(), previous.as_ref(), options.keep_config, out)?;
    check_restorable(&config, previous.as_ref(), &manifest)?;
    let stack = spec::desired(&config);

    let mut build_log = Vec::new();
    let mut changes = Vec::new();
    let images = install::ensure_images(docker, &config, &stack, &options.install, &mut build_log, &mut changes);
    let images = install::step(progress, "images", images).await;
    for line in build_log {
        progress.log(&line);
    }
    images?;

    let mut safety = None;
    let kept = async {
        install::step(progress, "stop", async {
            let stopped = remove_containers(docker, &stack.project).await?;
            Ok(if stopped == 0 { "nothing was running".to_string() } else { format!("{stopped} containers stopped") })
        })
        .await?;
        install::step(progress, "safety copy", async {
            let taken = Safety::take(docker, &config, &stack).await?;
            let said = taken.describe();
            safety = Some(taken);
            Ok(said)
        })
        .await
    }
    .await;
    if let Err(error) = kept {
        // No data has changed yet (a partial safety copy undoes itself): start what ran.
        if let Some(previous) = &previous {
            install::run(docker, previous, &options.install, out, progress)
                .await
                .context("the restore stopped before changing any data, and starting the stack again failed")?;
        }
        return Err(error.context("the restore stopped before changing any data; the stack runs as before"));
    }
    let safety = safety.expect("set by the safety step");

    let restored = restore(docker, &config, &stack, &manifest, file, unlock, &safety, options, out, progress).await;
    match restored {
        Ok(outcome) => {
            safety.discard(docker).await;
            Ok(Restored { manifest, outcome })
        }
        Err(error) => {
            progress.log(&format!("restore failed: {error:#}; putting the safety copy back"));
            match safety.roll_back(docker, previous.as_ref(), options, out, progress).await {
                Ok(()) => Err(error.context(if previous.is_some() {
                    "the restore failed; the stack is back as it was before"
                } else {
                    "the restore failed; nothing of it is left behind"
                })),
                Err(rollback) => Err(error.context(format!(
                    "the restore failed, and putting the safety copy back failed too ({rollback:#}); the copy is kept in {} and the volumes named *{SAFETY_SUFFIX}",
                    safety.dir.display()
                ))),
            }
        }
    }
}

/// Reads the whole backup once (authenticity, every checksum, nothing missing or extra), and
/// keeps its config's text.
async fn verify(file: &Path, unlock: Key) -> anyhow::Result<(Manifest, Option<String>)> {
    let file = file.to_path_buf();
    tokio::task::spawn_blocking(move || {
        let mut config = None;
        let manifest = archive::read_all(&file, &unlock()?, |name, data| {
            if name == CONFIG_ENTRY {
                let mut text = String::new();
                data.read_to_string(&mut text)?;
                config = Some(text);
            }
            Ok(())
        })?;
        Ok((manifest, config))
    })
    .await?
}

/// The config the restored stack runs with: this install's with `--keep-config`, else the
/// backup's (read as if it were at this install's place, so paths follow the install directory).
fn choose_config(
    target: &Target,
    manifest: &Manifest,
    backup_text: Option<&str>,
    previous: Option<&Config>,
    keep_config: bool,
    out: &Output,
) -> anyhow::Result<Config> {
    if keep_config {
        return previous
            .cloned()
            .with_context(|| format!("--keep-config: there is no config at {} to keep", target.config_file.display()));
    }
    let text = backup_text.context("the backup holds no conf/config.yml: restore with --keep-config")?;
    let loaded = match sting_config::load_str(&target.config_file, text, &target.overrides) {
        Ok(loaded) => loaded.config,
        Err(diagnostics) => {
            crate::config_file::report(out, &diagnostics)?;
            anyhow::bail!(
                "the backup's config has problems (above): restore with --keep-config and a config of this host's"
            )
        }
    };
    if let Some(previous) = previous
        && previous.system.project_name != loaded.system.project_name
    {
        anyhow::bail!(
            "the backup is of project `{}` and this install is `{}`: add --keep-config to restore its data into `{}`",
            manifest.project,
            previous.system.project_name,
            previous.system.project_name
        );
    }
    Ok(loaded)
}

/// What must hold before anything is touched: no unfinished restore, a format this msting
/// reads, and a way to unseal the restored Vault and to log in to it.
fn check_restorable(config: &Config, previous: Option<&Config>, manifest: &Manifest) -> anyhow::Result<()> {
    let unfinished = config.paths.install_dir.join(SAFETY_DIR);
    anyhow::ensure!(
        !unfinished.exists(),
        "{} exists: an earlier restore did not finish; look inside, put back what you need, remove it, then run the restore again",
        unfinished.display()
    );
    anyhow::ensure!(
        manifest.format <= manifest::FORMAT,
        "this backup's format ({}) is newer than this msting reads ({}): restore it with msting {} or newer",
        manifest.format,
        manifest::FORMAT,
        manifest.sting_version
    );
    match (manifest.unseal.clone(), config.vault.unseal) {
        (Unseal::ShareHolders, UnsealMode::Auto) => anyhow::bail!(
            "the backup's Vault is unsealed by its share holders: set `vault.unseal: manual` in the config, and have a threshold of its shares ready"
        ),
        (Unseal::KeyIncluded, UnsealMode::Manual) => {
            anyhow::bail!("the backup's Vault unseals itself with its key: set `vault.unseal: auto` in the config")
        }
        (Unseal::KeyLeftOut, _) => {
            let here = previous.map(|p| spec::vault_server_dir(p).join(sting_vault::server::STATIC_KEY_FILE));
            anyhow::ensure!(
                here.as_ref().is_some_and(|k| k.is_file()),
                "this plain backup leaves out Vault's unseal key and this host has none: restore an encrypted backup, or copy secrets/vault-server/{} from the old host into this install first",
                sting_vault::server::STATIC_KEY_FILE
            );
        }
        _ => {}
    }
    if !manifest.entries.iter().any(|e| e.path == "secrets/ca/ca.key") {
        let here = previous.map(|p| crate::tls::local::paths(p).root_key);
        anyhow::ensure!(
            here.as_ref().is_some_and(|k| k.is_file()),
            "this plain backup leaves out the CA's key, which msting needs to log in to the restored Vault, and this host has none: restore an encrypted backup"
        );
    }
    Ok(())
}

/// Stops and removes every container of the project (the data stays in its volumes), the
/// services in reverse dependency order (stingd before the database it holds connections to).
async fn remove_containers(docker: &Docker, project: &str) -> anyhow::Result<usize> {
    let mut names = crate::stack::containers::all_of_project(docker, project).await?;
    let order = |name: &String| {
        spec::SERVICE_ORDER.iter().position(|s| *name == container_name(project, s)).map_or(0, |i| usize::MAX - i)
    };
    names.sort_by_key(order);
    for name in &names {
        crate::stack::engine::stop_and_remove_container(docker, name).await?;
    }
    Ok(names.len())
}

/// The state before the restore: copies of the data volumes, and the install's folders moved
/// aside (conf, certificates, secrets), or a note that they did not exist.
struct Safety {
    dir: PathBuf,
    project: String,
    image: String,
    /// (live volume, its copy, its Compose name); the copy is `None` for a volume that did
    /// not exist (removed on roll-back).
    volumes: Vec<(String, Option<String>, &'static str)>,
    /// (live folder, where it was moved); `None` for a folder that did not exist.
    folders: Vec<(PathBuf, Option<PathBuf>)>,
}

impl Safety {
    async fn take(docker: &Docker, config: &Config, stack: &Stack) -> anyhow::Result<Self> {
        let mut safety = Self {
            dir: config.paths.install_dir.join(SAFETY_DIR),
            project: stack.project.clone(),
            image: install::service(stack, "db")?.image.clone(),
            volumes: Vec::new(),
            folders: Vec::new(),
        };
        match safety.keep(docker, config, stack).await {
            Ok(()) => Ok(safety),
            Err(error) => {
                if safety.undo() {
                    safety.discard(docker).await;
                    Err(error)
                } else {
                    Err(error.context(format!("some folders are still in {}: move them back", safety.dir.display())))
                }
            }
        }
    }

    /// Copies the volumes and moves the folders aside, recording each as it is done.
    async fn keep(&mut self, docker: &Docker, config: &Config, stack: &Stack) -> anyhow::Result<()> {
        let safety = self;
        for volume in &stack.volumes {
            let live = resources::scoped(&stack.project, volume);
            if !volumes::exists(docker, &live).await? {
                safety.volumes.push((live, None, volume));
                continue;
            }
            let copy = format!("{live}{SAFETY_SUFFIX}");
            engine::remove_volume(docker, &copy).await?;
            engine::create_volume(docker, &stack.project, &copy, &format!("{volume}{SAFETY_SUFFIX}")).await?;
            safety.volumes.push((live.clone(), Some(copy.clone()), volume));
            volumes::copy(docker, &safety.project, &safety.image, &live, &copy).await?;
        }
        fsio::private_dir(&safety.dir)?;
        let folders = [
            config.paths.install_dir.join("conf"),
            spec::absolute(config, &config.paths.certs_dir),
            spec::absolute(config, &config.paths.secrets_dir),
        ];
        for (index, live) in folders.into_iter().enumerate() {
            if !live.exists() {
                safety.folders.push((live, None));
                continue;
            }
            let kept = safety.dir.join(format!("{index}-{}", live.file_name().unwrap_or_default().to_string_lossy()));
            std::fs::rename(&live, &kept)
                .with_context(|| format!("cannot move {} aside into {}", live.display(), kept.display()))?;
            safety.folders.push((live, Some(kept)));
        }
        Ok(())
    }

    /// Moves the folders back where they were (the live volumes were never touched); whether
    /// every one went back.
    fn undo(&self) -> bool {
        self.folders.iter().all(|(live, kept)| kept.as_ref().is_none_or(|kept| std::fs::rename(kept, live).is_ok()))
    }

    fn describe(&self) -> String {
        let volumes = self.volumes.iter().filter(|v| v.1.is_some()).count();
        let folders = self.folders.iter().filter(|f| f.1.is_some()).count();
        if volumes + folders == 0 {
            "nothing installed here yet".into()
        } else {
            format!("{volumes} volumes copied, {folders} folders kept in {}", self.dir.display())
        }
    }

    /// Where a folder that was moved aside now is.
    fn kept(&self, live: &Path) -> Option<&Path> {
        self.folders.iter().find(|(l, _)| l == live).and_then(|(_, kept)| kept.as_deref())
    }

    async fn discard(&self, docker: &Docker) {
        for (_, copy, _) in &self.volumes {
            if let Some(copy) = copy {
                let _ = engine::remove_volume(docker, copy).await;
            }
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }

    /// Puts everything back as it was and, if there was a stack, starts it (health-gated).
    async fn roll_back(
        &self,
        docker: &Docker,
        previous: Option<&Config>,
        options: &Options,
        out: &Output,
        progress: &mut Progress,
    ) -> anyhow::Result<()> {
        install::step(progress, "roll back", async {
            remove_containers(docker, &self.project).await?;
            for (live, copy, volume) in &self.volumes {
                engine::remove_volume(docker, live).await?;
                if let Some(copy) = copy {
                    engine::create_volume(docker, &self.project, live, volume).await?;
                    volumes::copy(docker, &self.project, &self.image, copy, live).await?;
                }
            }
            for (live, kept) in &self.folders {
                if live.exists() {
                    std::fs::remove_dir_all(live).with_context(|| format!("cannot remove {}", live.display()))?;
                }
                if let Some(kept) = kept {
                    std::fs::rename(kept, live)
                        .with_context(|| format!("cannot move {} back to {}", kept.display(), live.display()))?;
                }
            }
            Ok("the data and files are as they were".to_string())
        })
        .await?;
        if let Some(previous) = previous {
            install::run(docker, previous, &options.install, out, progress).await?;
        }
        self.discard(docker).await;
        Ok(())
    }
}

/// The destructive part, after the safety copy: data, files, Vault, credentials, start.
#[allow(clippy::too_many_arguments)]
async fn restore(
    docker: &Docker,
    config: &Config,
    stack: &Stack,
    manifest: &Manifest,
    file: &Path,
    unlock: Key,
    safety: &Safety,
    options: &Options,
    out: &Output,
    progress: &mut Progress,
) -> anyhow::Result<install::Outcome> {
    install::step(progress, "volumes", async {
        for volume in &stack.volumes {
            engine::remove_volume(docker, &resources::scoped(&stack.project, volume)).await?;
        }
        let made = resources::ensure(docker, stack).await?;
        Ok(format!("{} made empty", made.len()))
    })
    .await?;
    if options.keep_config {
        // The install's own config was moved aside with its folder: it comes back first.
        let conf = config.paths.install_dir.join("conf");
        let kept = safety.kept(&conf).context("--keep-config: this install's config was not kept")?.join("config.yml");
        write_file(&conf.join("config.yml"), 0o644, &std::fs::read(&kept)?)?;
    }
    install::step(progress, "database server", async {
        install::apply(docker, stack, install::service(stack, "db")?).await?;
        install::ready(docker, config, stack, "db", install::DB_PATIENCE).await?;
        Ok("ready".to_string())
    })
    .await?;

    let mut vault_data = None;
    install::step(progress, "data", async {
        let extracted = extract(docker, config, stack, file, unlock, options.keep_config).await?;
        let said = format!("{} databases, {} files", extracted.databases, extracted.files);
        vault_data = Some(extracted);
        Ok(said)
    })
    .await?;
    let extracted = vault_data.expect("set by the data step");
    carry_over_keys(config, manifest, &extracted, safety)?;
    install::step(progress, "files and certificates", install::prepare_files(config, &mut Vec::new())).await?;

    install::step(progress, "vault", async {
        let snapshot = extracted.snapshot.as_ref().context("the backup holds no Vault snapshot")?;
        restore_vault(docker, config, stack, snapshot, options.key_file.as_deref(), out).await?;
        Ok("snapshot restored, new credentials issued".to_string())
    })
    .await?;
    install::step(progress, "database login", set_database_password(docker, config, stack)).await?;
    install::run(docker, config, &options.install, out, progress).await
}

/// What the archive's second reading left for later steps.
#[derive(Default)]
struct Extracted {
    databases: usize,
    files: usize,
    snapshot: Option<Zeroizing<Vec<u8>>>,
    unseal_key: Option<Zeroizing<Vec<u8>>>,
}

/// The reading thread's error when the restore stopped listening.
const STOPPED: &str = "the restore stopped reading";

/// What the reading thread sends: an entry begins, its bytes, its end.
enum Piece {
    Start(String),
    Bytes(bytes::Bytes),
    End,
}

/// Reads the archive again (a thread decrypts and checks it) and puts each entry in its place
/// as it streams past: the roles, each database through `pg_restore --create` in the db
/// container, the files; Vault's snapshot and key are kept in memory for the next step.
async fn extract(
    docker: &Docker,
    config: &Config,
    stack: &Stack,
    file: &Path,
    unlock: Key,
    keep_config: bool,
) -> anyhow::Result<Extracted> {
    let (sender, mut pieces) = tokio::sync::mpsc::channel::<Piece>(16);
    let path = file.to_path_buf();
    let reader = tokio::task::spawn_blocking(move || -> anyhow::Result<Manifest> {
        Ok(archive::read_all(&path, &unlock()?, |name, data| {
            let gone = |_| std::io::Error::other(STOPPED);
            sender.blocking_send(Piece::Start(name.to_string())).map_err(gone)?;
            let mut buffer = vec![0u8; 1 << 20];
            loop {
                let n = data.read(&mut buffer)?;
                if n == 0 {
                    break;
                }
                sender.blocking_send(Piece::Bytes(bytes::Bytes::copy_from_slice(&buffer[..n]))).map_err(gone)?;
            }
            sender.blocking_send(Piece::End).map_err(gone)
        })?)
    });
    let db = container_name(&stack.project, "db");
    let mut extracted = Extracted::default();
    let placed = async {
        while let Some(piece) = pieces.recv().await {
            let Piece::Start(name) = piece else { anyhow::bail!("the archive reader lost its place") };
            if let Some(database) = name.strip_prefix("db/").and_then(|n| n.strip_suffix(".dump")) {
                restore_database(docker, &db, database, &mut pieces).await?;
                extracted.databases += 1;
                continue;
            }
            let bytes = collect(&mut pieces).await?;
            match name.as_str() {
                "db/globals.sql" => restore_roles(docker, &db, &bytes).await?,
                "vault/raft.snap" => extracted.snapshot = Some(bytes),
                "vault/unseal.key" => extracted.unseal_key = Some(bytes),
                other => {
                    if let Some((target, mode)) = place_of(config, other, keep_config) {
                        write_file(&target, mode, &bytes)?;
                        extracted.files += 1;
                    }
                }
            }
        }
        Ok(())
    }
    .await;
    // An error above closes the channel, which stops the reader: then the reader's error is
    // only the echo of it. A reader that fails on its own ends the entries early instead.
    drop(pieces);
    let read = reader.await?;
    match (read, placed) {
        (Err(stopped), Err(cause)) if format!("{stopped:#}").contains(STOPPED) => Err(cause),
        (Err(damaged), _) => Err(damaged.context("reading the backup again failed")),
        (Ok(_), Err(cause)) => Err(cause),
        (Ok(_), Ok(())) => Ok(extracted),
    }
}

/// The rest of the current entry, whole (small entries: roles, files, Vault's snapshot).
async fn collect(pieces: &mut tokio::sync::mpsc::Receiver<Piece>) -> anyhow::Result<Zeroizing<Vec<u8>>> {
    let mut bytes = Zeroizing::new(Vec::new());
    loop {
        match pieces.recv().await {
            Some(Piece::Bytes(chunk)) => bytes.extend_from_slice(&chunk),
            Some(Piece::End) => return Ok(bytes),
            _ => anyhow::bail!("the archive ended inside an entry"),
        }
    }
}

/// The roles (without passwords): PostgreSQL's own role exists already, which is the one
/// error allowed.
async fn restore_roles(docker: &Docker, db: &str, sql: &[u8]) -> anyhow::Result<()> {
    let done = exec::run(
        docker,
        db,
        &["psql", "-X", "-q", "-h", "/run/postgresql", "-U", "postgres", "-d", "postgres", "-f", "-"],
        Some(sql),
    )
    .await?;
    let errors: Vec<&str> =
        done.stderr.lines().filter(|l| l.contains("ERROR:") && !l.contains("already exists")).collect();
    anyhow::ensure!(done.code == 0 && errors.is_empty(), "restoring the roles failed: {}", errors.join("; "));
    Ok(())
}

/// One database, made again from its dump as it streams in.
async fn restore_database(
    docker: &Docker,
    db: &str,
    database: &str,
    pieces: &mut tokio::sync::mpsc::Receiver<Piece>,
) -> anyhow::Result<()> {
    let (sender, mut input) = tokio::sync::mpsc::channel::<bytes::Bytes>(4);
    let forward = async move {
        loop {
            match pieces.recv().await {
                Some(Piece::Bytes(chunk)) => {
                    if sender.send(chunk).await.is_err() {
                        // pg_restore is gone; what it said comes back below.
                        while let Some(Piece::Bytes(_)) = pieces.recv().await {}
                        return Ok(());
                    }
                }
                Some(Piece::End) => return Ok(()),
                _ => anyhow::bail!("the archive ended inside {database}'s dump"),
            }
        }
    };
    let command =
        ["pg_restore", "--create", "--exit-on-error", "-h", "/run/postgresql", "-U", "postgres", "-d", "postgres"];
    let (forwarded, restored) = tokio::join!(forward, exec::stream_in(docker, db, &command, &mut input));
    forwarded?;
    let (code, said) = restored?;
    anyhow::ensure!(code == 0, "restoring the database {database} failed: {}", said.trim());
    Ok(())
}

/// Where an archive entry goes, and its mode; `None` for what is never restored.
fn place_of(config: &Config, name: &str, keep_config: bool) -> Option<(PathBuf, u32)> {
    let relative = |prefix: &str| name.strip_prefix(prefix).and_then(|r| archive::safe_path(r).ok());
    if name == CONFIG_ENTRY && keep_config {
        return Some((config.paths.install_dir.join("conf").join(CONFIG_FROM_BACKUP), 0o644));
    }
    if let Some(rest) = relative("conf/") {
        return Some((config.paths.install_dir.join("conf").join(rest), 0o644));
    }
    if let Some(rest) = relative("certs/") {
        let mode = if name.ends_with(".key") { 0o400 } else { 0o644 };
        return Some((spec::absolute(config, &config.paths.certs_dir).join(rest), mode));
    }
    let secrets = spec::absolute(config, &config.paths.secrets_dir);
    match name {
        "secrets/ca/ca.key" => Some((secrets.join("ca").join(crate::tls::ca::ROOT_KEY_FILE), 0o400)),
        "secrets/acme/account.json" => Some((secrets.join("acme/account.json"), 0o600)),
        _ => None,
    }
}

fn write_file(target: &Path, mode: u32, bytes: &[u8]) -> anyhow::Result<()> {
    let parent = target.parent().context("a file without a folder")?;
    if !parent.exists() {
        // Folders of keys and certificates are private; conf is readable, as install makes it.
        let private = mode != 0o644 || parent.components().any(|c| c.as_os_str() == "secrets");
        install::ensure_dir(parent, if private { 0o700 } else { 0o755 })?;
    }
    fsio::atomic_write(target, bytes, Some(mode))
}

/// Vault's unseal key (from the backup, else this host's, kept in the safety copy) and the
/// CA's key (the same) where the next steps look for them.
fn carry_over_keys(config: &Config, manifest: &Manifest, extracted: &Extracted, safety: &Safety) -> anyhow::Result<()> {
    let vault_dir = spec::vault_server_dir(config);
    let key_file = vault_dir.join(sting_vault::server::STATIC_KEY_FILE);
    let secrets = spec::absolute(config, &config.paths.secrets_dir);
    let kept_secrets = safety.kept(&secrets).map(Path::to_path_buf).unwrap_or_else(|| secrets.clone());
    match (&manifest.unseal, &extracted.unseal_key) {
        (Unseal::KeyIncluded, Some(key)) => {
            install::ensure_dir(&vault_dir, 0o700)?;
            fsio::atomic_write(&key_file, key, Some(0o400))?;
        }
        (Unseal::KeyIncluded, None) => anyhow::bail!("the backup says it holds Vault's unseal key, but it does not"),
        (Unseal::KeyLeftOut, _) => {
            let old = kept_secrets.join(vault_dir.strip_prefix(&secrets)?).join(sting_vault::server::STATIC_KEY_FILE);
            install::ensure_dir(&vault_dir, 0o700)?;
            std::fs::copy(&old, &key_file).with_context(|| format!("cannot carry over {}", old.display()))?;
        }
        (Unseal::ShareHolders, _) => {}
    }
    // A plain backup has no private keys: the certificates come with their keys from this
    // host, as they are now, so every certificate matches its key and the CA's.
    let certs = spec::absolute(config, &config.paths.certs_dir);
    if let (false, Some(kept_certs)) = (manifest.encrypted, safety.kept(&certs)) {
        for entry in std::fs::read_dir(kept_certs)?.flatten() {
            if entry.file_type()?.is_file() {
                let mode = if entry.path().extension().is_some_and(|e| e == "key") { 0o400 } else { 0o644 };
                write_file(&certs.join(entry.file_name()), mode, &Zeroizing::new(std::fs::read(entry.path())?))?;
            }
        }
    }
    let ca_key = crate::tls::local::paths(config).root_key;
    if !ca_key.exists() {
        let old = kept_secrets.join(ca_key.strip_prefix(&secrets)?);
        write_file(
            &ca_key,
            0o400,
            &Zeroizing::new(std::fs::read(&old).context("the CA's key is in neither the backup nor this host")?),
        )?;
    }
    Ok(())
}

/// A fresh Vault (its container on an empty volume), initialised only to take the snapshot in
/// (that initialisation's root token and shares die with its data), then unsealed with the
/// backup's key or its holders' shares; msting logs in with a certificate from the restored
/// CA, replaces its own credentials and destroys the services' old secret-ids.
async fn restore_vault(
    docker: &Docker,
    config: &Config,
    stack: &Stack,
    snapshot: &[u8],
    key_file: Option<&Path>,
    out: &Output,
) -> anyhow::Result<()> {
    install::apply(docker, stack, install::service(stack, "vault")?).await?;
    install::ready(docker, config, stack, "vault", install::VAULT_PATIENCE).await?;
    let vault = Vault::new(vault_access::connection(config))?;
    let mode = SealMode::from(config.vault.unseal);
    let fresh = bootstrap::initialise(&vault, mode, 1, 1).await.context("the fresh Vault would not initialise")?;
    if mode == SealMode::Manual {
        seal::unseal(&vault, &fresh.shares[0]).await?;
    }
    bootstrap::wait_until_unsealed(&vault, Duration::from_secs(30)).await?;
    vault
        .with_token(fresh.root_token.clone())
        .upload("sys/storage/raft/snapshot-force", snapshot.to_vec())
        .await
        .context("Vault refused the backup's snapshot")?;
    let status = seal::status(&vault).await?;
    if status.sealed && mode == SealMode::Manual {
        out.note("the restored Vault is sealed: its share holders unseal it now");
        crate::shares::unseal(out, &vault, status, key_file).await?;
    }
    bootstrap::wait_until_unsealed(&vault, Duration::from_secs(60)).await?;
    let operator = vault_access::recovery_operator(config).await?;
    vault_access::renew_operator_credentials(config, &operator).await?;
    for service in bootstrap::SERVICE_ROLES {
        sting_vault::approle::destroy_secret_ids(&operator, service).await?;
    }
    Ok(())
}

/// The roles came back without passwords: the database login's is set from the restored
/// Vault, as its SCRAM verifier on psql's stdin.
async fn set_database_password(docker: &Docker, config: &Config, stack: &Stack) -> anyhow::Result<String> {
    let (user, password) = install::database_login(config).await?;
    let sql = format!(
        "ALTER ROLE {} LOGIN PASSWORD {};\n",
        crate::db_admin::identifier(&user),
        crate::db_admin::literal(&crate::db_admin::scram_verifier(&password))
    );
    exec::psql(docker, &container_name(&stack.project, "db"), "postgres", &sql).await?;
    Ok(format!("{user}'s password set from Vault"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_land_inside_the_install_and_credentials_never_come_back() {
        let mut config = Config::default();
        config.paths.install_dir = "/srv/sting".into();
        let place = |name: &str, keep: bool| place_of(&config, name, keep);
        assert_eq!(place("conf/config.yml", false), Some(("/srv/sting/conf/config.yml".into(), 0o644)));
        assert_eq!(place("conf/config.yml", true), Some(("/srv/sting/conf/config.yml.from-backup".into(), 0o644)));
        assert_eq!(place("certs/server.key", false).map(|p| p.1), Some(0o400));
        assert_eq!(place("secrets/ca/ca.key", false), Some(("/srv/sting/secrets/ca/ca.key".into(), 0o400)));
        for never in
            ["secrets/vault/operator.json", "secrets/stingd/api-key", "secrets/vault/stingd/secret-id", "other"]
        {
            assert_eq!(place(never, false), None, "{never}");
        }
    }
}
