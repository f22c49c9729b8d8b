//! Setting values in a config file's text at the places its YAML tree gives, so that the
//! operator's comments and layout stay and the change reads as a small diff (as `migrate`
//! edits). The first install writes its answers into the documented default this way; the
//! caller validates the result before writing it.

use std::path::Path;

use crate::diagnostic::{Code, Diagnostic};
use crate::document::{Document, entry};

/// A value to write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scalar {
    /// Written double-quoted, so that no text is read as another type or as YAML syntax.
    Text(String),
    Integer(i64),
}

impl Scalar {
    fn to_yaml(&self) -> String {
        match self {
            Self::Integer(n) => n.to_string(),
            Self::Text(text) => {
                let mut quoted = String::with_capacity(text.len() + 2);
                quoted.push('"');
                for c in text.chars() {
                    match c {
                        '"' => quoted.push_str("\\\""),
                        '\\' => quoted.push_str("\\\\"),
                        '\n' => quoted.push_str("\\n"),
                        '\t' => quoted.push_str("\\t"),
                        // Line and paragraph separators, and non-characters, break lines or
                        // readers elsewhere: escaped too.
                        c if c.is_control()
                            || matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}') =>
                        {
                            quoted.push_str(&format!("\\u{:04x}", c as u32))
                        }
                        c => quoted.push(c),
                    }
                }
                quoted.push('"');
                quoted
            }
        }
    }
}

/// `text` with each dotted path's value replaced. Every path must already hold a single value
/// written on its key's line (as in the documented default); a trailing comment is kept.
pub fn set_values(file: &Path, text: &str, values: &[(&str, Scalar)]) -> Result<String, Diagnostic> {
    let mut text = text.to_string();
    for (path, value) in values {
        text = set_value(file, &text, path, value)?;
    }
    Ok(text)
}

