//! Confining the children stingd starts (llama-server, and the document reader) before they
//! run, with the two mechanisms an unprivileged process has:
//!
//! - Landlock for files and TCP: a llama-server child may read the system's libraries, its own
//!   binary's folder, its model file and a short list of files under `/etc` the C library and
//!   the loader read ([`ETC_READ`]); nothing else (stingd's config, keys, Vault login and data
//!   are out of reach wherever they are kept). It may bind its one loopback port and connect
//!   nowhere. The document reader may touch no file at all.
//! - seccomp for what Landlock does not cover: no UDP, raw, packet, netlink, Unix, MPTCP or
//!   SCTP socket can be created (only plain TCP ones, which Landlock confines; the reader gets
//!   no socket at all), no TCP Fast Open send (which connects without the `connect` Landlock
//!   checks), and no io_uring, whose requests would bypass the socket check. The filter is
//!   applied even when an operator runs children without Landlock on purpose.
//!
//! A network namespace would be tighter still, but the child must serve stingd on loopback
//! (a namespace has a loopback of its own), and making one needs privileges stingd's container
//! does not have (all capabilities dropped; unprivileged user namespaces are often disabled).
//!
//! A confinement the kernel cannot fully enforce is refused: the child does not start, with an
//! error naming the switch (`system.unconfined_children`) an operator sets on purpose to run
//! children unconfined on a kernel without Landlock's TCP rules (before Linux 6.7).
//!
//! Landlock and seccomp confine the calling thread and what it executes, so they are applied in
//! a small launcher: stingd runs itself as `stingd sandbox-exec ...` (forked from the
//! supervisor's spawning thread, with the parent-death signal set), the launcher confines
//! itself and then executes llama-server in its place, keeping the pid, the signal and the
//! confinement.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};

use landlock::{
    ABI, Access, AccessFs, AccessNet, CompatLevel, Compatible, NetPort, PathBeneath, PathFd, Ruleset, RulesetAttr,
    RulesetCreatedAttr, RulesetStatus,
};
use seccompiler::{SeccompAction, SeccompCmpArgLen, SeccompCmpOp, SeccompCondition, SeccompFilter, SeccompRule};

/// The hidden subcommand that runs the launcher.
pub const SUBCOMMAND: &str = "sandbox-exec";

/// System folders a dynamically linked program needs to start and to read CPU facts. `/proc`
/// shows other processes only as far as ptrace would, which Landlock denies outside the child.
const SYSTEM_READ: &[&str] = &["/usr", "/lib", "/lib64", "/bin", "/proc", "/sys"];

/// What of `/etc` the loader and the C library read: nothing of STING's is among them.
pub const ETC_READ: &[&str] = &[
    "/etc/ld.so.cache",
    "/etc/ld.so.conf",
    "/etc/ld.so.conf.d",
    "/etc/ld.so.preload",
    "/etc/localtime",
    "/etc/nsswitch.conf",
    "/etc/host.conf",
    "/etc/hosts",
    "/etc/gai.conf",
    "/etc/ssl/certs",
];

/// The Landlock version whose rules are required: 4 is the first with TCP rules (Linux 6.7).
const REQUIRED_ABI: ABI = ABI::V4;

/// Why a child cannot be confined.
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    #[error(
        "this kernel cannot enforce the sandbox ({0}); the child is not started. Use Linux 6.7 or newer, or set \
         `system.unconfined_children: true` to run children unconfined on purpose"
    )]
    NotEnforced(String),
    #[error("the seccomp filter: {0}")]
    Seccomp(String),
    #[error("a Landlock rule for {0}")]
    Rule(String),
}

/// How a child should be confined.
#[derive(Clone, Debug)]
pub struct Confinement {
    /// Files the child may read (its model).
    pub read_files: Vec<PathBuf>,
    /// The one TCP port it may listen on.
    pub port: u16,
    /// Run anyway when the kernel cannot enforce the confinement (`system.unconfined_children`).
    pub allow_unconfined: bool,
}

