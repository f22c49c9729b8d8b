//! Loading a config: read, parse, check the version, walk the schema, deserialise, apply the
//! semantic rules and the environment's path overrides. Every problem is collected and returned
//! together as [`Diagnostics`].

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde::Serialize;
use serde_json::Value;

use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::document::Document;
use crate::schema::{CURRENT_VERSION, Config};
use crate::validate::Validator;

/// Environment variables that override a path of `paths`, with the key each one replaces.
pub const PATH_OVERRIDES: &[(&str, &str)] = &[
    ("STING_INSTALL_DIR", "paths.install_dir"),
    ("STING_DATA_DIR", "paths.data_dir"),
    ("STING_MODELS_DIR", "paths.models_dir"),
    ("STING_BACKUP_DIR", "paths.backup_dir"),
    ("STING_LOG_DIR", "paths.log_dir"),
    ("STING_CERTS_DIR", "paths.certs_dir"),
    ("STING_SECRETS_DIR", "paths.secrets_dir"),
];

/// Values from outside the file that take precedence over it. Built explicitly (no global
/// environment reads inside the library) so tests and callers decide what counts.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    /// Path overrides, by variable name (see [`PATH_OVERRIDES`]).
    vars: BTreeMap<String, String>,
    /// Variables that `${NAME}` in the file expands to.
    environment: BTreeMap<String, String>,
}

impl Overrides {
    /// This process's environment: its `STING_*_DIR` variables override paths, and every
    /// variable is available to `${NAME}` in the file.
    pub fn from_process_env() -> Self {
        let environment: BTreeMap<String, String> = std::env::vars().collect();
        let vars =
            PATH_OVERRIDES.iter().filter_map(|(var, _)| environment.get(*var).map(|v| (var.to_string(), v.clone())));
        Self { vars: vars.collect(), environment }
    }

    /// Path overrides only (no variables for `${NAME}`).
    pub fn from_vars(vars: impl IntoIterator<Item = (String, String)>) -> Self {
        Self { vars: vars.into_iter().collect(), environment: BTreeMap::new() }
    }

    /// Variables that `${NAME}` in the file may use.
    pub fn with_environment(mut self, environment: impl IntoIterator<Item = (String, String)>) -> Self {
        self.environment = environment.into_iter().collect();
        self
    }

    /// A value given another way (a command-line flag) for one of [`PATH_OVERRIDES`]' variables.
    pub fn set(&mut self, var: &str, value: impl Into<String>) {
        self.vars.insert(var.to_string(), value.into());
    }
}

/// Where an effective value came from, when not from the file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AppliedOverride {
    pub key: String,
    pub var: String,
}

/// A loaded, valid config.
#[derive(Clone, Debug)]
pub struct Loaded {
    /// The effective config: defaults, the file, then overrides; paths made absolute.
    pub config: Config,
    pub document: Document,
    pub overrides: Vec<AppliedOverride>,
}

/// The JSON schema of [`Config`], generated once.
pub fn json_schema() -> &'static Value {
    static SCHEMA: OnceLock<Value> = OnceLock::new();
    SCHEMA.get_or_init(|| schemars::schema_for!(Config).to_value())
}

pub fn load_file(path: &Path, overrides: &Overrides) -> Result<Loaded, Diagnostics> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        let hint = match e.kind() {
            std::io::ErrorKind::NotFound => "give the path with `--config FILE`, or create it from `conf/config.yml`",
            std::io::ErrorKind::PermissionDenied => {
                "run as a user who may read it (config.yml is readable by root only after install)"
            }
            _ => "check that the file is a readable text file",
        };
        Diagnostics::single(
            path,
            Diagnostic::new(Code::Io, "", format!("cannot read {}: {e}", path.display())).hint(hint),
        )
    })?;
    load_str(path, &text, overrides)
}

pub fn load_str(file: &Path, text: &str, overrides: &Overrides) -> Result<Loaded, Diagnostics> {
    let mut document = Document::parse(file, text).map_err(|d| Diagnostics::single(file, d))?;
    check_version(&document).map_err(|d| Diagnostics::single(file, d))?;
    let unset = crate::expand::expand(&mut document, &overrides.environment);
    if !unset.is_empty() {
        return Err(Diagnostics::new(file, unset));
    }

    let (typed, schema_problems) = Validator::new(json_schema(), file).check_document(&document.root);
    if !schema_problems.is_empty() {
        return Err(Diagnostics::new(file, schema_problems));
    }
    let mut config: Config = serde_json::from_value(typed).map_err(|e| {
        // The schema walk should have caught this; report it rather than panic.
        let d = Diagnostic::new(Code::InvalidValue, "", e.to_string()).at(document.location_of(""));
        Diagnostics::single(file, d)
    })?;

    let mut problems: Vec<Diagnostic> = crate::semantic::check(&config)
        .into_iter()
        .map(|d| {
            let at = document.location_of(&d.key);
            d.at(at)
        })
        .collect();
    let applied = apply_overrides(&mut config, overrides, &mut problems);
    if !problems.is_empty() {
        return Err(Diagnostics::new(file, problems));
    }
    resolve_paths(&mut config);
    Ok(Loaded { config, document, overrides: applied })
}

