//! Text out of a document, in a child process that cannot hurt stingd: stingd runs itself as
//! `stingd extract --type T`, with the file on stdin and the text (UTF-8, nothing else) on
//! stdout. The child limits its own address space and CPU time (setrlimit) and gives up all
//! file system and network access (Landlock, seccomp) before it reads a byte; stingd kills it if
//! it runs past the wall-clock limit, and reads no more of its answer than the text limit
//! allows. A parser bug, a decompression bomb or a file built to loop costs one child.

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
/// The exit status of a child whose document holds more text than it may give.
const TOO_MUCH_TEXT: i32 = 5;
/// The exit status of a child that could not be confined.
const UNCONFINED: i32 = 6;

/// Why the child could not give the text.
#[derive(Debug)]
pub enum Refusal {
    Malformed(String),
    OutOfMemory,
    TooMuchText,
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
    /// The most text (bytes of UTF-8) a document may give (`honey_jars.max_text_size`).
    pub max_text: u64,
    /// Read even where the kernel cannot confine the child (`system.unconfined_children`).
    pub unconfined: bool,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            memory: 1 << 30,
            cpu: Duration::from_secs(60),
            wall: Duration::from_secs(90),
            max_text: 16 << 20,
            unconfined: false,
        }
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
    #[error("the document holds more than {} MiB of text (`honey_jars.max_text_size`): split it, or raise the limit", .0 >> 20)]
    TooMuchText(u64),
    #[error("the document reader cannot be confined on this kernel, so it does not run: {0}")]
    Unconfined(String),
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
    let mut command = tokio::process::Command::new(program);
    command
        .arg(SUBCOMMAND)
        .args(["--type", kind.name()])
        .args(["--memory", &limits.memory.to_string(), "--cpu", &limits.cpu.as_secs().max(1).to_string()])
        .args(["--max-text", &limits.max_text.to_string()]);
    if limits.unconfined {
        command.arg("--allow-unconfined");
    }
    let mut child = command
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
    let (Some(stdout), Some(stderr)) = (child.stdout.take(), child.stderr.take()) else {
        return Err(ExtractError::Failed("the document reader has no output pipes".into()));
    };
    // No more than the limit (and one byte to tell it was passed) is ever held: a child that
    // writes gigabytes costs stingd a bounded buffer, and is dropped (killed) as soon as it has
    // passed the limit, not left blocked on a full pipe until the wall-clock limit.
    let max_text = limits.max_text;
    let read = async {
        use tokio::io::AsyncReadExt;
        let out = async move {
            let mut text = Vec::new();
            stdout.take(max_text.saturating_add(1)).read_to_end(&mut text).await.map(|_| text)
        };
        // The first 64 KiB of what it says are kept; the rest is read and dropped, so that a
        // chatty reader never blocks on a full pipe.
        let err = async move {
            let mut message = Vec::new();
            let mut stderr = stderr;
            (&mut stderr).take(64 << 10).read_to_end(&mut message).await?;
            tokio::io::copy(&mut stderr, &mut tokio::io::sink()).await?;
            Ok::<_, std::io::Error>(message)
        };
        tokio::pin!(out, err);
        let mut message = None;
        let text = loop {
            tokio::select! {
                text = &mut out => break text?,
                read = &mut err, if message.is_none() => message = Some(read?),
            }
        };
        if text.len() as u64 > max_text {
            return Ok((text, Vec::new()));
        }
        let message = match message {
            Some(message) => message,
            None => err.await?,
        };
        Ok::<_, std::io::Error>((text, message))
    };
    let (text, stderr) = match tokio::time::timeout(limits.wall, read).await {
        Ok(read) => read.map_err(|e| ExtractError::Failed(e.to_string()))?,
        // Dropping the child kills it.
        Err(_) => return Err(ExtractError::TooSlow(limits.wall)),
    };
    if text.len() as u64 > limits.max_text {
        return Err(ExtractError::TooMuchText(limits.max_text));
    }
    let status = match tokio::time::timeout(limits.wall, child.wait()).await {
        Ok(status) => status.map_err(|e| ExtractError::Failed(e.to_string()))?,
        Err(_) => return Err(ExtractError::TooSlow(limits.wall)),
    };
    let stderr = String::from_utf8_lossy(&stderr);
    if !status.success() {
        use std::os::unix::process::ExitStatusExt;
        let last = stderr.lines().last().unwrap_or("").to_string();
        return Err(match (status.code(), status.signal()) {
            (Some(MALFORMED), _) => ExtractError::Malformed(last),
            (Some(OUT_OF_MEMORY), _) => ExtractError::OutOfMemory(limits.memory >> 20),
            (Some(TOO_MUCH_TEXT), _) => ExtractError::TooMuchText(limits.max_text),
            (Some(UNCONFINED), _) => ExtractError::Unconfined(last),
            (_, Some(libc::SIGXCPU | libc::SIGKILL)) => ExtractError::TooSlow(limits.cpu),
            _ if stderr.contains("memory allocation") || status.signal() == Some(libc::SIGABRT) => {
                ExtractError::OutOfMemory(limits.memory >> 20)
            }
            (code, signal) => ExtractError::Failed(format!(
                "it stopped with {} ({})",
                code.map_or_else(|| format!("signal {}", signal.unwrap_or(0)), |c| format!("status {c}")),
                if last.is_empty() { "no message" } else { &last }
            )),
        });
    }
    let text =
        String::from_utf8(text).map_err(|e| ExtractError::Failed(format!("an answer that is not UTF-8: {e}")))?;
    if text.trim().is_empty() {
        return Err(ExtractError::NoText);
    }
    Ok(Extracted { text })
}