impl Confinement {
    /// The launcher's command line: `stingd sandbox-exec --read F... --port P -- PROGRAM ARGS`.
    pub fn launcher_args(&self, program: &Path, args: &[String]) -> Vec<OsString> {
        let mut out: Vec<OsString> = vec![SUBCOMMAND.into()];
        for file in &self.read_files {
            out.push("--read".into());
            out.push(file.into());
        }
        out.extend(["--port".into(), self.port.to_string().into()]);
        if self.allow_unconfined {
            out.push("--allow-unconfined".into());
        }
        out.extend(["--".into(), program.into()]);
        out.extend(args.iter().map(OsString::from));
        out
    }
}

/// Confines this process, then replaces it with `program`. Returns only on failure.
pub fn exec_confined(confinement: &Confinement, program: &Path, args: &[OsString]) -> anyhow::Error {
    let landlock = match landlock_note(restrict_files_and_tcp(confinement, program), confinement.allow_unconfined) {
        Ok(note) => note,
        Err(e) => return anyhow::anyhow!("cannot confine {}: {e}", program.display()),
    };
    if let Err(e) = filter_sockets(Sockets::TcpOnly) {
        return anyhow::anyhow!("cannot confine {}: {e}", program.display());
    }
    eprintln!("stingd-sandbox: {landlock}, seccomp: no socket but TCP");
    let error = std::process::Command::new(program).args(args).exec();
    anyhow::anyhow!("cannot execute {}: {error}", program.display())
}

/// What Landlock's outcome is to the launcher: enforced, or unenforced and allowed on purpose
/// (the note says so), or a refusal.
fn landlock_note(enforced: Result<(), SandboxError>, allow_unconfined: bool) -> Result<String, SandboxError> {
    match enforced {
        Ok(()) => Ok("landlock fully enforced".to_string()),
        Err(SandboxError::NotEnforced(why)) if allow_unconfined => {
            Ok(format!("UNCONFINED by Landlock ({why}; system.unconfined_children is set)"))
        }
        Err(e) => Err(e),
    }
}

fn failed(e: impl std::fmt::Display) -> SandboxError {
    SandboxError::Seccomp(e.to_string())
}

fn not_enforced(e: impl std::fmt::Display) -> SandboxError {
    SandboxError::NotEnforced(format!("Landlock: {e}"))
}

/// A ruleset handling every file and TCP access of [`REQUIRED_ABI`], which the kernel must
/// support in full.
fn required_ruleset() -> Result<landlock::RulesetCreated, SandboxError> {
    Ruleset::default()
        .set_compatibility(CompatLevel::HardRequirement)
        .handle_access(AccessFs::from_all(REQUIRED_ABI))
        .and_then(|r| r.handle_access(AccessNet::BindTcp | AccessNet::ConnectTcp))
        .and_then(|r| r.create())
        .map_err(not_enforced)
}

fn enforce(ruleset: landlock::RulesetCreated) -> Result<(), SandboxError> {
    let status = ruleset.restrict_self().map_err(not_enforced)?;
    match status.ruleset {
        RulesetStatus::FullyEnforced => Ok(()),
        RulesetStatus::PartiallyEnforced => Err(not_enforced("only partly enforced")),
        RulesetStatus::NotEnforced => Err(not_enforced("not available")),
    }
}

fn restrict_files_and_tcp(confinement: &Confinement, program: &Path) -> Result<(), SandboxError> {
    let abi = REQUIRED_ABI;
    let read_dirs: Vec<PathBuf> = SYSTEM_READ
        .iter()
        .chain(ETC_READ)
        .map(PathBuf::from)
        .chain(program.parent().map(Path::to_path_buf))
        .filter(|p| p.exists())
        .collect();
    let mut ruleset = required_ruleset()?;
    let rule_failed = |path: &Path, e: landlock::RulesetError| SandboxError::Rule(format!("{}: {e}", path.display()));
    // A file gets the rights a file can have; a folder those of everything beneath it.
    let readable = |path: &Path| if path.is_dir() { AccessFs::from_read(abi) } else { AccessFs::ReadFile.into() };
    for path in read_dirs.iter().chain(&confinement.read_files) {
        if let Ok(fd) = PathFd::new(path) {
            ruleset = ruleset.add_rule(PathBeneath::new(fd, readable(path))).map_err(|e| rule_failed(path, e))?;
        }
    }
    let dev = Path::new("/dev");
    if let Ok(fd) = PathFd::new(dev) {
        let rights = AccessFs::from_read(abi) | AccessFs::WriteFile;
        ruleset = ruleset.add_rule(PathBeneath::new(fd, rights)).map_err(|e| rule_failed(dev, e))?;
    }
    ruleset = ruleset.add_rule(NetPort::new(confinement.port, AccessNet::BindTcp)).map_err(not_enforced)?;
    enforce(ruleset)
}

