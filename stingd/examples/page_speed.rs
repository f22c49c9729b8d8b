//! What the web app costs: the server's time to render a conversation of 200 messages (answers
//! with Markdown, code and citations) beside the same messages as escaped text alone (the
//! floor: no Markdown, no highlighting), with the ratio; and the weight of the script and style
//! every page loads, raw and gzip-compressed.
//!
//!   cargo run --release -p stingd --example page_speed

use std::io::Write;
use std::time::Instant;

use stingd::bee::conversations::{Citation, Message};
use stingd::web::markdown::Markdown;

const ANSWER: &str = "Propolis is made from **tree resin** [1]. To keep a hive through winter:\n\n\
    1. leave about twenty kilograms of honey [2];\n2. reduce the entrance;\n3. check the frames weekly.\n\n\
    | month | task |\n| --- | --- |\n| May | watch for swarms |\n| October | feed if light |\n\n\
    ```python\ndef honey_needed(frames: int) -> float:\n    # about 2.5 kg per frame\n    return frames * 2.5\n```\n";

fn messages(count: usize, plain: bool) -> Vec<Message> {
    let citation = |number: usize| Citation {
        number,
        jar: uuid::Uuid::nil(),
        document: uuid::Uuid::nil(),
        document_name: "guide.md".into(),
        chunk: number as i32,
        heading: "Hive care".into(),
        score: 1.0,
        cited: true,
    };
    (0..count)
        .map(|i| {
            let from_user = i % 2 == 0;
            Message {
                seq: i as i32,
                // The floor renders every message as a question: escaped text, nothing more.
                role: if from_user || plain { "user" } else { "assistant" }.into(),
                content: if from_user { "How do I keep a hive through winter?".into() } else { ANSWER.into() },
                sources: if from_user { Vec::new() } else { vec![citation(1), citation(2)] },
                pii: Vec::new(),
                usage: None,
                finish_reason: Some("stop".into()),
                created_at: 1_700_000_000,
            }
        })
        .collect()
}

fn time(markdown: &Markdown, plain: bool, rounds: u32) -> (f64, usize) {
    let mut bytes = 0;
    let started = Instant::now();
    for _ in 0..rounds {
        bytes = stingd::web::bee::render_messages(markdown, messages(200, plain));
    }
    (started.elapsed().as_secs_f64() * 1000.0 / rounds as f64, bytes)
}

fn main() {
    let markdown = Markdown::default();
    // The first render loads the grammars once per process: timed apart.
    let started = Instant::now();
    stingd::web::bee::render_messages(&markdown, messages(2, false));
    println!("first render (loads the highlighting grammars): {:.1} ms", started.elapsed().as_secs_f64() * 1000.0);
    let rounds = 20;
    let (full, full_bytes) = time(&markdown, false, rounds);
    let (floor, floor_bytes) = time(&markdown, true, rounds);
    println!("200 messages, Markdown + code + citations: {full:.2} ms ({full_bytes} bytes of HTML)");
    println!("200 messages as escaped text only:        {floor:.2} ms ({floor_bytes} bytes of HTML)");
    println!("ratio: {:.1}x", full / floor);

    let web = stingd::web::Web::default();
    let (mut raw, mut packed) = (0, 0);
    let mut files: Vec<_> = web.assets.files().collect();
    files.sort();
    for (name, body) in files {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        encoder.write_all(body).unwrap();
        let compressed = encoder.finish().unwrap().len();
        println!("{name}: {} bytes, {compressed} gzipped", body.len());
        if name.ends_with(".js") || name.ends_with(".css") {
            raw += body.len();
            packed += compressed;
        }
    }
    println!("script and style every page loads: {raw} bytes, {packed} gzipped (goal: under 100 kB compressed)");
}
