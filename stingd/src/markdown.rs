//! Bee's answers as HTML that cannot run script: Markdown rendered on the server
//! (pulldown-cmark), raw HTML in it shown as text, code highlighted on the server (syntect,
//! class names only, styled by `app.css`), citation marks made links to the cited passage, and
//! the result cleaned by ammonia (no script, no event handler, no `javascript:` link, no image)
//! as a second line of defence. The page only ever inserts this HTML as a parsed document from
//! this origin; its script never turns a string into markup (the page policy forbids that).

use std::sync::OnceLock;

use pulldown_cmark::{CodeBlockKind, CowStr, Event, Options, Parser, Tag, TagEnd, TextMergeStream};
use serde::{Deserialize, Serialize};
use syntect::html::{ClassStyle, ClassedHTMLGenerator};
use syntect::parsing::SyntaxSet;
use syntect::util::LinesWithEndings;

/// Where a citation number leads (the cited passage in its document) and what it is called.
pub struct CitationLink {
    pub number: usize,
    pub href: String,
    pub title: String,
}

/// The version of what [`Markdown::answer`] makes. Raise it whenever its HTML changes (a new
/// rule here, or an ammonia or syntect update that changes what comes out: the test
/// `the_renderer_version_names_its_output` fails until it is raised), and pages render again
/// (and store) what an older one made.
pub const RENDERER: u16 = 1;

/// An answer's HTML, made once when the answer is stored so a page of many answers costs no
/// Markdown, highlighting or cleaning; stored sealed with the answer, since it says what it
/// says. Only [`Markdown::answer`] makes one (and serde, reading one back from its sealed
/// message): nothing else's HTML is shown as it is.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Rendered {
    renderer: u16,
    html: String,
}

impl Rendered {
    /// Whether this renderer, or a newer one (a newer stingd's, during an upgrade), made it.
    pub fn is_current(&self) -> bool {
        self.renderer >= RENDERER
    }

    pub fn html(&self) -> &str {
        &self.html
    }

    pub fn into_html(self) -> String {
        self.html
    }
}

/// The renderer: the grammars load on first use (tens of milliseconds), once per process.
pub struct Markdown {
    syntaxes: OnceLock<SyntaxSet>,
    cleaner: ammonia::Builder<'static>,
}

/// The prefix of every highlighting class (`hl-keyword`, `hl-string`…), as `app.css` styles them.
const CLASS_STYLE: ClassStyle = ClassStyle::SpacedPrefixed { prefix: "hl-" };

/// Code longer than this is shown unhighlighted: highlighting is linear but not cheap.
const MAX_HIGHLIGHTED: usize = 64 * 1024;

impl Default for Markdown {
    fn default() -> Self {
        let mut cleaner = ammonia::Builder::default();
        cleaner
            .rm_tags(["img"])
            .add_tag_attributes("span", ["class"])
            .add_tag_attributes("code", ["class"])
            .add_tag_attributes("pre", ["class", "data-lang"])
            .add_tag_attributes("a", ["class"])
            .url_schemes(["http", "https", "mailto"].into())
            .link_rel(Some("noopener noreferrer nofollow"));
        Self { syntaxes: OnceLock::new(), cleaner }
    }
}

impl Markdown {
    /// An answer as clean HTML, each citation mark a link to the passage it cites.
    pub fn answer(&self, content: &str, citations: &[CitationLink]) -> Rendered {
        Rendered { renderer: RENDERER, html: self.render(content, citations) }
    }