/// Which sockets a confined process may create.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Sockets {
    /// TCP over IPv4 or IPv6 (Landlock decides which ports).
    TcpOnly,
    None,
}

/// Installs the seccomp filters: `socket()` fails (EACCES) for anything `allowed` does not
/// name, so does a send with `MSG_FASTOPEN`, and io_uring does not exist (ENOSYS).
fn filter_sockets(allowed: Sockets) -> Result<(), SandboxError> {
    let arg = |index, op, value| SeccompCondition::new(index, SeccompCmpArgLen::Dword, op, value).map_err(failed);
    let rule = |conditions| SeccompRule::new(conditions).map_err(failed);
    // Each rule names what is refused; a call matching none of a system call's rules goes on.
    let mut refused: BTreeMap<i64, Vec<SeccompRule>> = BTreeMap::new();
    let socket_rules = match allowed {
        Sockets::None => vec![],
        Sockets::TcpOnly => {
            // Refused: a family other than IPv4 and IPv6, a type other than a stream (the type's
            // low four bits are the type; the rest are flags: non-blocking, close-on-exec), or a
            // protocol other than the default and TCP (MPTCP and SCTP streams are not TCP to
            // Landlock).
            let mut rules = vec![
                rule(vec![
                    arg(0, SeccompCmpOp::Ne, libc::AF_INET as u64)?,
                    arg(0, SeccompCmpOp::Ne, libc::AF_INET6 as u64)?,
                ])?,
                rule(vec![arg(2, SeccompCmpOp::Ne, 0)?, arg(2, SeccompCmpOp::Ne, libc::IPPROTO_TCP as u64)?])?,
            ];
            for kind in [libc::SOCK_DGRAM, libc::SOCK_RAW, libc::SOCK_RDM, libc::SOCK_SEQPACKET, 6, 10] {
                rules.push(rule(vec![arg(1, SeccompCmpOp::MaskedEq(0xf), kind as u64)?])?);
            }
            rules
        }
    };
    refused.insert(libc::SYS_socket, socket_rules);
    // Fast Open's send connects an unconnected socket: `flags` is the fourth argument of
    // `sendto` and `sendmmsg`, the third of `sendmsg`.
    let fast_open = |index| -> Result<Vec<SeccompRule>, SandboxError> {
        let flag = libc::MSG_FASTOPEN as u64;
        Ok(vec![rule(vec![arg(index, SeccompCmpOp::MaskedEq(flag), flag)?])?])
    };
    refused.insert(libc::SYS_sendto, fast_open(3)?);
    refused.insert(libc::SYS_sendmmsg, fast_open(3)?);
    refused.insert(libc::SYS_sendmsg, fast_open(2)?);
    let arch = std::env::consts::ARCH.try_into().map_err(failed)?;
    let refuse_sockets: seccompiler::BpfProgram =
        SeccompFilter::new(refused, SeccompAction::Allow, SeccompAction::Errno(libc::EACCES as u32), arch)
            .map_err(failed)?
            .try_into()
            .map_err(failed)?;
    let mut uring: BTreeMap<i64, Vec<SeccompRule>> = BTreeMap::new();
    uring.insert(libc::SYS_io_uring_setup, vec![]);
    let refuse_uring: seccompiler::BpfProgram =
        SeccompFilter::new(uring, SeccompAction::Allow, SeccompAction::Errno(libc::ENOSYS as u32), arch)
            .map_err(failed)?
            .try_into()
            .map_err(failed)?;
    // First, so that no call gets past the others by another numbering.
    seccompiler::apply_filter(&refuse_x32()).map_err(failed)?;
    seccompiler::apply_filter(&refuse_sockets).map_err(failed)?;
    seccompiler::apply_filter(&refuse_uring).map_err(failed)
}

