//! Text out of a document, in a child process that cannot hurt stingd: stingd runs itself as
//! `stingd extract --type T`, with the file on stdin and the text as JSON on stdout. The child
//! limits its own address space and CPU time (setrlimit) and gives up all file system and
//! network access (Landlock) before it reads a byte; stingd kills it if it runs past the wall-
//! clock limit. A parser bug, a decompression bomb or a file built to loop costs one child.

use std::io::Read;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::sniff::DocType;

/// The hidden subcommand the child runs.
pub const SUBCOMMAND: &str = "extract";
/// The exit status of a child that found the document malformed (its reason on stderr).
const MALFORMED: i32 = 3;
/// The exit status of a child that ran into its memory limit and could say so.
const OUT_OF_MEMORY: i32 = 4;

/// Why the child could not give the text.
#[derive(Debug)]
pub enum Refusal {
    Malformed(String),
    OutOfMemory,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Extracted {
    pub text: String,
}

#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Address space of the child.
    pub memory: u64,
    /// CPU time of the child.
    pub cpu: Duration,
    /// Wall-clock time before it is killed.
    pub wall: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self { memory: 1 << 30, cpu: Duration::from_secs(60), wall: Duration::from_secs(90) }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    #[error("reading the document took too long (over {0:?}): it may be built to never finish")]
    TooSlow(Duration),
    #[error("reading the document needed more than {0} MiB of memory (a decompression bomb?)")]
    OutOfMemory(u64),
    #[error("the document is malformed: {0}")]
    Malformed(String),
    #[error("the document holds no text (a scanned PDF would need OCR, which STING does not do)")]
    NoText,
    #[error("the document reader failed: {0}")]
    Failed(String),
}

/// What the child reads: an upload on disk, or a stored document opened in memory (so that
/// re-indexing never writes plaintext to disk).
pub enum Input<'a> {
    File(&'a Path),
    Bytes(Vec<u8>),
}

/// Runs the child on `input`. `program` is stingd's own binary.
pub async fn extract(
    program: &Path,
    input: Input<'_>,
    kind: DocType,
    limits: Limits,
) -> Result<Extracted, ExtractError> {
    let (stdin, bytes) = match input {
        Input::File(file) => {
            let file =
                std::fs::File::open(file).map_err(|e| ExtractError::Failed(format!("cannot open the upload: {e}")))?;
            (Stdio::from(file), None)
        }
        Input::Bytes(bytes) => (Stdio::piped(), Some(zeroize::Zeroizing::new(bytes))),
    };
    let mut child = tokio::process::Command::new(program)
        .arg(SUBCOMMAND)
        .args(["--type", kind.name()])
        .args(["--memory", &limits.memory.to_string(), "--cpu", &limits.cpu.as_secs().max(1).to_string()])
        .env_clear()
        .stdin(stdin)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| ExtractError::Failed(format!("cannot start the document reader: {e}")))?;
    if let (Some(bytes), Some(mut pipe)) = (bytes, child.stdin.take()) {
        // Fed beside the reading of its answer, so neither side waits on a full pipe. A child
        // that stops reading (it died, or refused) ends the feeding with an error to ignore.
        tokio::spawn(async move {
            use tokio::io::AsyncWriteExt;
            let _ = pipe.write_all(&bytes).await;
        });
    }
    let output = match tokio::time::timeout(limits.wall, child.wait_with_output()).await {
        Ok(output) => output.map_err(|e| ExtractError::Failed(e.to_string()))?,
        // Dropping the future drops the child, which kills it.
        Err(_) => return Err(ExtractError::TooSlow(limits.wall)),
    };
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() {
        use std::os::unix::process::ExitStatusExt;
        return Err(match (output.status.code(), output.status.signal()) {
            (Some(MALFORMED), _) => ExtractError::Malformed(stderr.lines().last().unwrap_or("").to_string()),
            (Some(OUT_OF_MEMORY), _) => ExtractError::OutOfMemory(limits.memory >> 20),
            (_, Some(libc::SIGXCPU | libc::SIGKILL)) => ExtractError::TooSlow(limits.cpu),
            _ if stderr.contains("memory allocation") || output.status.signal() == Some(libc::SIGABRT) => {
                ExtractError::OutOfMemory(limits.memory >> 20)
            }
            (code, signal) => ExtractError::Failed(format!(
                "it stopped with {} ({})",
                code.map_or_else(|| format!("signal {}", signal.unwrap_or(0)), |c| format!("status {c}")),
                stderr.lines().last().unwrap_or("no message")
            )),
        });
    }
    let extracted: Extracted =
        serde_json::from_slice(&output.stdout).map_err(|e| ExtractError::Failed(format!("unreadable answer: {e}")))?;
    if extracted.text.trim().is_empty() {
        return Err(ExtractError::NoText);
    }
    Ok(extracted)
}

