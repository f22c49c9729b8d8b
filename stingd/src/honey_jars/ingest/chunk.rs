//! Chunks for the index, along the document's structure: a heading always starts a chunk (and
//! its chunks carry the heading path, "Install > Requirements"), paragraphs are packed up to a
//! target size, a paragraph too long for one chunk is split at a sentence or word boundary, and
//! consecutive chunks of a section overlap a little, so that a sentence cut by a boundary is
//! whole in one of them. Each chunk is an exact byte range of the text, for citations.

use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Chunk {
    /// The headings above it, outermost first.
    pub heading: String,
    pub start: usize,
    pub end: usize,
}

#[derive(Clone, Copy, Debug)]
pub struct Sizes {
    /// Bytes a chunk aims at.
    pub target: usize,
    /// Bytes a chunk never exceeds.
    pub max: usize,
    /// Bytes repeated from the previous chunk of the same section.
    pub overlap: usize,
}

impl Default for Sizes {
    fn default() -> Self {
        Self { target: 800, max: 1200, overlap: 150 }
    }
}

/// A Markdown-style heading line (`## Title`, as Markdown has and as HTML and DOCX text are
/// written by the extractors): its level and title.
fn heading(line: &str) -> Option<(usize, &str)> {
    let level = line.bytes().take_while(|b| *b == b'#').count();
    let title = line[level..].strip_prefix(' ')?.trim();
    ((1..=6).contains(&level) && !title.is_empty()).then_some((level, title))
}

/// Where a cut at or before `at` is best: the end of a sentence, else a space, else `at` itself
/// (moved back to a character boundary).
fn cut_before(text: &str, from: usize, at: usize) -> usize {
    let mut at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    let window = &text[from..at];
    if let Some(i) = window.rfind(". ").filter(|i| *i > window.len() / 2) {
        return from + i + 2;
    }
    if let Some(i) = window.rfind(char::is_whitespace).filter(|i| *i > window.len() / 2) {
        return from + i + 1;
    }
    at
}

/// The first word boundary at or after `at`.
fn word_start_after(text: &str, at: usize, limit: usize) -> usize {
    let mut i = at;
    while i < limit && !text.is_char_boundary(i) {
        i += 1;
    }
    match text[i..limit].find(char::is_whitespace) {
        Some(space) if i != at || !text[..i].ends_with(char::is_whitespace) => {
            let after = i + space;
            after + text[after..limit].len() - text[after..limit].trim_start().len()
        }
        _ => i,
    }
}

pub fn chunk(text: &str, sizes: Sizes) -> Vec<Chunk> {
    // Sections: (heading path, byte range of their body).
    let mut sections: Vec<(String, usize, usize)> = Vec::new();
    let mut path: Vec<(usize, String)> = Vec::new();
    let mut body_start = 0;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if let Some((level, title)) = heading(line.trim_end()) {
            sections.push((joined(&path), body_start, offset));
            path.retain(|(l, _)| *l < level);
            path.push((level, title.to_string()));
            body_start = offset + line.len();
        }
        offset += line.len();
    }
    sections.push((joined(&path), body_start, text.len()));

    let mut chunks = Vec::new();
    for (heading, start, end) in sections {
        let body = &text[start..end];
        let trimmed_start = start + (body.len() - body.trim_start().len());
        let trimmed_end = start + body.trim_end().len();
        if trimmed_start >= trimmed_end {
            continue;
        }
        // Paragraph ends (blank lines) are the preferred cuts. A cut must lie past the end of
        // the previous chunk: the overlap repeats text, it is not a chunk of its own.
        let mut a = trimmed_start;
        let mut previous_end = trimmed_start;
        while a < trimmed_end {
            let mut b = (a + sizes.target).min(trimmed_end);
            if b < trimmed_end {
                // The last paragraph end before the target, or else before the maximum.
                let window_end = (a + sizes.max).min(trimmed_end);
                let mut window_end_boundary = window_end;
                while !text.is_char_boundary(window_end_boundary) {
                    window_end_boundary -= 1;
                }
                let window = &text[a..window_end_boundary];
                let fresh = previous_end.saturating_sub(a) + 1;
                let paragraph = window[..(b - a).min(window.len())].rfind("\n\n").filter(|p| *p >= fresh);
                b = match paragraph {
                    Some(p) => a + p,
                    None => match window.match_indices("\n\n").map(|(p, _)| p).find(|p| *p >= fresh) {
                        Some(p) => a + p,
                        None => cut_before(text, previous_end.max(a), window_end_boundary).max(previous_end + 1),
                    },
                };
            }
            // A remainder smaller than the overlap joins this chunk rather than make its own.
            if trimmed_end - b < sizes.overlap && trimmed_end - a <= sizes.max {
                b = trimmed_end;
            }
            previous_end = b;
            let end_trimmed = a + text[a..b].trim_end().len();
            chunks.push(Chunk { heading: heading.clone(), start: a, end: end_trimmed.max(a + 1).min(trimmed_end) });
            if b >= trimmed_end {
                break;
            }
            // The next chunk repeats the end of this one, from a word boundary.
            let back = b.saturating_sub(sizes.overlap).max(a + 1);
            let next = word_start_after(text, back, b);
            a = if next >= b { b + (text[b..].len() - text[b..].trim_start().len()) } else { next };
        }
    }
    chunks
}