/// x32 system calls (x86_64's other ABI) carry the x86_64 architecture and their number with
/// bit 30 set, so rules by number (the filters above) do not see them: on a kernel built with
/// x32, `socket` by that number would make a UDP socket. This filter answers ENOSYS to every
/// such call, as a kernel without x32 does. Other architectures have no such numbering.
fn refuse_x32() -> seccompiler::BpfProgram {
    use seccompiler::sock_filter;
    const LOAD_WORD: u16 = 0x20; // BPF_LD | BPF_W | BPF_ABS
    const JUMP_EQUAL: u16 = 0x15; // BPF_JMP | BPF_JEQ | BPF_K
    const JUMP_AT_LEAST: u16 = 0x35; // BPF_JMP | BPF_JGE | BPF_K
    const RETURN: u16 = 0x06; // BPF_RET | BPF_K
    const ARCH_OFFSET: u32 = 4; // seccomp_data.arch
    const NR_OFFSET: u32 = 0; // seccomp_data.nr
    const AUDIT_ARCH_X86_64: u32 = 0xc000_003e;
    const X32_SYSCALL_BIT: u32 = 0x4000_0000;
    let op = |code, jt, jf, k| sock_filter { code, jt, jf, k };
    if cfg!(not(target_arch = "x86_64")) {
        return vec![op(RETURN, 0, 0, libc::SECCOMP_RET_ALLOW)];
    }
    vec![
        op(LOAD_WORD, 0, 0, ARCH_OFFSET),
        op(JUMP_EQUAL, 0, 3, AUDIT_ARCH_X86_64),
        op(LOAD_WORD, 0, 0, NR_OFFSET),
        op(JUMP_AT_LEAST, 0, 1, X32_SYSCALL_BIT),
        op(RETURN, 0, 0, libc::SECCOMP_RET_ERRNO | libc::ENOSYS as u32),
        op(RETURN, 0, 0, libc::SECCOMP_RET_ALLOW),
    ]
}

/// Confines the calling process to no file system and no network at all: what a document
/// parser gets, which reads its input from stdin and writes its answer to stdout. `Err` when the
/// kernel cannot enforce that, unless `allow_unconfined` (`system.unconfined_children`).
pub fn confine_to_stdio(allow_unconfined: bool) -> Result<String, SandboxError> {
    let landlock = landlock_note(required_ruleset().and_then(enforce), allow_unconfined)?;
    filter_sockets(Sockets::None)?;
    Ok(format!("{landlock}, seccomp: no socket"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a classic BPF program of the four kinds of instruction [`refuse_x32`] uses returns
    /// for a system call (the kernel's own interpreter, in a few lines).
    fn run(program: &[seccompiler::sock_filter], arch: u32, nr: u32) -> u32 {
        let (mut pc, mut accumulator) = (0usize, 0u32);
        loop {
            let op = &program[pc];
            match op.code {
                0x20 => accumulator = if op.k == 4 { arch } else { nr },
                0x15 | 0x35 => {
                    let taken = if op.code == 0x15 { accumulator == op.k } else { accumulator >= op.k };
                    pc += usize::from(if taken { op.jt } else { op.jf });
                }
                0x06 => return op.k,
                other => panic!("unexpected instruction {other:#x}"),
            }
            pc += 1;
        }
    }

    #[test]
    #[cfg(target_arch = "x86_64")]
    fn x32_calls_are_refused_and_every_other_call_goes_on() {
        let program = refuse_x32();
        let x86_64 = 0xc000_003e;
        let enosys = libc::SECCOMP_RET_ERRNO | libc::ENOSYS as u32;
        let socket = libc::SYS_socket as u32;
        assert_eq!(run(&program, x86_64, 0x4000_0000 | socket), enosys, "x32 socket()");
        assert_eq!(run(&program, x86_64, 0x4000_0000 | libc::SYS_io_uring_setup as u32), enosys);
        assert_eq!(run(&program, x86_64, socket), libc::SECCOMP_RET_ALLOW, "left to the socket filter");
        assert_eq!(run(&program, x86_64, libc::SYS_read as u32), libc::SECCOMP_RET_ALLOW);
        // i386 calls go on here; the other filters kill a process that makes one.
        assert_eq!(run(&program, 0x4000_0003, 0x4000_0000 | 102), libc::SECCOMP_RET_ALLOW);
    }
}
