//! What validation reports: one [`Diagnostic`] per problem, each naming file, line, column and
//! key path, with a stable code for scripts and a hint that says what to do.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Serialize;

/// A stable identifier for a kind of problem; scripts may match on it (`--json`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Code {
    /// The file is not valid YAML.
    Syntax,
    /// A key the schema does not know.
    UnknownKey,
    /// A value of the wrong kind (a mapping where a number belongs, ...).
    WrongType,
    /// A secret written as a value instead of a `vault-ref:` reference.
    PlainSecret,
    /// A value of the right kind that is not allowed (out of range, unknown choice, ...).
    InvalidValue,
    /// A required key is absent.
    MissingKey,
    /// The same key twice in one mapping.
    DuplicateKey,
    /// A `version` newer than this build, or one it cannot migrate.
    UnsupportedVersion,
    /// An older `version` that `msting config migrate` can bring up to date.
    OutdatedVersion,
    /// A value taken from the environment that is not usable.
    BadEnvironment,
    /// The file could not be read.
    Io,
}

impl Code {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Syntax => "syntax",
            Self::UnknownKey => "unknown-key",
            Self::WrongType => "wrong-type",
            Self::PlainSecret => "plain-secret",
            Self::InvalidValue => "invalid-value",
            Self::MissingKey => "missing-key",
            Self::DuplicateKey => "duplicate-key",
            Self::UnsupportedVersion => "unsupported-version",
            Self::OutdatedVersion => "outdated-version",
            Self::BadEnvironment => "bad-environment",
            Self::Io => "io",
        }
    }
}

/// Where in a file a problem is. Lines and columns count from 1.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Location {
    pub file: PathBuf,
    pub line: usize,
    pub column: usize,
}

/// One problem found in a config.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub code: Code,
    /// `None` when the problem is not in the file (an environment variable, an unreadable file).
    pub location: Option<Location>,
    /// The key path, such as `llm.models[0].context`; empty for the whole file.
    pub key: String,
    pub message: String,
    pub hint: Option<String>,
}

impl Diagnostic {
    pub fn new(code: Code, key: impl Into<String>, message: impl Into<String>) -> Self {
        Self { code, location: None, key: key.into(), message: message.into(), hint: None }
    }

    pub fn at(mut self, location: Option<Location>) -> Self {
        self.location = location;
        self
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

/// Compiler style: `conf/config.yml:12:5: error[unknown-key] llm.modles: ...` and a hint line.
impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(loc) = &self.location {
            write!(f, "{}:{}:{}: ", loc.file.display(), loc.line, loc.column)?;
        }
        write!(f, "error[{}]", self.code.as_str())?;
        if !self.key.is_empty() {
            write!(f, " {}", self.key)?;
        }
        write!(f, ": {}", self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, "\n  hint: {hint}")?;
        }
        Ok(())
    }
}

/// Every problem found in one file, in file order. Returned as the error of loading.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Diagnostics {
    pub file: PathBuf,
    pub problems: Vec<Diagnostic>,
}

impl Diagnostics {
    pub fn new(file: &Path, mut problems: Vec<Diagnostic>) -> Self {
        problems.sort_by_key(|d| d.location.as_ref().map(|l| (l.line, l.column)));
        Self { file: file.to_path_buf(), problems }
    }

    pub fn single(file: &Path, problem: Diagnostic) -> Self {
        Self::new(file, vec![problem])
    }

    pub fn codes(&self) -> Vec<Code> {
        self.problems.iter().map(|d| d.code).collect()
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for d in &self.problems {
            writeln!(f, "{d}")?;
        }
        let n = self.problems.len();
        write!(f, "{}: {n} problem{}", self.file.display(), if n == 1 { "" } else { "s" })
    }
}

impl std::error::Error for Diagnostics {}
