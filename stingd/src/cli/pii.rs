//! `stingd pii scan`: what a text contains. Its exit status is its answer (1 found, 0 none,
//! 2 an error), so it keeps its own exits.

use std::path::Path;
use std::process::ExitCode;

pub fn scan(json: bool, min_score: f32, file: Option<&Path>) -> ExitCode {
    use std::io::Read;
    let mut bytes = Vec::new();
    let read = match file.filter(|f| f.as_os_str() != "-") {
        Some(path) => std::fs::File::open(path).and_then(|mut f| f.read_to_end(&mut bytes)),
        None => std::io::stdin().read_to_end(&mut bytes),
    };
    if let Err(e) = read {
        eprintln!("error: cannot read {}: {e}", file.map_or("stdin".into(), |f| f.display().to_string()));
        return ExitCode::from(2);
    }
    // Invalid UTF-8 is replaced, byte for byte where possible, so offsets stay close.
    let text = String::from_utf8_lossy(&bytes);
    let findings = sting_pii::Scanner::new(sting_pii::Kind::ALL, min_score).scan(&text);
    if json {
        println!("{}", serde_json::json!({ "findings": findings }));
    } else {
        for f in &findings {
            println!("{}-{}\t{}\t{:.2}\t{}", f.start, f.end, f.kind, f.score, f.rule);
        }
        eprintln!("{} finding{}", findings.len(), if findings.len() == 1 { "" } else { "s" });
    }
    ExitCode::from(if findings.is_empty() { 0 } else { 1 })
}
