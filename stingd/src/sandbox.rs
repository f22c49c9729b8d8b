//! Confining a llama-server child with Landlock before it starts: it may read its own binary and
//! libraries, the system's libraries and its model file, and nothing else of the file system
//! (not stingd's config, secrets or data); it may bind its one loopback port and open no
//! network connection. Where the kernel lacks Landlock (or some of its features), the child
//! runs with what the kernel offers, and says so on its first stderr line.
//!
//! Landlock confines the calling thread and what it executes, so it is applied in a small
//! launcher: stingd runs itself as `stingd sandbox-exec ...` (forked from the supervisor's
//! spawning thread, with the parent-death signal set), the launcher confines itself and then
//! executes llama-server in its place, keeping the pid, the signal and the confinement.

use std::ffi::OsString;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};

use landlock::{
    ABI, Access, AccessFs, AccessNet, NetPort, PathBeneath, PathFd, Ruleset, RulesetAttr, RulesetCreatedAttr,
    RulesetStatus,
};

/// The hidden subcommand that runs the launcher.
pub const SUBCOMMAND: &str = "sandbox-exec";

/// System folders a dynamically linked program needs to start and to read CPU facts.
const SYSTEM_READ: &[&str] = &["/usr", "/lib", "/lib64", "/bin", "/etc", "/proc", "/sys"];

/// How a child should be confined.
#[derive(Clone, Debug)]
pub struct Confinement {
    /// Files the child may read (its model).
    pub read_files: Vec<PathBuf>,
    /// The one TCP port it may listen on.
    pub port: u16,
}

impl Confinement {
    /// The launcher's command line: `stingd sandbox-exec --read F... --port P -- PROGRAM ARGS`.
    pub fn launcher_args(&self, program: &Path, args: &[String]) -> Vec<OsString> {
        let mut out: Vec<OsString> = vec![SUBCOMMAND.into()];
        for file in &self.read_files {
            out.push("--read".into());
            out.push(file.into());
        }
        out.extend(["--port".into(), self.port.to_string().into(), "--".into(), program.into()]);
        out.extend(args.iter().map(OsString::from));
        out
    }
}

/// Confines this process, then replaces it with `program`. Returns only on failure.
pub fn exec_confined(confinement: &Confinement, program: &Path, args: &[OsString]) -> anyhow::Error {
    match confine(confinement, program) {
        Ok(note) => eprintln!("stingd-sandbox: {note}"),
        Err(e) => return anyhow::anyhow!("cannot confine {}: {e}", program.display()),
    }
    let error = std::process::Command::new(program).args(args).exec();
    anyhow::anyhow!("cannot execute {}: {error}", program.display())
}

fn confine(confinement: &Confinement, program: &Path) -> Result<String, landlock::RulesetError> {
    let abi = ABI::V5;
    let read_dirs: Vec<PathBuf> = SYSTEM_READ
        .iter()
        .map(PathBuf::from)
        .chain(program.parent().map(Path::to_path_buf))
        .filter(|p| p.exists())
        .collect();
    let mut ruleset = Ruleset::default()
        .handle_access(AccessFs::from_all(abi))?
        .handle_access(AccessNet::BindTcp | AccessNet::ConnectTcp)?
        .create()?;
    for dir in &read_dirs {
        if let Ok(fd) = PathFd::new(dir) {
            ruleset = ruleset.add_rule(PathBeneath::new(fd, AccessFs::from_read(abi)))?;
        }
    }
    for file in &confinement.read_files {
        if let Ok(fd) = PathFd::new(file) {
            ruleset = ruleset.add_rule(PathBeneath::new(fd, AccessFs::ReadFile))?;
        }
    }
    if let Ok(fd) = PathFd::new("/dev") {
        ruleset = ruleset.add_rule(PathBeneath::new(fd, AccessFs::from_read(abi) | AccessFs::WriteFile))?;
    }
    ruleset = ruleset.add_rule(NetPort::new(confinement.port, AccessNet::BindTcp))?;
    let status = ruleset.restrict_self()?;
    Ok(match status.ruleset {
        RulesetStatus::FullyEnforced => "landlock fully enforced".into(),
        RulesetStatus::PartiallyEnforced => "landlock partly enforced (this kernel lacks some features)".into(),
        RulesetStatus::NotEnforced => "landlock not available on this kernel: running unconfined".into(),
    })
}

/// Confines the calling process to no file system and no network at all: what a document
/// parser gets, which reads its input from stdin and writes its answer to stdout.
pub fn confine_to_stdio() -> Result<String, landlock::RulesetError> {
    let abi = ABI::V5;
    let status = Ruleset::default()
        .handle_access(AccessFs::from_all(abi))?
        .handle_access(AccessNet::BindTcp | AccessNet::ConnectTcp)?
        .create()?
        .restrict_self()?;
    Ok(match status.ruleset {
        RulesetStatus::FullyEnforced => "landlock fully enforced".into(),
        RulesetStatus::PartiallyEnforced => "landlock partly enforced".into(),
        RulesetStatus::NotEnforced => "landlock not available: unconfined".into(),
    })
}
