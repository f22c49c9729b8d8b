//! Reading documents in the confined child (`stingd extract`): text, Markdown, HTML, PDF and
//! DOCX give their text; a malformed PDF, a file with no text, a decompression bomb and a
//! reader that takes too long give clear errors, and stingd is not hurt by any of them.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use stingd::honey_jars::ingest::extract::{ExtractError, Input, Limits, extract};
use stingd::honey_jars::ingest::sniff::{DocType, sniff};

fn stingd() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_stingd"))
}

fn file(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// A one-page PDF with a line of text in Helvetica, its cross-reference table computed.
fn pdf(line: &str) -> Vec<u8> {
    let content = format!("BT /F1 18 Tf 20 100 Td ({line}) Tj ET");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 400 144] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>"
            .to_string(),
        format!("<< /Length {} >>\nstream\n{content}\nendstream", content.len()),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_string(),
    ];
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, object) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{object}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes());
    for offset in offsets {
        out.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!("trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n", objects.len() + 1).as_bytes(),
    );
    out
}

/// A DOCX whose word/document.xml is `xml` (written in pieces, so it may be huge).
fn docx(path: &Path, pieces: impl Iterator<Item = Vec<u8>>) {
    let mut zip = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    zip.start_file("word/document.xml", zip::write::SimpleFileOptions::default()).unwrap();
    for piece in pieces {
        zip.write_all(&piece).unwrap();
    }
    zip.finish().unwrap();
}

#[tokio::test]
async fn each_kind_gives_its_text() {
    let dir = tempfile::tempdir().unwrap();
    let limits = Limits::default();
    let text = extract(
        &stingd(),
        Input::File(&file(dir.path(), "a.txt", "Grüße aus dem Bienenstock".as_bytes())),
        DocType::Text,
        limits,
    )
    .await
    .unwrap();
    assert_eq!(text.text, "Grüße aus dem Bienenstock");

    let html = b"<!doctype html><html><body><h1>Hive report</h1><p>Queens &amp; drones.</p><script>evil()</script></body></html>";
    let path = file(dir.path(), "page.html", html);
    assert_eq!(sniff(html, "page.html").unwrap(), DocType::Html);
    let text = extract(&stingd(), Input::File(&path), DocType::Html, limits).await.unwrap().text;
    assert!(text.contains("Hive report") && text.contains("Queens & drones."), "{text}");

    let bytes = pdf("Hello from the hive");
    assert_eq!(sniff(&bytes, "report.pdf").unwrap(), DocType::Pdf);
    let text = extract(&stingd(), Input::File(&file(dir.path(), "report.pdf", &bytes)), DocType::Pdf, limits)
        .await
        .unwrap()
        .text;
    assert!(text.contains("Hello from the hive"), "{text:?}");
    // The same from memory (re-indexing a stored document), with nothing written to disk.
    let from_memory = extract(&stingd(), Input::Bytes(bytes.clone()), DocType::Pdf, limits).await.unwrap().text;
    assert_eq!(from_memory, text);

    let path = dir.path().join("letter.docx");
    let xml = r#"<?xml version="1.0"?><w:document xmlns:w="w"><w:body>
        <w:p><w:pPr><w:pStyle w:val="Heading1"/></w:pPr><w:r><w:t>Minutes</w:t></w:r></w:p>
        <w:p><w:r><w:t>Honey &amp; wax</w:t></w:r><w:r><w:t xml:space="preserve"> were sold.</w:t></w:r></w:p>
        </w:body></w:document>"#;
    docx(&path, std::iter::once(xml.as_bytes().to_vec()));
    let text = extract(&stingd(), Input::File(&path), DocType::Docx, limits).await.unwrap().text;
    assert!(text.contains("# Minutes") && text.contains("Honey & wax were sold."), "{text:?}");
}

#[tokio::test]
async fn hostile_and_empty_files_fail_clearly_and_cost_only_the_child() {
    let dir = tempfile::tempdir().unwrap();
    let limits = Limits::default();
    let broken = file(dir.path(), "broken.pdf", b"%PDF-1.4\nthis is not really a PDF at all\n");
    let error = extract(&stingd(), Input::File(&broken), DocType::Pdf, limits).await.unwrap_err();
    assert!(matches!(error, ExtractError::Malformed(_)), "{error:?}");
    assert!(error.to_string().contains("not a readable PDF"), "{error}");

    let blank = file(dir.path(), "blank.txt", b"   \n\n  ");
    assert!(matches!(extract(&stingd(), Input::File(&blank), DocType::Text, limits).await, Err(ExtractError::NoText)));

    // A DOCX of about 1 MB that unpacks to 600 MB.
    let bomb = dir.path().join("bomb.docx");
    let head = b"<w:document><w:body><w:p><w:r><w:t>".to_vec();
    docx(&bomb, std::iter::once(head).chain((0..600).map(|_| vec![b'a'; 1 << 20])));
    assert!(std::fs::metadata(&bomb).unwrap().len() < 4 << 20);
    // With the default text limit, it is refused for its text before it costs memory.
    let error = extract(&stingd(), Input::File(&bomb), DocType::Docx, limits).await.unwrap_err();
    assert!(matches!(error, ExtractError::TooMuchText(_)), "{error:?}");
    assert!(error.to_string().contains("honey_jars.max_text_size"), "{error}");
    // With no text limit to speak of, the memory limit stops it.
    let unlimited = Limits { max_text: 1 << 40, ..limits };
    let small = Limits { memory: 256 << 20, cpu: Duration::from_secs(30), wall: Duration::from_secs(60), ..unlimited };
    let error = extract(&stingd(), Input::File(&bomb), DocType::Docx, small).await.unwrap_err();
    assert!(matches!(error, ExtractError::OutOfMemory(256)), "{error:?}");

    // The same file with memory to spare but little time: killed at the wall-clock limit.
    let hurried =
        Limits { memory: 8 << 30, cpu: Duration::from_secs(30), wall: Duration::from_millis(150), ..unlimited };
    let started = std::time::Instant::now();
    let error = extract(&stingd(), Input::File(&bomb), DocType::Docx, hurried).await.unwrap_err();
    assert!(matches!(error, ExtractError::TooSlow(_)), "{error:?}");
    assert!(started.elapsed() < Duration::from_secs(5), "the child is killed, not waited for");
}

#[tokio::test]
async fn a_reader_that_floods_its_answer_is_stopped_at_the_text_limit() {
    use std::os::unix::fs::PermissionsExt;
    // A reader gone wrong: it ignores the document and writes without end.
    let dir = tempfile::tempdir().unwrap();
    let flood = file(dir.path(), "flood", b"#!/bin/sh\nexec yes 'all work and no play'\n");
    std::fs::set_permissions(&flood, std::fs::Permissions::from_mode(0o755)).unwrap();
    // Time enough that only the text limit can stop it.
    let limits = Limits { max_text: 1 << 20, wall: Duration::from_secs(600), ..Limits::default() };
    let error = extract(&flood, Input::Bytes(b"a note".to_vec()), DocType::Text, limits).await.unwrap_err();
    assert!(matches!(error, ExtractError::TooMuchText(_)), "{error:?}");
    assert!(error.to_string().contains("honey_jars.max_text_size"), "{error}");
}