/// The documented default config, as shipped in `conf/config.yml`.
pub const DEFAULT_CONFIG_YAML: &str = include_str!("../../../conf/config.yml");

fn check_version(document: &Document) -> Result<(), Diagnostic> {
    let version_node = document.root.as_mapping().and_then(|m| m.get_scalar("version"));
    let Some(version_node) = version_node else {
        let original = document.root.as_mapping().is_some_and(|m| m.get_node("app").is_some());
        let at = document.location_of("");
        return Err(if original {
            Diagnostic::new(
                Code::OutdatedVersion,
                "version",
                "this is a config of the original STING-CE (it has no `version`)",
            )
            .at(at)
            .hint(format!(
                "bring it up to version {CURRENT_VERSION} with `msting config migrate {}`",
                document.file.display()
            ))
        } else {
            Diagnostic::new(Code::MissingKey, "version", "the file has no `version`")
                .at(at)
                .hint(format!("add `version: {CURRENT_VERSION}` as the first line"))
        });
    };
    let at = document.location_of("version");
    let version: u32 = version_node.as_str().parse().map_err(|_| {
        Diagnostic::new(
            Code::WrongType,
            "version",
            format!("expected a whole number, found `{}`", version_node.as_str()),
        )
        .at(at.clone())
        .hint(format!("this build writes `version: {CURRENT_VERSION}`"))
    })?;
    if version > CURRENT_VERSION {
        return Err(Diagnostic::new(
            Code::UnsupportedVersion,
            "version",
            format!(
                "version {version} was written by a newer STING-CE; this one reads up to version {CURRENT_VERSION}"
            ),
        )
        .at(at)
        .hint("upgrade msting and stingd, or restore the config that came with this release"));
    }
    if version < CURRENT_VERSION {
        return Err(Diagnostic::new(
            Code::OutdatedVersion,
            "version",
            format!("version {version} is older than this build's {CURRENT_VERSION}"),
        )
        .at(at)
        .hint(format!("migrate it with `msting config migrate {}`", document.file.display())));
    }
    Ok(())
}

fn apply_overrides(config: &mut Config, overrides: &Overrides, problems: &mut Vec<Diagnostic>) -> Vec<AppliedOverride> {
    let mut applied = Vec::new();
    for (var, key) in PATH_OVERRIDES {
        let Some(value) = overrides.vars.get(*var) else { continue };
        let path = PathBuf::from(value);
        if value.is_empty() || !path.is_absolute() {
            problems.push(
                Diagnostic::new(
                    Code::BadEnvironment,
                    *var,
                    format!("{var} must be an absolute path (it overrides `{key}`)"),
                )
                .hint(format!("set it to a path such as /srv/sting, or unset it: `unset {var}`")),
            );
            continue;
        }
        let paths = &mut config.paths;
        let slot = match *key {
            "paths.install_dir" => &mut paths.install_dir,
            "paths.data_dir" => &mut paths.data_dir,
            "paths.models_dir" => &mut paths.models_dir,
            "paths.backup_dir" => &mut paths.backup_dir,
            "paths.log_dir" => &mut paths.log_dir,
            "paths.certs_dir" => &mut paths.certs_dir,
            "paths.secrets_dir" => &mut paths.secrets_dir,
            _ => unreachable!("every PATH_OVERRIDES key has a slot"),
        };
        *slot = path;
        applied.push(AppliedOverride { key: key.to_string(), var: var.to_string() });
    }
    applied
}

/// Relative paths in `paths` are relative to `install_dir`; model files to `models_dir`.
fn resolve_paths(config: &mut Config) {
    let paths = &mut config.paths;
    let base = paths.install_dir.clone();
    for p in [
        &mut paths.data_dir,
        &mut paths.models_dir,
        &mut paths.backup_dir,
        &mut paths.log_dir,
        &mut paths.certs_dir,
        &mut paths.secrets_dir,
    ] {
        if p.is_relative() {
            *p = base.join(&*p);
        }
    }
    let models_dir = paths.models_dir.clone();
    for model in &mut config.llm.models {
        if model.path.is_relative() && !model.path.as_os_str().is_empty() {
            model.path = models_dir.join(&model.path);
        }
    }
}
