//! The models folder (`paths.models_dir`): what is in it (read from each GGUF header), importing
//! a file (checked as GGUF, copied atomically, never over another without `--force`), removing
//! one (refused while the config uses it), and verifying digests against the config's `sha256`
//! and the models STING knows.

use std::path::{Path, PathBuf};

use serde::Serialize;
use sting_config::Config;
use sting_models::known;

#[derive(Debug, Serialize)]
pub struct Listed {
    pub file: String,
    pub size: u64,
    pub architecture: Option<String>,
    pub parameters: Option<u64>,
    pub quantization: Option<String>,
    /// The config's models that use it.
    pub used_by: Vec<String>,
    /// A known model this file may be (by name and size; `verify` confirms by digest).
    pub known_as: Option<&'static str>,
    /// Why it is not a usable GGUF file.
    pub problem: Option<String>,
}

#[derive(Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// The digest matches the config's `sha256` or a known model.
    Verified,
    /// Nothing to compare with.
    Unknown,
    /// The digest differs from what it should be.
    Mismatch,
}

#[derive(Debug, Serialize)]
pub struct Verified {
    pub file: String,
    pub sha256: String,
    pub verdict: Verdict,
    pub expected: Option<String>,
}

pub fn models_dir(config: &Config) -> PathBuf {
    let dir = &config.paths.models_dir;
    if dir.is_relative() { config.paths.install_dir.join(dir) } else { dir.clone() }
}

fn used_by(config: &Config, file: &str) -> Vec<String> {
    let dir = models_dir(config);
    config
        .llm
        .models
        .iter()
        .filter(|m| m.remote.is_none() && (m.path == Path::new(file) || m.path == dir.join(file)))
        .map(|m| m.name.clone())
        .collect()
}

fn gguf_files(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "gguf") && p.is_file())
            .collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => anyhow::bail!("cannot read the models folder {}: {e}", dir.display()),
    };
    files.sort();
    Ok(files)
}

pub fn list(config: &Config) -> anyhow::Result<Vec<Listed>> {
    let mut out = Vec::new();
    for path in gguf_files(&models_dir(config))? {
        let file = path.file_name().unwrap_or_default().to_string_lossy().to_string();
        let size = std::fs::metadata(&path)?.len();
        let (info, problem) = match sting_models::read_gguf(&path) {
            Ok(info) => (Some(info), None),
            Err(e) => (None, Some(e.to_string())),
        };
        out.push(Listed {
            used_by: used_by(config, &file),
            known_as: known::by_file(&file, size).map(|k| k.name),
            architecture: info.as_ref().map(|i| i.architecture.clone()),
            parameters: info.as_ref().map(|i| i.parameters),
            quantization: info.as_ref().map(|i| i.quantization.clone()),
            file,
            size,
            problem,
        });
    }
    Ok(out)
}

/// Copies `source` into the models folder as `name` (default: its file name), after checking it
/// is a GGUF model; the copy appears whole or not at all.
pub fn import(config: &Config, source: &Path, name: Option<&str>, force: bool) -> anyhow::Result<PathBuf> {
    sting_models::read_gguf(source)
        .map_err(|e| anyhow::anyhow!("{} is not a model STING can run: {e}", source.display()))?;
    let file = match name {
        Some(name) if name.ends_with(".gguf") => name.to_string(),
        Some(name) => format!("{name}.gguf"),
        None => source.file_name().unwrap_or_default().to_string_lossy().to_string(),
    };
    plain_file_name(&file)?;
    let dir = models_dir(config);
    std::fs::create_dir_all(&dir)?;
    let target = dir.join(&file);
    if target.exists() && !force {
        anyhow::bail!("{} exists: remove it first (`msting models rm {file}`) or pass --force", target.display());
    }
    let staged = dir.join(format!(".{file}.importing-{}", std::process::id()));
    let copied = (|| -> std::io::Result<()> {
        std::fs::copy(source, &staged)?;
        std::fs::File::open(&staged)?.sync_all()?;
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&staged, std::fs::Permissions::from_mode(0o644))?;
        std::fs::rename(&staged, &target)?;
        std::fs::File::open(&dir)?.sync_all()
    })();
    if let Err(e) = copied {
        let _ = std::fs::remove_file(&staged);
        anyhow::bail!("cannot copy {} into {}: {e}", source.display(), dir.display());
    }
    Ok(target)
}

/// A model is named by a file name in the models folder, never by a path: `../x` or `/etc/x`
/// would reach outside it.
fn plain_file_name(file: &str) -> anyhow::Result<()> {
    if file.is_empty()
        || file.contains(['/', '\\', '\0'])
        || file.starts_with('.')
        || file.chars().any(char::is_control)
    {
        anyhow::bail!(
            "`{}` is not a model name: name a file of the models folder, as `msting models list` shows it",
            file.escape_debug()
        );
    }
    Ok(())
}

/// Removes a model file; refused while the config uses it, unless `force`.
pub fn remove(config: &Config, file: &str, force: bool) -> anyhow::Result<PathBuf> {
    let file = if file.ends_with(".gguf") { file.to_string() } else { format!("{file}.gguf") };
    plain_file_name(&file)?;
    let path = models_dir(config).join(&file);
    if !path.is_file() {
        anyhow::bail!("there is no {} (see `msting models list`)", path.display());
    }
    let users = used_by(config, &file);
    if !users.is_empty() && !force {
        anyhow::bail!("{file} is used by llm.models {}: change the config first, or pass --force", users.join(", "));
    }
    std::fs::remove_file(&path)?;
    Ok(path)
}

/// Digests of the models (one, or all), against the config's `sha256` or a known model.
pub fn verify(config: &Config, only: Option<&str>) -> anyhow::Result<Vec<Verified>> {
    let mut out = Vec::new();
    for path in gguf_files(&models_dir(config))? {
        let file = path.file_name().unwrap_or_default().to_string_lossy().to_string();
        if only.is_some_and(|o| o != file && format!("{o}.gguf") != file) {
            continue;
        }
        let sha256 = sting_models::sha256_file(&path)?;
        let configured = config
            .llm
            .models
            .iter()
            .filter(|m| used_by(config, &file).contains(&m.name))
            .find_map(|m| m.sha256.clone());
        let size = std::fs::metadata(&path)?.len();
        let expected = configured.or_else(|| known::by_file(&file, size).map(|k| k.sha256.to_string()));
        let verdict = match &expected {
            Some(e) if e.eq_ignore_ascii_case(&sha256) => Verdict::Verified,
            Some(_) => Verdict::Mismatch,
            None if known::by_digest(&sha256).is_some() => Verdict::Verified,
            None => Verdict::Unknown,
        };
        out.push(Verified { file, sha256, verdict, expected });
    }
    if let Some(only) = only {
        if out.is_empty() {
            anyhow::bail!("there is no {only} in {}", models_dir(config).display());
        }
    }
    Ok(out)
}
