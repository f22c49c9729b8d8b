//! The launcher that confines model processes (Landlock and seccomp), tried on ordinary
//! programs: what it allows works, what it does not is refused by the kernel; and on a kernel
//! without Landlock (simulated: its system calls answer ENOSYS, as an old kernel's do) neither a
//! model process nor the document reader starts unless the operator said so.

// `pre_exec` installs the simulated old kernel in the child.
#![allow(unsafe_code)]

use std::os::unix::process::CommandExt;
use std::process::Command;

fn confined(read: &std::path::Path, port: u16, program: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_stingd"))
        .arg("sandbox-exec")
        .arg("--read")
        .arg(read)
        .args(["--port", &port.to_string(), "--"])
        .args(program)
        .output()
        .unwrap()
}

#[test]
fn a_confined_program_reads_its_model_and_nothing_else_and_connects_nowhere() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("model.gguf");
    let secret = dir.path().join("secret.txt");
    std::fs::write(&model, "weights").unwrap();
    std::fs::write(&secret, "the unseal key").unwrap();

    let allowed = confined(&model, 1, &["/bin/cat", model.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&allowed.stderr);
    assert!(
        stderr.contains("stingd-sandbox: landlock fully enforced, seccomp"),
        "this kernel should support Landlock: {stderr}"
    );
    assert!(allowed.status.success(), "{stderr}");
    assert_eq!(String::from_utf8_lossy(&allowed.stdout), "weights");

    let denied = confined(&model, 1, &["/bin/cat", secret.to_str().unwrap()]);
    assert!(!denied.status.success());
    assert!(String::from_utf8_lossy(&denied.stderr).contains("Permission denied"));
    assert!(denied.stdout.is_empty());

    // No outgoing connection, even to loopback.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let connect =
        confined(&model, 1, &["/bin/bash", "-c", &format!("exec 3<>/dev/tcp/127.0.0.1/{port} && echo connected")]);
    assert!(!connect.status.success(), "{}", String::from_utf8_lossy(&connect.stdout));
    assert!(String::from_utf8_lossy(&connect.stderr).contains("Permission denied"));
}

#[test]
fn a_missing_program_is_a_clear_error() {
    let out = confined(std::path::Path::new("/nonexistent"), 1, &["/nonexistent/llama-server"]);
    assert_eq!(out.status.code(), Some(127));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot execute /nonexistent/llama-server"));
}

#[test]
fn a_confined_program_reads_none_of_etc_but_what_the_loader_needs_and_sends_no_udp() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("model.gguf");
    std::fs::write(&model, "weights").unwrap();
    // The image keeps stingd's config, gateway key, TLS key and Vault login under /etc/sting.
    for secret in ["/etc/passwd", "/etc/shadow", "/etc/hostname"] {
        let denied = confined(&model, 1, &["/bin/cat", secret]);
        assert!(!denied.status.success(), "{secret} was readable");
        assert!(String::from_utf8_lossy(&denied.stderr).contains("Permission denied"), "{secret}");
    }

    // A UDP listener of the test's on loopback hears nothing from the child.
    let listener = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    listener.set_read_timeout(Some(std::time::Duration::from_millis(300))).unwrap();
    let port = listener.local_addr().unwrap().port();
    let sent = confined(&model, 1, &["/bin/bash", "-c", &format!("echo leaked > /dev/udp/127.0.0.1/{port}")]);
    assert!(!sent.status.success(), "{}", String::from_utf8_lossy(&sent.stderr));
    assert!(
        String::from_utf8_lossy(&sent.stderr).contains("Permission denied"),
        "{}",
        String::from_utf8_lossy(&sent.stderr)
    );
    let mut buf = [0u8; 64];
    assert!(listener.recv(&mut buf).is_err(), "a datagram got through");
}

/// Python, to make the sockets bash cannot.
const PYTHON: &str = "/usr/bin/python3";

