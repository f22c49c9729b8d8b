//! What the web app costs: the server's time to render a conversation of 200 messages (answers
//! with Markdown, code and citations) with the answers' HTML stored when they were made, beside
//! the same page rendering every answer at the view and the same messages as escaped text alone
//! (the floor), with the ratios; and the weight of the script and style every page loads, raw
//! and gzip-compressed.
//!
//!   cargo run --release -p stingd --example page_speed

use std::io::Write;
use std::time::Instant;

use stingd::bee::conversations::render_answer;
use stingd::bee::conversations::{Citation, Message};
use stingd::markdown::Markdown;

const ANSWER: &str = "Propolis is made from **tree resin** [1]. To keep a hive through winter:\n\n\
    1. leave about twenty kilograms of honey [2];\n2. reduce the entrance;\n3. check the frames weekly.\n\n\
    | month | task |\n| --- | --- |\n| May | watch for swarms |\n| October | feed if light |\n\n\
    ```python\ndef honey_needed(frames: int) -> float:\n    # about 2.5 kg per frame\n    return frames * 2.5\n```\n";

/// How the answers come to the page: with the HTML stored when they were made (as Bee stores
/// them now), rendered at the view (an answer stored by an older renderer), or as escaped text.
#[derive(Clone, Copy, PartialEq)]
enum Answers {
    Stored,
    RenderedAtView,
    Plain,
}

fn messages(markdown: &Markdown, count: usize, answers: Answers) -> Vec<Message> {
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
            let sources = if from_user { Vec::new() } else { vec![citation(1), citation(2)] };
            let content: String = if from_user { "How do I keep a hive through winter?".into() } else { ANSWER.into() };
            let rendered =
                (!from_user && answers == Answers::Stored).then(|| render_answer(markdown, &content, &sources));
            Message {
                seq: i as i32,
                // The floor renders every message as a question: escaped text, nothing more.
                role: if from_user || answers == Answers::Plain { "user" } else { "assistant" }.into(),
                content,
                sources,
                pii: Vec::new(),
                usage: None,
                finish_reason: Some("stop".into()),
                created_at: 1_700_000_000,
                rendered,
            }
        })
        .collect()
}

/// Milliseconds a page of 200 messages takes, made ready beforehand (outside the timing) or
/// rendered at the view, and the bytes of HTML.
fn time(markdown: &Markdown, answers: Answers, rounds: u32) -> (f64, usize) {
    let mut total = 0.0;
    let mut bytes = 0;
    for _ in 0..rounds {
        let mut batch = messages(markdown, 200, answers);
        let started = Instant::now();
        if answers == Answers::RenderedAtView {
            for m in batch.iter_mut().filter(|m| m.role != "user") {
                m.rendered = Some(render_answer(markdown, &m.content, &m.sources));
            }
        }
        bytes = stingd::web::bee::render_messages(batch);
        total += started.elapsed().as_secs_f64() * 1000.0;
    }
    (total / rounds as f64, bytes)
}

/// Milliseconds to open 200 sealed messages (AES-256-GCM, then JSON) as a page does before it
/// renders: the stored HTML makes each sealed message bigger, and this is what that costs.
fn open_sealed(markdown: &Markdown, rounds: u32) -> f64 {
    use aes_gcm::aead::{Aead, KeyInit, Payload};
    let cipher = aes_gcm::Aes256Gcm::new_from_slice(&[7u8; 32]).unwrap();
    let nonce = aes_gcm::Nonce::from_slice(&[1u8; 12]);
    let sealed: Vec<Vec<u8>> = messages(markdown, 200, Answers::Stored)
        .iter()
        .map(|m| {
            let body = serde_json::json!({"content": m.content, "sources": m.sources, "rendered": m.rendered});
            let plain = serde_json::to_vec(&body).unwrap();
            cipher.encrypt(nonce, Payload { msg: &plain, aad: b"c:1" }).unwrap()
        })
        .collect();
    let started = Instant::now();
    for _ in 0..rounds {
        for s in &sealed {
            let plain = cipher.decrypt(nonce, Payload { msg: s, aad: b"c:1" }).unwrap();
            let value: serde_json::Value = serde_json::from_slice(&plain).unwrap();
            std::hint::black_box(value);
        }
    }
    started.elapsed().as_secs_f64() * 1000.0 / rounds as f64
}

fn main() {
    let markdown = Markdown::default();
    // The first render loads the grammars once per process: timed apart.
    let started = Instant::now();
    render_answer(&markdown, ANSWER, &[]);
    println!("first render (loads the highlighting grammars): {:.1} ms", started.elapsed().as_secs_f64() * 1000.0);
    let rounds = 20;
    let (stored, stored_bytes) = time(&markdown, Answers::Stored, rounds);
    let (at_view, _) = time(&markdown, Answers::RenderedAtView, rounds);
    let (floor, floor_bytes) = time(&markdown, Answers::Plain, rounds);
    let opening = open_sealed(&markdown, rounds);
    println!("200 messages, answers' HTML stored with them: {stored:.2} ms ({stored_bytes} bytes of HTML)");
    println!("200 messages, every answer rendered at view:  {at_view:.2} ms");
    println!("200 messages as escaped text only (floor):     {floor:.2} ms ({floor_bytes} bytes of HTML)");
    println!("opening the 200 sealed messages (AES-GCM + JSON): {opening:.2} ms");
    println!("ratio stored/floor: {:.1}x; rendered at view/stored: {:.1}x", stored / floor, at_view / stored);

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