/// The child: limits, confinement, then the document from stdin to its text on stdout.
pub fn run_child(
    kind: DocType,
    memory: u64,
    cpu_seconds: u64,
    max_text: u64,
    allow_unconfined: bool,
) -> std::process::ExitCode {
    let limited = rlimit::setrlimit(rlimit::Resource::AS, memory, memory)
        .and_then(|()| rlimit::setrlimit(rlimit::Resource::CPU, cpu_seconds, cpu_seconds + 1));
    if let Err(e) = limited {
        eprintln!("cannot limit the document reader: {e}");
        return std::process::ExitCode::from(2);
    }
    match crate::sandbox::confine_to_stdio(allow_unconfined) {
        Ok(note) if note.starts_with("UNCONFINED") => eprintln!("stingd-sandbox: {note}"),
        Ok(_) => {}
        Err(e) => {
            eprintln!("{e}");
            return std::process::ExitCode::from(UNCONFINED as u8);
        }
    }
    let mut bytes = Vec::new();
    if let Err(e) = std::io::stdin().read_to_end(&mut bytes) {
        eprintln!("cannot read the document: {e}");
        return std::process::ExitCode::from(2);
    }
    match text_of(kind, &bytes, max_text) {
        Ok(text) => {
            use std::io::Write;
            match std::io::stdout().lock().write_all(text.as_bytes()) {
                Ok(()) => std::process::ExitCode::SUCCESS,
                Err(_) => std::process::ExitCode::from(2),
            }
        }
        Err(Refusal::Malformed(reason)) => {
            eprintln!("{reason}");
            std::process::ExitCode::from(MALFORMED as u8)
        }
        Err(Refusal::OutOfMemory) => {
            eprintln!("out of memory");
            std::process::ExitCode::from(OUT_OF_MEMORY as u8)
        }
        Err(Refusal::TooMuchText) => {
            eprintln!("more text than {max_text} bytes");
            std::process::ExitCode::from(TOO_MUCH_TEXT as u8)
        }
    }
}

/// The text of a document (in the child), at most `max_text` bytes of it.
pub fn text_of(kind: DocType, bytes: &[u8], max_text: u64) -> Result<String, Refusal> {
    let malformed = Refusal::Malformed;
    let text = match kind {
        DocType::Text | DocType::Markdown => String::from_utf8(bytes.to_vec())
            .map_err(|e| malformed(format!("not UTF-8 text after byte {}", e.utf8_error().valid_up_to()))),
        DocType::Html => html2text::from_read(bytes, 120).map_err(|e| malformed(format!("not readable HTML: {e}"))),
        DocType::Pdf => {
            pdf_extract::extract_text_from_mem(bytes).map_err(|e| malformed(format!("not a readable PDF: {e}")))
        }
        DocType::Docx => docx_paragraphs(bytes, max_text),
    }?;
    if text.len() as u64 > max_text {
        return Err(Refusal::TooMuchText);
    }
    Ok(text)
}

/// A reader that fails once more than `left` bytes came through, and says so in `passed`.
struct Capped<R> {
    inner: R,
    left: u64,
    passed: std::rc::Rc<std::cell::Cell<bool>>,
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n as u64 > self.left {
            self.passed.set(true);
            return Err(std::io::Error::other("over the size limit"));
        }
        self.left -= n as u64;
        Ok(n)
    }
}

/// A DOCX's paragraphs (`w:p`) and their text runs (`w:t`), headings marked as in Markdown. The
/// XML is read as it unpacks, never whole: a compression bomb stops at a multiple of the text
/// limit (markup outweighs text, but not sixteen times over).
fn docx_paragraphs(bytes: &[u8], max_text: u64) -> Result<String, Refusal> {
    let malformed = Refusal::Malformed;
    use quick_xml::events::Event;
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|e| malformed(format!("not a DOCX (ZIP) file: {e}")))?;
    let entry = archive
        .by_name("word/document.xml")
        .map_err(|_| malformed("not a DOCX: it has no word/document.xml".to_string()))?;
    let passed = std::rc::Rc::new(std::cell::Cell::new(false));
    let capped =
        Capped { inner: entry, left: max_text.saturating_mul(16).saturating_add(1 << 20), passed: passed.clone() };
    let mut reader = quick_xml::Reader::from_reader(std::io::BufReader::new(capped));
    let mut buf = Vec::new();
    let mut text = String::new();
    let (mut in_text, mut heading) = (false, 0usize);
    loop {
        if text.len() as u64 > max_text {
            return Err(Refusal::TooMuchText);
        }
        buf.clear();
        let event = match reader.read_event_into(&mut buf) {
            Ok(event) => event,
            Err(_) if passed.get() => return Err(Refusal::TooMuchText),
            Err(e) => return Err(malformed(format!("malformed word/document.xml: {e}"))),
        };
        match event {
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