    /// `text` as clean HTML; `[n]` marks of a listed citation become links to it.
    pub fn render(&self, text: &str, citations: &[CitationLink]) -> String {
        let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS;
        let mut events = Vec::new();
        let mut code: Option<(String, String)> = None;
        for event in TextMergeStream::new(Parser::new_ext(text, options)) {
            match event {
                Event::Start(Tag::CodeBlock(kind)) => {
                    let lang = match kind {
                        CodeBlockKind::Fenced(info) => info.split_whitespace().next().unwrap_or("").to_string(),
                        CodeBlockKind::Indented => String::new(),
                    };
                    code = Some((lang, String::new()));
                }
                Event::End(TagEnd::CodeBlock) => {
                    if let Some((lang, body)) = code.take() {
                        events.push(Event::Html(self.code_block(&lang, &body).into()));
                    }
                }
                Event::Text(t) if code.is_some() => code.as_mut().expect("in a code block").1.push_str(&t),
                // What a model or a document wrote as HTML is shown, never parsed.
                Event::Html(raw) | Event::InlineHtml(raw) if citations.is_empty() => events.push(Event::Text(raw)),
                Event::Html(raw) | Event::InlineHtml(raw) => cite(&raw, citations, &mut events),
                // An image would be fetched on sight: it stays a link the reader chooses to follow.
                Event::Start(Tag::Image { dest_url, title, id, .. }) => events.push(Event::Start(Tag::Link {
                    link_type: pulldown_cmark::LinkType::Inline,
                    dest_url,
                    title,
                    id,
                })),
                Event::End(TagEnd::Image) => events.push(Event::End(TagEnd::Link)),
                Event::Text(t) if !citations.is_empty() => cite(&t, citations, &mut events),
                other => events.push(other),
            }
        }
        let mut html = String::with_capacity(text.len() * 3 / 2);
        pulldown_cmark::html::push_html(&mut html, events.into_iter());
        self.cleaner.clean(&html).to_string()
    }

    fn code_block(&self, lang: &str, body: &str) -> String {
        let lang_attr = html_escape(lang);
        let syntaxes = self.syntaxes.get_or_init(SyntaxSet::load_defaults_newlines);
        let syntax =
            (!lang.is_empty() && body.len() <= MAX_HIGHLIGHTED).then(|| syntaxes.find_syntax_by_token(lang)).flatten();
        let inner = match syntax {
            Some(syntax) => {
                let mut generator = ClassedHTMLGenerator::new_with_class_style(syntax, syntaxes, CLASS_STYLE);
                let highlighted = LinesWithEndings::from(body)
                    .try_for_each(|line| generator.parse_html_for_line_which_includes_newline(line));
                match highlighted {
                    Ok(()) => generator.finalize(),
                    Err(_) => html_escape(body),
                }
            }
            None => html_escape(body),
        };
        format!("<pre class=\"code\" data-lang=\"{lang_attr}\"><code>{inner}</code></pre>\n")
    }
}

/// Splits text at citation marks (`[2]`, `[1, 3]`), each listed number a link.
fn cite<'a>(text: &CowStr<'a>, citations: &[CitationLink], out: &mut Vec<Event<'a>>) {
    let mut rest: &str = text;
    let mut plain = String::new();
    while let Some(open) = rest.find('[') {
        let Some(close) = rest[open..].find(']').map(|c| open + c).filter(|c| c - open <= 24) else {
            plain.push_str(&rest[..=open]);
            rest = &rest[open + 1..];
            continue;
        };
        let inside = &rest[open + 1..close];
        let numbers: Option<Vec<&CitationLink>> = inside
            .split(',')
            .map(|part| part.trim().parse::<usize>().ok().and_then(|n| citations.iter().find(|c| c.number == n)))
            .collect();
        match numbers {
            Some(links) if !links.is_empty() => {
                plain.push_str(&rest[..open]);
                out.push(Event::Text(std::mem::take(&mut plain).into()));
                for link in links {
                    out.push(Event::Html(
                        format!(
                            "<a class=\"cite\" href=\"{}\" title=\"{}\">[{}]</a>",
                            html_escape(&link.href),
                            html_escape(&link.title),
                            link.number
                        )
                        .into(),
                    ));
                }
            }
            _ => plain.push_str(&rest[..=close]),
        }
        rest = &rest[close + 1..];
    }
    plain.push_str(rest);
    if !plain.is_empty() {
        out.push(Event::Text(plain.into()));
    }
}

fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    pulldown_cmark_escape::escape_html(&mut out, text).expect("writing to a String");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::Digest;

    fn render(text: &str) -> String {
        Markdown::default().render(text, &[])
    }

    #[test]
    fn what_a_model_writes_as_html_is_text() {
        let html = render("Hi <script>alert(1)</script> <img src=x onerror=alert(2)> <b onclick=x>b</b>");
        assert!(!html.contains("<script") && !html.contains("<img") && !html.contains("<b "), "{html}");
        assert!(html.contains("&lt;script&gt;"), "shown as text: {html}");
    }

    #[test]
    fn links_keep_safe_schemes_only_and_images_become_links() {
        let html = render("[a](javascript:alert(1)) [b](https://example.org/) ![c](https://example.org/x.png)");
        assert!(!html.contains("javascript:"), "{html}");
        assert!(html.contains("href=\"https://example.org/\"") && html.contains("noopener"), "{html}");
        assert!(!html.contains("<img") && html.contains("href=\"https://example.org/x.png\""), "{html}");
    }

    #[test]
    fn code_is_highlighted_with_classes_and_no_inline_style() {
        let html = render("```rust\nfn main() { let s = \"<b>\"; }\n```\n");
        assert!(html.contains("<pre class=\"code\" data-lang=\"rust\">"), "{html}");
        assert!(html.contains("class=\"hl-"), "highlighted: {html}");
        assert!(!html.contains("style="), "{html}");
        assert!(html.contains("&lt;b&gt;") && !html.contains("<b>"), "{html}");
    }

    /// What a sample of everything the renderer handles comes out as, summed up: when it
    /// changes (a rule here, a new ammonia or syntect), stored answers were made differently,
    /// and `RENDERER` must be raised so that pages make them again. Then update both here.
    #[test]
    fn the_renderer_version_names_its_output() {
        let links = [CitationLink { number: 1, href: "/jars/j/documents/d#passage-3".into(), title: "a.md".into() }];
        let sample = "# Title\n\n**bold** _it_ ~~no~~ `code` [1] [x](https://e.org/) ![i](https://e.org/i.png)\n\n\
                      - [ ] task\n\n| a | b |\n| - | - |\n| 1 | 2 |\n\n```python\ndef f(x):\n    return \"<b>\" * x\n```\n\n\
                      <script>alert(1)</script> <a href=\"javascript:x\" onclick=x>a</a> [j](javascript:alert(1))\n";
        // Each version's output, oldest first: a new output is a new line with a new version.
        const OUTPUTS: &[(u16, &str)] = &[(1, "e71ea9639007bb362e242e450f60a67c8919955cbc00774c61b8db966fc184a1")];
        let html = Markdown::default().answer(sample, &links).into_html();
        let digest = format!("{:x}", sha2::Sha256::digest(html.as_bytes()));
        assert!(OUTPUTS.windows(2).all(|w| w[0].0 < w[1].0 && w[0].1 != w[1].1), "one version per output");
        let newest = OUTPUTS.last().expect("a version");
        assert_eq!(newest.0, RENDERER, "RENDERER names the newest output");
        assert!(
            OUTPUTS.iter().all(|(version, known)| *known != digest || *version == RENDERER),
            "the output went back to an older version's: raise RENDERER"
        );
        assert_eq!(newest.1, digest, "the renderer's output changed: add a line with RENDERER raised\n{html}");
    }

    #[test]
    fn citation_marks_link_to_their_passage_and_others_stay_text() {
        let links = [CitationLink { number: 1, href: "/jars/j/documents/d#passage-3".into(), title: "a.md".into() }];
        let html = Markdown::default().render("Refunds take 14 days [1]. See [9] and [x].", &links);
        assert!(html.contains("<a class=\"cite\" href=\"/jars/j/documents/d#passage-3\""), "{html}");
        assert!(html.contains("[9]") && html.contains("[x]"), "{html}");
    }
}
