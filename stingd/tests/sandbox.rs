//! The launcher that confines model processes with Landlock, tried on ordinary programs: what
//! it allows works, what it does not is refused by the kernel.

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
        stderr.contains("stingd-sandbox: landlock fully enforced"),
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