fn joined(path: &[(usize, String)]) -> String {
    path.iter().map(|(_, t)| t.as_str()).collect::<Vec<_>>().join(" > ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts<'a>(text: &'a str, chunks: &[Chunk]) -> Vec<(&'a str, String)> {
        chunks.iter().map(|c| (&text[c.start..c.end], c.heading.clone())).collect()
    }

    #[test]
    fn headings_start_chunks_and_give_them_their_path() {
        let text = "Intro line.\n\n# Install\n\nGet it.\n\n## Requirements\n\nA CPU.\n\n# Use\n\nRun it.\n";
        let chunks = chunk(text, Sizes::default());
        assert_eq!(
            texts(text, &chunks),
            vec![
                ("Intro line.", String::new()),
                ("Get it.", "Install".to_string()),
                ("A CPU.", "Install > Requirements".to_string()),
                ("Run it.", "Use".to_string()),
            ]
        );
    }

    #[test]
    fn long_sections_are_packed_by_paragraph_and_overlap() {
        let paragraph = "Bees gather nectar from flowers. They return to the hive at dusk. ".repeat(4);
        let text = format!("# Hive\n\n{}", [paragraph.trim(); 6].join("\n\n"));
        let sizes = Sizes { target: 600, max: 900, overlap: 120 };
        let chunks = chunk(&text, sizes);
        assert!(chunks.len() >= 3, "{chunks:?}");
        let body = text.len() - text.find("Bees").unwrap();
        assert!(chunks.len() <= body / (sizes.target - sizes.overlap) + 2, "{} chunks for {body} bytes", chunks.len());
        for c in &chunks {
            assert!(c.end - c.start <= sizes.max, "{c:?}");
            assert_eq!(c.heading, "Hive");
            let piece = &text[c.start..c.end];
            assert!(!piece.starts_with(char::is_whitespace) && !piece.ends_with(char::is_whitespace));
        }
        for pair in chunks.windows(2) {
            assert!(pair[1].start < pair[0].end, "consecutive chunks overlap: {pair:?}");
            assert!(pair[1].end > pair[0].end, "and make progress");
        }
        // Every byte of the body is in some chunk.
        let body_start = text.find("Bees").unwrap();
        let mut covered = body_start;
        for c in &chunks {
            assert!(c.start <= covered, "gap before {c:?}");
            covered = covered.max(c.end);
        }
        assert_eq!(covered, text.len());
    }

    #[test]
    fn paragraphs_longer_than_the_target_still_give_chunks_of_about_the_target() {
        let paragraph = "word ".repeat(180); // 900 bytes
        let text = vec![paragraph.trim(); 20].join(".\n\n");
        let chunks = chunk(&text, Sizes::default());
        assert!(chunks.len() <= 20 + 2, "{} chunks", chunks.len());
        assert!(chunks.iter().all(|c| c.end - c.start >= 400), "{chunks:?}");
    }

    #[test]
    fn an_unbroken_text_is_cut_at_words_and_never_inside_a_character() {
        let text = "Grüße ".repeat(400);
        let chunks = chunk(&text, Sizes { target: 500, max: 700, overlap: 50 });
        assert!(chunks.len() > 3 && chunks.len() <= text.len() / 450 + 2, "{}", chunks.len());
        for c in &chunks {
            assert!(text.is_char_boundary(c.start) && text.is_char_boundary(c.end));
            assert!(c.end - c.start <= 700);
        }
        assert!(chunk("   \n\n  ", Sizes::default()).is_empty());
    }
}
