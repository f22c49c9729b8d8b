//! Reversible redaction, for text that leaves the machine: each finding is replaced by a
//! placeholder such as `[EMAIL_1]` (the same value gets the same placeholder), and the reply is
//! restored by [`Restorer`], which also works on a reply that arrives in pieces: it holds back
//! only what could be the start of a placeholder, until the next piece says.

use std::collections::HashMap;

use crate::scan::Finding;

/// The placeholders given out for one exchange, and what each stands for.
#[derive(Clone, Debug, Default)]
pub struct Placeholders {
    by_value: HashMap<String, String>,
    by_placeholder: HashMap<String, String>,
    counts: HashMap<&'static str, usize>,
}

impl Placeholders {
    pub fn is_empty(&self) -> bool {
        self.by_placeholder.is_empty()
    }

    pub fn len(&self) -> usize {
        self.by_placeholder.len()
    }

    fn placeholder_for(&mut self, label: &'static str, value: &str) -> String {
        if let Some(existing) = self.by_value.get(value) {
            return existing.clone();
        }
        let count = self.counts.entry(label).or_insert(0);
        *count += 1;
        let placeholder = format!("[{label}_{count}]");
        self.by_value.insert(value.to_string(), placeholder.clone());
        self.by_placeholder.insert(placeholder.clone(), value.to_string());
        placeholder
    }

    /// `text` with every placeholder this set gave out replaced by its value.
    pub fn restore(&self, text: &str) -> String {
        let mut restorer = Restorer::new(self.clone());
        let mut out = restorer.push(text);
        out.push_str(&restorer.finish());
        out
    }
}

/// `text` with `findings` (from [`crate::Scanner::scan`] on this text) replaced by
/// placeholders, recorded in `placeholders` (shared across the messages of one request).
pub fn redact(text: &str, findings: &[Finding], placeholders: &mut Placeholders) -> String {
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for f in findings {
        if f.start < at || f.end > text.len() {
            continue;
        }
        out.push_str(&text[at..f.start]);
        out.push_str(&placeholders.placeholder_for(f.kind.label(), &text[f.range()]));
        at = f.end;
    }
    out.push_str(&text[at..]);
    out
}

/// Restores placeholders in a reply that arrives in pieces. `P` is the placeholder set, owned
/// or shared (`&Placeholders`, `Arc<Placeholders>`).
pub struct Restorer<P: std::borrow::Borrow<Placeholders>> {
    placeholders: P,
    held: String,
}

impl<P: std::borrow::Borrow<Placeholders>> Restorer<P> {
    pub fn new(placeholders: P) -> Self {
        Self { placeholders, held: String::new() }
    }

    /// The next piece of the reply; returns what can be shown now.
    pub fn push(&mut self, piece: &str) -> String {
        self.held.push_str(piece);
        let text = std::mem::take(&mut self.held);
        // Hold back a trailing `[...` that could still become a placeholder.
        let keep_from = match text.rfind('[') {
            Some(open) if could_be_placeholder(&text[open..]) && !text[open..].contains(']') => open,
            _ => text.len(),
        };
        self.held = text[keep_from..].to_string();
        self.replace(&text[..keep_from])
    }

    /// The end of the reply: whatever was held back, as it is.
    pub fn finish(&mut self) -> String {
        let rest = std::mem::take(&mut self.held);
        self.replace(&rest)
    }

    fn replace(&self, text: &str) -> String {
        let placeholders = self.placeholders.borrow();
        if placeholders.is_empty() || !text.contains('[') {
            return text.to_string();
        }
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(open) = rest.find('[') {
            out.push_str(&rest[..open]);
            let after = &rest[open..];
            match after.find(']').map(|close| &after[..=close]) {
                Some(candidate) if placeholders.by_placeholder.contains_key(candidate) => {
                    out.push_str(&placeholders.by_placeholder[candidate]);
                    rest = &after[candidate.len()..];
                }
                _ => {
                    out.push('[');
                    rest = &after[1..];
                }
            }
        }
        out.push_str(rest);
        out
    }
}

/// Whether `text` (starting with `[`) is the beginning of something shaped like `[LABEL_12]`.
fn could_be_placeholder(text: &str) -> bool {
    let inner = &text[1..];
    inner.len() <= 32 && inner.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Scanner;

    fn redacted(text: &str, placeholders: &mut Placeholders) -> String {
        redact(text, &Scanner::all().scan(text), placeholders)
    }

    #[test]
    fn values_become_placeholders_and_come_back() {
        let mut p = Placeholders::default();
        let out = redacted("Mail jane@example.org, card 4111 1111 1111 1111; again jane@example.org", &mut p);
        assert_eq!(out, "Mail [EMAIL_1], card [CREDIT_CARD_1]; again [EMAIL_1]");
        let second = redacted("and bob@example.org", &mut p);
        assert_eq!(second, "and [EMAIL_2]", "numbering continues across the messages of a request");
        assert_eq!(
            p.restore("I wrote to [EMAIL_1] and [EMAIL_2], not [EMAIL_3] or [link]."),
            "I wrote to jane@example.org and bob@example.org, not [EMAIL_3] or [link]."
        );
    }

    #[test]
    fn a_placeholder_split_anywhere_across_pieces_is_restored_and_nothing_else_waits() {
        let mut p = Placeholders::default();
        redacted("reach me at jane@example.org", &mut p);
        let reply = "Sure [x]: I will write to [EMAIL_1] today [ok";
        let whole = p.restore(reply);
        assert_eq!(whole, "Sure [x]: I will write to jane@example.org today [ok");
        // Every split into three pieces gives the same text.
        for a in 0..=reply.len() {
            for b in a..=reply.len() {
                let mut r = Restorer::new(&p);
                let mut out = r.push(&reply[..a]);
                out += &r.push(&reply[a..b]);
                out += &r.push(&reply[b..]);
                out += &r.finish();
                assert_eq!(out, whole, "split at {a} and {b}");
            }
        }
        // Only a possible placeholder is held back.
        let mut r = Restorer::new(&p);
        assert_eq!(r.push("Hello [EMA"), "Hello ");
        assert_eq!(r.push("IL_1] and [a lowercase bracket"), "jane@example.org and [a lowercase bracket");
    }
}
