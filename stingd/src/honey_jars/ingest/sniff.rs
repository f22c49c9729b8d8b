//! What a file is, from its first bytes rather than its name or the type its uploader claimed:
//! a PDF starts `%PDF-`, a DOCX is a ZIP, and everything else must be text (UTF-8 without NUL
//! bytes). A name that promises one kind over content of another is refused.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum DocType {
    Pdf,
    Docx,
    Html,
    Markdown,
    Text,
}

impl DocType {
    pub fn name(self) -> &'static str {
        match self {
            Self::Pdf => "pdf",
            Self::Docx => "docx",
            Self::Html => "html",
            Self::Markdown => "markdown",
            Self::Text => "text",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        [Self::Pdf, Self::Docx, Self::Html, Self::Markdown, Self::Text].into_iter().find(|t| t.name() == name)
    }
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum SniffError {
    #[error("the file is empty")]
    Empty,
    #[error("the file is named .{extension} but is not a {claimed}: upload it under its real type")]
    Mismatch { extension: String, claimed: &'static str },
    #[error("the file is neither PDF, DOCX, HTML, Markdown nor text (it holds binary data)")]
    Unsupported,
}

/// The kind of a file from its first bytes (at least the first 4 KiB when it is that long) and
/// its name.
pub fn sniff(head: &[u8], filename: &str) -> Result<DocType, SniffError> {
    if head.is_empty() {
        return Err(SniffError::Empty);
    }
    let extension = filename.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
    let claimed = match extension.as_str() {
        "pdf" => Some(DocType::Pdf),
        "docx" => Some(DocType::Docx),
        _ => None,
    };
    let found = if head.starts_with(b"%PDF-") {
        DocType::Pdf
    } else if head.starts_with(b"PK\x03\x04") {
        DocType::Docx
    } else {
        // Text: UTF-8 (a character cut at the end of the head is fine) and no NUL bytes.
        let valid = match std::str::from_utf8(head) {
            Ok(_) => true,
            Err(e) => e.error_len().is_none() && head.len() - e.valid_up_to() < 4,
        };
        if !valid || head.contains(&0) {
            return Err(match claimed {
                Some(claimed) => SniffError::Mismatch { extension, claimed: claimed.name() },
                None => SniffError::Unsupported,
            });
        }
        let start = String::from_utf8_lossy(&head[..head.len().min(512)])
            .trim_start_matches('\u{feff}')
            .trim_start()
            .to_ascii_lowercase();
        if start.starts_with("<!doctype html")
            || start.starts_with("<html")
            || matches!(extension.as_str(), "html" | "htm")
        {
            DocType::Html
        } else if matches!(extension.as_str(), "md" | "markdown") {
            DocType::Markdown
        } else {
            DocType::Text
        }
    };
    match claimed {
        Some(claimed) if claimed != found => Err(SniffError::Mismatch { extension, claimed: claimed.name() }),
        _ => Ok(found),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_content_decides_and_a_lying_name_is_refused() {
        assert_eq!(sniff(b"%PDF-1.7\n...", "report.pdf"), Ok(DocType::Pdf));
        assert_eq!(sniff(b"%PDF-1.4", "scan"), Ok(DocType::Pdf));
        assert_eq!(sniff(b"PK\x03\x04rest", "letter.docx"), Ok(DocType::Docx));
        assert_eq!(sniff(b"\xef\xbb\xbf<!DOCTYPE html><p>hi", "page"), Ok(DocType::Html));
        assert_eq!(sniff(b"# Title\n\ntext", "notes.md"), Ok(DocType::Markdown));
        assert_eq!(sniff("Grüße aus Köln".as_bytes(), "notes.txt"), Ok(DocType::Text));
        assert_eq!(
            sniff(b"just text", "report.pdf"),
            Err(SniffError::Mismatch { extension: "pdf".into(), claimed: "pdf" }),
            "a PDF that is not a PDF"
        );
        assert_eq!(
            sniff(b"%PDF-1.7", "letter.docx"),
            Err(SniffError::Mismatch { extension: "docx".into(), claimed: "docx" })
        );
        assert_eq!(sniff(b"\x7fELF\x02\x01\x01\0", "tool"), Err(SniffError::Unsupported));
        assert_eq!(sniff(b"", "empty.txt"), Err(SniffError::Empty));
        // A multi-byte character cut by the end of the head is still text.
        let text = "ab€".as_bytes();
        assert_eq!(sniff(&text[..text.len() - 1], "cut.txt"), Ok(DocType::Text));
    }
}