/// The child: limits, confinement, then the document from stdin to JSON on stdout.
pub fn run_child(kind: DocType, memory: u64, cpu_seconds: u64) -> std::process::ExitCode {
    let limited = rlimit::setrlimit(rlimit::Resource::AS, memory, memory)
        .and_then(|()| rlimit::setrlimit(rlimit::Resource::CPU, cpu_seconds, cpu_seconds + 1));
    if let Err(e) = limited {
        eprintln!("cannot limit the document reader: {e}");
        return std::process::ExitCode::from(2);
    }
    if let Err(e) = crate::sandbox::confine_to_stdio() {
        eprintln!("cannot confine the document reader: {e}");
        return std::process::ExitCode::from(2);
    }
    let mut bytes = Vec::new();
    if let Err(e) = std::io::stdin().read_to_end(&mut bytes) {
        eprintln!("cannot read the document: {e}");
        return std::process::ExitCode::from(2);
    }
    match text_of(kind, &bytes) {
        Ok(text) => {
            println!("{}", serde_json::json!({ "text": text }));
            std::process::ExitCode::SUCCESS
        }
        Err(Refusal::Malformed(reason)) => {
            eprintln!("{reason}");
            std::process::ExitCode::from(MALFORMED as u8)
        }
        Err(Refusal::OutOfMemory) => {
            eprintln!("out of memory");
            std::process::ExitCode::from(OUT_OF_MEMORY as u8)
        }
    }
}

/// The text of a document (in the child).
pub fn text_of(kind: DocType, bytes: &[u8]) -> Result<String, Refusal> {
    let malformed = Refusal::Malformed;
    match kind {
        DocType::Text | DocType::Markdown => String::from_utf8(bytes.to_vec())
            .map_err(|e| malformed(format!("not UTF-8 text after byte {}", e.utf8_error().valid_up_to()))),
        DocType::Html => html2text::from_read(bytes, 120).map_err(|e| malformed(format!("not readable HTML: {e}"))),
        DocType::Pdf => {
            pdf_extract::extract_text_from_mem(bytes).map_err(|e| malformed(format!("not a readable PDF: {e}")))
        }
        DocType::Docx => docx_text(bytes),
    }
}

/// A DOCX's paragraphs (`w:p`) and their text runs (`w:t`), headings marked as in Markdown.
fn docx_text(bytes: &[u8]) -> Result<String, Refusal> {
    docx_paragraphs(bytes)
}

fn docx_paragraphs(bytes: &[u8]) -> Result<String, Refusal> {
    let malformed = Refusal::Malformed;
    use quick_xml::events::Event;
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|e| malformed(format!("not a DOCX (ZIP) file: {e}")))?;
    let mut xml = String::new();
    archive
        .by_name("word/document.xml")
        .map_err(|_| malformed("not a DOCX: it has no word/document.xml".to_string()))?
        .read_to_string(&mut xml)
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::OutOfMemory => Refusal::OutOfMemory,
            _ => malformed(format!("unreadable word/document.xml: {e}")),
        })?;
    let mut reader = quick_xml::Reader::from_str(&xml);
    let mut text = String::new();
    let (mut in_text, mut heading) = (false, 0usize);
    loop {
        match reader.read_event().map_err(|e| malformed(format!("malformed word/document.xml: {e}")))? {
            Event::Start(e) if e.name().into_inner() == "w:t" => in_text = true,
            Event::End(e) if e.name().into_inner() == "w:t" => in_text = false,
            Event::Empty(e) | Event::Start(e) if e.name().into_inner() == "w:pStyle" => {
                let style = e
                    .attributes()
                    .flatten()
                    .find(|a| a.key.into_inner() == "w:val")
                    .map(|a| a.value.to_string())
                    .unwrap_or_default();
                heading = style.strip_prefix("Heading").and_then(|n| n.parse().ok()).unwrap_or(0);
                if heading > 0 {
                    text.push_str(&"#".repeat(heading.min(6)));
                    text.push(' ');
                }
            }
            Event::Text(t) if in_text => text.push_str(&t),
            Event::GeneralRef(r) if in_text => {
                let name: &str = &r;
                let decoded = match name {
                    "amp" => Some('&'),
                    "lt" => Some('<'),
                    "gt" => Some('>'),
                    "quot" => Some('"'),
                    "apos" => Some('\''),
                    _ => name
                        .strip_prefix("#x")
                        .and_then(|h| u32::from_str_radix(h, 16).ok())
                        .or_else(|| name.strip_prefix('#').and_then(|d| d.parse().ok()))
                        .and_then(char::from_u32),
                };
                text.extend(decoded);
            }
            Event::End(e) if e.name().into_inner() == "w:p" => {
                text.push_str("\n\n");
                heading = 0;
            }
            Event::Eof => break,
            _ => {}
        }
    }
    let _ = heading;
    Ok(text)
}
