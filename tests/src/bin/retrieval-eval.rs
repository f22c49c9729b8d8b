//! Retrieval quality on the committed corpus (`tests/retrieval-corpus`): the ten documents
//! uploaded through stingd's API (sealed, chunked and indexed as for anyone), then every question
//! asked of `/api/search`, with the matching Bee uses (`any`), the search box's default (`auto`:
//! every word, else any) and strict `all`.
//! Prints recall@5 (the section that answers among the first five results) and MRR (the mean of
//! 1/rank of that section, 0 when it is not in the first ten), and each question missed.
//!
//!   cargo build --release -p stingd -p sting-e2e --bin retrieval-eval
//!   eval "$(tests/env/setup.sh --print-env)"
//!   target/release/retrieval-eval --stingd target/release/stingd [--corpus tests/retrieval-corpus]
//!                                 [--embeddings $STING_TEST_EMBEDDING_MODEL]
//!
//! With `--embeddings`, stingd fuses full-text and embedding rankings (hybrid search).

use std::path::PathBuf;

use sting_e2e::site::BenchSite;

struct Question {
    question: String,
    document: String,
    heading: String,
}

fn question(line: &str) -> anyhow::Result<Question> {
    let value: serde_json::Value = serde_json::from_str(line)?;
    let field =
        |key: &str| value[key].as_str().map(str::to_string).ok_or_else(|| anyhow::anyhow!("`{key}` missing in {line}"));
    Ok(Question { question: field("question")?, document: field("document")?, heading: field("heading")? })
}

fn main() -> anyhow::Result<()> {
    tokio::runtime::Builder::new_multi_thread().enable_all().build()?.block_on(run())
}

async fn run() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let value = |flag: &str| args.iter().position(|a| a == flag).and_then(|i| args.get(i + 1)).cloned();
    let stingd = PathBuf::from(value("--stingd").unwrap_or_else(|| "target/release/stingd".into()));
    let corpus = PathBuf::from(value("--corpus").unwrap_or_else(|| "tests/retrieval-corpus".into()));
    let questions: Vec<Question> = std::fs::read_to_string(corpus.join("questions.jsonl"))?
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(question)
        .collect::<Result<_, _>>()?;

    // The floor as installed, so what it cuts counts as missed.
    let embeddings = match value("--embeddings") {
        Some(dir) => format!("honey_jars:\n  embeddings:\n    model: {dir}\n"),
        None => String::new(),
    };
    let site = BenchSite::start(&stingd, &format!("pii:\n  enabled: false\n{embeddings}")).await?;
    let jar = site.new_jar("Handbook").await?;
    let mut names: Vec<PathBuf> =
        std::fs::read_dir(corpus.join("documents"))?.map(|e| e.map(|e| e.path())).collect::<Result<_, _>>()?;
    names.sort();
    for path in &names {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let stored =
            site.post(&format!("/api/jars/{jar}/documents?name={name}")).body(std::fs::read(path)?).send().await?;
        anyhow::ensure!(stored.status() == 201, "cannot upload {name}: {}", stored.text().await?);
    }

    for matching in ["any", "auto", "all"] {
        let (mut found, mut reciprocal) = (0usize, 0f64);
        let mut missed = Vec::new();
        for q in &questions {
            let answer: serde_json::Value = site
                .get(&format!("/api/search?q={}&match={matching}&limit=10", encode(&q.question)))
                .send()
                .await?
                .json()
                .await?;
            let results = answer["results"].as_array().cloned().unwrap_or_default();
            let rank = results.iter().position(|r| {
                r["document_name"] == q.document && r["heading"].as_str().is_some_and(|h| h.ends_with(&q.heading))
            });
            match rank {
                Some(r) => {
                    reciprocal += 1.0 / (r + 1) as f64;
                    if r < 5 {
                        found += 1;
                    } else {
                        missed.push(format!("rank {}: {}", r + 1, q.question));
                    }
                }
                None => missed.push(format!("not found: {}", q.question)),
            }
        }
        let n = questions.len() as f64;
        println!(
            "match={matching}: {} questions over {} documents: recall@5 {:.3}, MRR {:.3}",
            questions.len(),
            names.len(),
            found as f64 / n,
            reciprocal / n
        );
        for m in missed {
            println!("  {m}");
        }
    }
    Ok(())
}

/// Percent-encoding for a query string value.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
