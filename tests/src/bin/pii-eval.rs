//! Accuracy of PII detection on a labelled corpus (tests/pii-corpus): precision, recall and F2
//! per kind for sting-pii, and beside it for any other detector's predictions on the same
//! corpus (Presidio's, from tests/pii-corpus/compare.sh).
//!
//!   target/release/pii-eval tests/pii-corpus/eval-seed-2026.jsonl [--predictions presidio=FILE]
//!
//! Scoring: `sting_pii::eval` (overlap of the same kind; F2 weighs recall double).

use serde_json::Value;
use sting_pii::Scanner;
use sting_pii::eval::{Span, score};

fn spans(value: &Value) -> Vec<Span> {
    value["spans"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|s| Span {
            start: s["start"].as_u64().unwrap() as usize,
            end: s["end"].as_u64().unwrap() as usize,
            kind: s["kind"].as_str().unwrap().to_string(),
        })
        .collect()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let corpus_path = args.get(1).expect("usage: pii-eval CORPUS.jsonl [--predictions NAME=FILE]...");
    let corpus: Vec<Value> = std::fs::read_to_string(corpus_path)
        .expect("the corpus")
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    let gold: Vec<Vec<Span>> = corpus.iter().map(spans).collect();
    let scanner = Scanner::all();
    let ours: Vec<Vec<Span>> = corpus
        .iter()
        .map(|c| {
            scanner
                .scan(c["text"].as_str().unwrap())
                .into_iter()
                .map(|f| Span { start: f.start, end: f.end, kind: f.kind.name().to_string() })
                .collect()
        })
        .collect();
    // `--misses KIND`: print what sting missed of that kind (for tuning, on a tuning seed only).
    if let Some(i) = args.iter().position(|a| a == "--misses") {
        let kind = &args[i + 1];
        for ((c, g), o) in corpus.iter().zip(&gold).zip(&ours) {
            let text = c["text"].as_str().unwrap();
            for span in g.iter().filter(|s| &s.kind == kind) {
                if !o.iter().any(|p| p.kind == span.kind && p.start < span.end && span.start < p.end) {
                    println!("missed {kind}: {:?} in {text:?}", &text[span.start..span.end]);
                }
            }
        }
        return;
    }
    let mut detectors = vec![("sting".to_string(), score(&gold, &ours))];
    for (i, arg) in args.iter().enumerate() {
        if arg == "--predictions" {
            let (name, file) = args[i + 1].split_once('=').expect("NAME=FILE");
            let predicted: Vec<Vec<Span>> = std::fs::read_to_string(file)
                .expect("the predictions")
                .lines()
                .map(|l| spans(&serde_json::from_str(l).expect("a JSON line")))
                .collect();
            assert_eq!(predicted.len(), gold.len(), "{name}: one line per corpus line");
            detectors.push((name.to_string(), score(&gold, &predicted)));
        }
    }
    let kinds: std::collections::BTreeSet<&String> = detectors.iter().flat_map(|(_, c)| c.keys()).collect();
    print!("{:<15}", "kind");
    for (name, _) in &detectors {
        print!(" | {:<8} {:>5} {:>5} {:>5}", name, "P", "R", "F2");
    }
    println!();
    for kind in kinds {
        print!("{kind:<15}");
        for (_, counts) in &detectors {
            match counts.get(kind) {
                Some(c) => print!(" | {:<8} {:>5.3} {:>5.3} {:>5.3}", "", c.precision(), c.recall(), c.f2()),
                None => print!(" | {:<8} {:>5} {:>5} {:>5}", "", "-", "-", "-"),
            }
        }
        println!();
    }
}
