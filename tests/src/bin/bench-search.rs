//! Search latency on a jar of about 10,000 chunks, through stingd's HTTP API with everything
//! real: OpenBao (documents sealed with their own keys), PostgreSQL's full-text index, and the
//! snippets opened for each answer.
//!
//!   cargo build --release -p stingd -p sting-e2e --bin bench-search
//!   eval "$(sudo tests/env/setup.sh)"
//!   target/release/bench-search --stingd target/release/stingd [--documents 200] [--queries 400]
//!                               [--vocabulary 20000] [--embeddings $STING_TEST_EMBEDDING_MODEL]
//!
//! Documents are generated from a fixed seed (about 50 chunks each), uploaded through the API,
//! then queries (one to three words of the corpus) are sent one at a time. Words are drawn
//! Zipf-distributed from a vocabulary of `--vocabulary` words, as in natural text; with
//! `--vocabulary 43` every chunk holds nearly every word, the worst case for ranking.

use std::time::Instant;

use sting_e2e::site::BenchSite;

const WORDS: &[&str] = &[
    "hive",
    "queen",
    "drone",
    "worker",
    "nectar",
    "pollen",
    "propolis",
    "frame",
    "super",
    "brood",
    "swarm",
    "smoker",
    "varroa",
    "mite",
    "winter",
    "feeding",
    "syrup",
    "extractor",
    "comb",
    "wax",
    "foundation",
    "inspection",
    "colony",
    "apiary",
    "forage",
    "clover",
    "lavender",
    "heather",
    "acacia",
    "harvest",
    "jar",
    "label",
    "market",
    "orchard",
    "pesticide",
    "meadow",
    "nucleus",
    "split",
    "requeen",
    "temperament",
    "ventilation",
    "moisture",
    "entrance",
];

fn main() -> anyhow::Result<()> {
    tokio::runtime::Builder::new_multi_thread().enable_all().build()?.block_on(run())
}

async fn run() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let value = |flag: &str| args.iter().position(|a| a == flag).and_then(|i| args.get(i + 1)).cloned();
    let stingd_bin = value("--stingd").unwrap_or_else(|| "target/release/stingd".into());
    let documents: usize = value("--documents").map_or(200, |d| d.parse().unwrap());
    let queries: usize = value("--queries").map_or(400, |q| q.parse().unwrap());
    let vocabulary_size: usize = value("--vocabulary").map_or(20_000, |v| v.parse().unwrap());
    // The beekeeping words first (the most frequent), then made-up words of two or three syllables.
    const SYLLABLES: &[&str] =
        &["ka", "lo", "mi", "ne", "ru", "ta", "ve", "so", "pi", "da", "ge", "hu", "zo", "fi", "bre", "str"];
    let vocabulary: Vec<String> = WORDS
        .iter()
        .map(|w| w.to_string())
        .chain((0..).map(|i: usize| {
            let parts = 2 + i % 2;
            (0..parts).map(|k| SYLLABLES[(i / SYLLABLES.len().pow(k as u32)) % SYLLABLES.len()]).collect::<String>()
                + &(i / 4096).to_string()
        }))
        .take(vocabulary_size.max(1))
        .collect();
    // Zipf's law: the r-th word is used in proportion to 1/r.
    let mut cumulative = Vec::with_capacity(vocabulary.len());
    let mut total = 0.0f64;
    for rank in 1..=vocabulary.len() {
        total += 1.0 / rank as f64;
        cumulative.push(total);
    }

    let embeddings = match value("--embeddings") {
        Some(dir) => format!("  embeddings:\n    model: {dir}\n"),
        None => String::new(),
    };
    let site = BenchSite::start(
        std::path::Path::new(&stingd_bin),
        &format!("honey_jars:\n  user_quota: 10g\n  min_score: 0.01\n{embeddings}pii:\n  enabled: false\n"),
    )
    .await?;
    let jar = site.new_jar("Bench").await?;

    // Documents of about 50 chunks each, from a fixed seed.
    let mut state: u64 = 0x5eed_0042;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let started = Instant::now();
    let mut bytes = 0usize;
    let mut chunks = 0u64;
    for d in 0..documents {
        let mut text = String::new();
        for section in 0..10 {
            text.push_str(&format!("# Section {section} of notebook {d}\n\n"));
            for _ in 0..5 {
                let sentence: Vec<&str> = (0..110).map(|_| zipf(&mut next, &vocabulary, &cumulative)).collect();
                text.push_str(&sentence.join(" "));
                text.push_str(".\n\n");
            }
        }
        bytes += text.len();
        let stored: serde_json::Value = site
            .post(&format!("/api/jars/{jar}/documents?name=notebook-{d}.md"))
            .body(text)
            .send()
            .await?
            .json()
            .await?;
        chunks += stored["chunks"].as_u64().unwrap_or_else(|| panic!("upload failed: {stored}"));
    }
    let upload = started.elapsed().as_secs_f64();
    println!(
        "ingestion: {documents} documents, {chunks} chunks, {:.1} MB in {upload:.1} s = {:.2} MB/s through the API (one at a time)",
        bytes as f64 / 1e6,
        bytes as f64 / 1e6 / upload
    );

    let mut latencies = Vec::with_capacity(queries);
    let mut results = 0usize;
    for _ in 0..queries {
        let n = 1 + (next() % 3) as usize;
        let q: Vec<&str> = (0..n).map(|_| zipf(&mut next, &vocabulary, &cumulative)).collect();
        let t = Instant::now();
        let answer: serde_json::Value =
            site.get(&format!("/api/search?q={}&limit=10", q.join("+"))).send().await?.json().await?;
        latencies.push(t.elapsed().as_secs_f64() * 1000.0);
        results += answer["results"].as_array().map_or(0, Vec::len);
    }
    latencies.sort_by(f64::total_cmp);
    let at = |p: f64| latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)];
    println!(
        "search over {chunks} chunks ({} words, Zipf): {queries} queries, p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms ({:.1} results each)",
        vocabulary.len(),
        at(0.5),
        at(0.9),
        at(0.99),
        results as f64 / queries as f64,
    );
    Ok(())
}

fn zipf<'a>(next: &mut impl FnMut() -> u64, vocabulary: &'a [String], cumulative: &[f64]) -> &'a str {
    let u = (next() as f64 / u64::MAX as f64) * cumulative.last().copied().unwrap_or(1.0);
    let i = cumulative.partition_point(|c| *c < u).min(vocabulary.len() - 1);
    &vocabulary[i]
}