#[test]
fn a_confined_program_gets_no_stream_socket_landlock_does_not_see_and_no_fast_open() {
    assert!(std::path::Path::new(PYTHON).exists(), "{PYTHON} is needed: apt-get install -y python3");
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("model.gguf");
    std::fs::write(&model, "weights").unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    let python = |script: &str| {
        let out = confined(&model, 1, &[PYTHON, "-c", script]);
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).to_string(),
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    };
    // A plain TCP socket is created (Landlock then decides where it may connect): the filter
    // refuses no more than it must.
    let (ok, stdout, stderr) =
        python("import socket; socket.socket(socket.AF_INET, socket.SOCK_STREAM, 6); print('made')");
    assert!(ok && stdout.trim() == "made", "{stderr}");
    // MPTCP (262) and SCTP (132) streams: Landlock's TCP rules do not cover them.
    for protocol in [262, 132] {
        let (ok, _, stderr) =
            python(&format!("import socket; socket.socket(socket.AF_INET, socket.SOCK_STREAM, {protocol})"));
        assert!(!ok && stderr.contains("Permission denied"), "protocol {protocol}: {stderr}");
    }
    // A Fast Open send connects without `connect()`.
    let script = format!(
        "import socket; s = socket.socket(socket.AF_INET, socket.SOCK_STREAM); \
         s.sendto(b'leaked', socket.MSG_FASTOPEN, ('127.0.0.1', {port}))"
    );
    let (ok, _, stderr) = python(&script);
    assert!(!ok && stderr.contains("Permission denied"), "{stderr}");
    assert!(listener.accept().is_err(), "a connection got through");
}

/// A seccomp filter that makes Landlock's system calls fail with ENOSYS, as on a kernel that has
/// none, for the process about to run.
fn without_landlock(command: &mut Command) -> &mut Command {
    use seccompiler::{SeccompAction, SeccompFilter};
    let rules = [libc::SYS_landlock_create_ruleset, libc::SYS_landlock_add_rule, libc::SYS_landlock_restrict_self]
        .into_iter()
        .map(|call| (call, vec![]))
        .collect();
    let filter = SeccompFilter::new(
        rules,
        SeccompAction::Allow,
        SeccompAction::Errno(libc::ENOSYS as u32),
        std::env::consts::ARCH.try_into().unwrap(),
    )
    .unwrap();
    let program: seccompiler::BpfProgram = filter.try_into().unwrap();
    // SAFETY: between fork and exec, two system calls (prctl, seccomp) on memory built before.
    unsafe {
        command.pre_exec(move || seccompiler::apply_filter(&program).map_err(std::io::Error::other));
    }
    command
}

#[test]
fn without_landlock_nothing_starts_unconfined_unless_the_operator_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("model.gguf");
    std::fs::write(&model, "weights").unwrap();
    let launch = |extra: &[&str]| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_stingd"));
        command.arg("sandbox-exec").arg("--read").arg(&model).args(["--port", "1"]).args(extra);
        command.args(["--", "/bin/cat"]).arg(&model);
        without_landlock(&mut command).output().unwrap()
    };
    let refused = launch(&[]);
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(127), "{stderr}");
    assert!(stderr.contains("cannot enforce the sandbox") && stderr.contains("system.unconfined_children"), "{stderr}");
    assert!(refused.stdout.is_empty(), "the program did not run");

    let allowed = launch(&["--allow-unconfined"]);
    let stderr = String::from_utf8_lossy(&allowed.stderr);
    assert!(allowed.status.success() && stderr.contains("UNCONFINED"), "{stderr}");
    assert_eq!(String::from_utf8_lossy(&allowed.stdout), "weights");
    // Without Landlock, the socket filter still holds.
    let listener = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let mut command = Command::new(env!("CARGO_BIN_EXE_stingd"));
    command.arg("sandbox-exec").arg("--read").arg(&model).args(["--port", "1", "--allow-unconfined", "--"]);
    command.args(["/bin/bash", "-c", &format!("echo leaked > /dev/udp/127.0.0.1/{port}")]);
    let udp = without_landlock(&mut command).output().unwrap();
    let stderr = String::from_utf8_lossy(&udp.stderr);
    assert!(!udp.status.success() && stderr.contains("Permission denied"), "{stderr}");

    // The document reader too.
    let reader = |extra: &[&str]| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_stingd"));
        command.args(["extract", "--type", "text", "--memory", "1073741824", "--cpu", "10", "--max-text", "1000"]);
        command.args(extra).stdin(std::process::Stdio::null());
        without_landlock(&mut command).output().unwrap()
    };
    let refused = reader(&[]);
    assert_eq!(refused.status.code(), Some(6), "{}", String::from_utf8_lossy(&refused.stderr));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("system.unconfined_children"));
}
