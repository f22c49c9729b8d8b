//! `stingd pii scan`: what an operator checking a file before upload sees.

use std::io::Write;
use std::process::{Command, Stdio};

fn scan(args: &[&str], stdin: &str) -> (Option<i32>, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_stingd"))
        .args(["pii", "scan"])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    (out.status.code(), String::from_utf8_lossy(&out.stdout).into(), String::from_utf8_lossy(&out.stderr).into())
}

#[test]
fn findings_come_with_offsets_kinds_and_rules_but_never_the_values() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("letter.txt");
    let text = "Dear team,\nplease refund card 4111 1111 1111 1111 and write to jane@example.org.\n";
    std::fs::write(&file, text).unwrap();
    let (code, stdout, _) = scan(&["--json", file.to_str().unwrap()], "");
    assert_eq!(code, Some(1), "something found");
    let doc: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let findings = doc["findings"].as_array().unwrap();
    let card = findings.iter().find(|f| f["kind"] == "credit-card").unwrap();
    let (start, end) = (card["start"].as_u64().unwrap() as usize, card["end"].as_u64().unwrap() as usize);
    assert_eq!(&text[start..end], "4111 1111 1111 1111");
    assert_eq!(card["rule"], "card-luhn");
    assert!(findings.iter().any(|f| f["kind"] == "email"));
    assert!(!stdout.contains("4111") && !stdout.contains("jane@"), "values are never printed: {stdout}");

    let (code, stdout, stderr) = scan(&[], "nothing personal in here\n");
    assert_eq!((code, stdout.as_str()), (Some(0), ""));
    assert!(stderr.contains("0 findings"));

    let (code, _, stderr) = scan(&[dir.path().join("missing.txt").to_str().unwrap()], "");
    assert_eq!(code, Some(2));
    assert!(stderr.contains("cannot read") && stderr.contains("missing.txt"), "{stderr}");
}