fn set_value(file: &Path, text: &str, path: &str, value: &Scalar) -> Result<String, Diagnostic> {
    let document = Document::parse(file, text)?;
    let parts: Vec<&str> = path.split('.').collect();
    let (key, node) = entry(&document.root, &parts).ok_or_else(|| {
        Diagnostic::new(Code::MissingKey, path, "the file has no such key to set")
            .hint("start from the documented default: `msting config show --defaults`")
    })?;
    let wrong = |message: &str| Diagnostic::new(Code::WrongType, path, message).at(document.location_of(path));
    let scalar = node.as_scalar().ok_or_else(|| wrong("expected a single value here, not a list or mapping"))?;
    let key_line = key.span().start().map(|m| m.line()).ok_or_else(|| wrong("the key has no position"))?;
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let line = lines.get(key_line - 1).ok_or_else(|| wrong("the key has no line"))?.clone();
    // 1-based character columns, as the parser counts them.
    let byte_at = |column: usize| line.char_indices().nth(column - 1).map_or(line.len(), |(i, _)| i);
    fn on_line(m: Option<&marked_yaml::Marker>, line: usize) -> Option<&marked_yaml::Marker> {
        m.filter(|m| m.line() == line)
    }
    // The parser marks where a scalar starts, not where it ends: a plain value ends at ` #`,
    // a quoted one at its closing quote.
    // `None`: a quoted value that does not close on its line.
    fn after_value(rest: &str) -> Option<&str> {
        let mut chars = rest.char_indices().peekable();
        match chars.next() {
            Some((_, quote @ ('"' | '\''))) => {
                let mut escaped = false;
                while let Some((i, c)) = chars.next() {
                    match c {
                        '\\' if quote == '"' && !escaped => escaped = true,
                        // In single quotes, '' is one quote.
                        '\'' if quote == '\'' && chars.peek().is_some_and(|(_, n)| *n == '\'') => {
                            chars.next();
                        }
                        c if c == quote && !escaped => return Some(&rest[i + 1..]),
                        _ => escaped = false,
                    }
                }
                None
            }
            _ => Some(rest.find(" #").map_or("", |i| &rest[i..])),
        }
    }
    let span = scalar.span();
    let rebuilt = match on_line(span.start(), key_line) {
        Some(start) => {
            let head = &line[..byte_at(start.column())];
            // What follows the old value on its line (a comment) stays.
            let tail = after_value(&line[byte_at(start.column())..])
                .ok_or_else(|| wrong("the value goes on past its key's line: set it by hand"))?;
            format!("{head}{}{tail}", value.to_yaml())
        }
        // `key:` with nothing after it (a null): the value goes after the colon.
        None => {
            let colon = line.find(':').ok_or_else(|| wrong("the key's line has no colon"))?;
            if !line[colon + 1..].trim().is_empty() && !line[colon + 1..].trim_start().starts_with('#') {
                return Err(wrong("the value is not on its key's line: set it by hand"));
            }
            format!("{}: {}{}", &line[..colon], value.to_yaml(), &line[colon + 1..])
        }
    };
    lines[key_line - 1] = rebuilt;
    let mut out = lines.join("\n");
    out.push('\n');
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(text: &str, values: &[(&str, Scalar)]) -> Result<String, Diagnostic> {
        set_values(Path::new("config.yml"), text, values)
    }

    #[test]
    fn values_change_in_place_and_comments_stay() {
        let text = "# the site\nsystem:\n  # who people reach\n  domain: localhost # the name\n  bind_address: 0.0.0.0\nauth:\n  smtp:\n    host: null\n    port: 587\n";
        let out = set(
            text,
            &[
                ("system.domain", Scalar::Text("sting.example.org".into())),
                ("auth.smtp.host", Scalar::Text("mail.example.org".into())),
                ("auth.smtp.port", Scalar::Integer(465)),
            ],
        )
        .unwrap();
        assert_eq!(
            out,
            "# the site\nsystem:\n  # who people reach\n  domain: \"sting.example.org\" # the name\n  bind_address: 0.0.0.0\nauth:\n  smtp:\n    host: \"mail.example.org\"\n    port: 465\n"
        );
    }

    #[test]
    fn a_quoted_old_value_with_a_hash_inside_keeps_only_its_comment() {
        let text = "system:\n  domain: \"a \\\" # b\" # keep\n";
        let out = set(text, &[("system.domain", Scalar::Text("c".into()))]).unwrap();
        assert_eq!(out, "system:\n  domain: \"c\" # keep\n");
    }

    #[test]
    fn single_quotes_and_separators_are_handled_and_a_value_over_lines_refused() {
        let text = "system:\n  domain: 'it''s # here' # keep\n";
        let out = set(text, &[("system.domain", Scalar::Text("a\u{2028}b".into()))]).unwrap();
        assert_eq!(out, "system:\n  domain: \"a\\u2028b\" # keep\n");
        let over = "system:\n  domain: \"two\n    lines\"\n";
        let error = set(over, &[("system.domain", Scalar::Text("x".into()))]).unwrap_err();
        assert_eq!(error.code, Code::WrongType, "{error}");
    }

    #[test]
    fn a_key_of_the_same_name_elsewhere_is_not_touched() {
        let text = "database:\n  host: db\nauth:\n  smtp:\n    host: null\n";
        let out = set(text, &[("auth.smtp.host", Scalar::Text("mx".into()))]).unwrap();
        assert_eq!(out, "database:\n  host: db\nauth:\n  smtp:\n    host: \"mx\"\n");
    }

    #[test]
    fn text_that_looks_like_yaml_stays_text() {
        let text = "system:\n  domain: x\n";
        let out = set(text, &[("system.domain", Scalar::Text("a: b # \"c\"\\".into()))]).unwrap();
        let doc = Document::parse(Path::new("c.yml"), &out).unwrap();
        let (_, value) = entry(&doc.root, &["system", "domain"]).unwrap();
        assert_eq!(value.as_scalar().unwrap().as_str(), "a: b # \"c\"\\");
    }

    #[test]
    fn a_missing_key_or_a_mapping_is_refused_with_its_path() {
        let text = "system:\n  domain: x\nauth:\n  smtp:\n    host: y\n";
        let missing = set(text, &[("system.nowhere", Scalar::Integer(1))]).unwrap_err();
        assert_eq!((missing.code, missing.key.as_str()), (Code::MissingKey, "system.nowhere"));
        let mapping = set(text, &[("auth.smtp", Scalar::Integer(1))]).unwrap_err();
        assert_eq!((mapping.code, mapping.key.as_str()), (Code::WrongType, "auth.smtp"));
    }
}
