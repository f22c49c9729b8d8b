//! The scanner: one pass over the bytes finding where something could start, detectors that
//! look closer only there, context, and overlap resolution (see the crate's description).

use std::ops::Range;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use serde::Serialize;

use crate::checks;
use crate::kind::Kind;

/// One piece of personal data: where it is (byte offsets into the scanned text), what it is,
/// how sure the scanner is, and which rule found it. Never the value itself.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Finding {
    pub kind: Kind,
    pub start: usize,
    pub end: usize,
    pub score: f32,
    pub rule: &'static str,
}

impl Finding {
    pub fn range(&self) -> Range<usize> {
        self.start..self.end
    }
}

/// A secret with a known prefix: what follows it, and how long.
struct KeyRule {
    prefix: &'static str,
    rule: &'static str,
    /// The characters the rest may hold.
    charset: fn(u8) -> bool,
    min: usize,
    max: usize,
    score: f32,
}

fn alnum(b: u8) -> bool {
    b.is_ascii_alphanumeric()
}
fn alnum_dash(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}
fn upper_digit(b: u8) -> bool {
    b.is_ascii_uppercase() || b.is_ascii_digit()
}
fn alnum_underscore(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

const KEY_RULES: &[KeyRule] = &[
    KeyRule { prefix: "AKIA", rule: "aws-access-key-id", charset: upper_digit, min: 16, max: 16, score: 0.95 },
    KeyRule { prefix: "ASIA", rule: "aws-access-key-id", charset: upper_digit, min: 16, max: 16, score: 0.95 },
    KeyRule { prefix: "ghp_", rule: "github-token", charset: alnum, min: 36, max: 36, score: 0.95 },
    KeyRule { prefix: "gho_", rule: "github-token", charset: alnum, min: 36, max: 36, score: 0.95 },
    KeyRule { prefix: "ghu_", rule: "github-token", charset: alnum, min: 36, max: 36, score: 0.95 },
    KeyRule { prefix: "ghs_", rule: "github-token", charset: alnum, min: 36, max: 36, score: 0.95 },
    KeyRule { prefix: "ghr_", rule: "github-token", charset: alnum, min: 36, max: 36, score: 0.95 },
    KeyRule {
        prefix: "github_pat_",
        rule: "github-fine-grained-token",
        charset: alnum_underscore,
        min: 82,
        max: 82,
        score: 0.95,
    },
    KeyRule { prefix: "glpat-", rule: "gitlab-token", charset: alnum_dash, min: 20, max: 20, score: 0.95 },
    KeyRule { prefix: "xoxb-", rule: "slack-token", charset: alnum_dash, min: 20, max: 120, score: 0.9 },
    KeyRule { prefix: "xoxp-", rule: "slack-token", charset: alnum_dash, min: 20, max: 120, score: 0.9 },
    KeyRule { prefix: "xoxa-", rule: "slack-token", charset: alnum_dash, min: 20, max: 120, score: 0.9 },
    KeyRule { prefix: "sk_live_", rule: "stripe-secret-key", charset: alnum, min: 24, max: 99, score: 0.95 },
    KeyRule { prefix: "rk_live_", rule: "stripe-restricted-key", charset: alnum, min: 24, max: 99, score: 0.95 },
    KeyRule { prefix: "AIza", rule: "google-api-key", charset: alnum_dash, min: 35, max: 35, score: 0.9 },
    KeyRule { prefix: "sk-ant-", rule: "anthropic-api-key", charset: alnum_dash, min: 32, max: 120, score: 0.95 },
    KeyRule { prefix: "sk-proj-", rule: "openai-api-key", charset: alnum_dash, min: 40, max: 200, score: 0.95 },
    KeyRule { prefix: "sk-", rule: "openai-api-key", charset: alnum, min: 32, max: 64, score: 0.85 },
    KeyRule { prefix: "hf_", rule: "huggingface-token", charset: alnum, min: 34, max: 34, score: 0.9 },
    KeyRule { prefix: "npm_", rule: "npm-token", charset: alnum, min: 36, max: 36, score: 0.9 },
    KeyRule { prefix: "pypi-", rule: "pypi-token", charset: alnum_dash, min: 50, max: 250, score: 0.9 },
    KeyRule {
        prefix: "SG.",
        rule: "sendgrid-api-key",
        charset: |b| alnum_dash(b) || b == b'.',
        min: 60,
        max: 70,
        score: 0.9,
    },
];

/// Words that make a nearby candidate likelier, by kind, and how much.
const CONTEXT: &[(&str, Kind, f32)] = &[
    ("phone", Kind::Phone, 0.25),
    ("tel", Kind::Phone, 0.2),
    ("mobile", Kind::Phone, 0.25),
    ("cell", Kind::Phone, 0.2),
    ("call", Kind::Phone, 0.15),
    ("fax", Kind::Phone, 0.2),
    ("whatsapp", Kind::Phone, 0.25),
    ("card", Kind::CreditCard, 0.1),
    ("visa", Kind::CreditCard, 0.1),
    ("mastercard", Kind::CreditCard, 0.1),
    ("iban", Kind::Iban, 0.1),
    ("account", Kind::Iban, 0.05),
    ("ssn", Kind::Ssn, 0.3),
    ("social security", Kind::Ssn, 0.3),
    ("ip", Kind::IpAddress, 0.1),
    ("address", Kind::IpAddress, 0.05),
    ("mac", Kind::MacAddress, 0.1),
    ("born", Kind::DateOfBirth, 0.9),
    ("birth", Kind::DateOfBirth, 0.9),
    ("dob", Kind::DateOfBirth, 0.9),
    ("d.o.b", Kind::DateOfBirth, 0.9),
    ("birthday", Kind::DateOfBirth, 0.9),
    ("wallet", Kind::CryptoWallet, 0.3),
    ("bitcoin", Kind::CryptoWallet, 0.3),
    ("ethereum", Kind::CryptoWallet, 0.3),
    ("eth", Kind::CryptoWallet, 0.2),
    ("npi", Kind::Npi, 0.5),
    ("provider", Kind::Npi, 0.2),
    ("dea", Kind::Dea, 0.4),
    ("name", Kind::Person, 0.15),
    ("patient", Kind::Person, 0.15),
    ("contact", Kind::Person, 0.1),
    ("dear", Kind::Person, 0.2),
    ("signed", Kind::Person, 0.1),
    ("address", Kind::Address, 0.2),
    ("lives at", Kind::Address, 0.2),
    ("street", Kind::Address, 0.1),
];

/// Keywords after which a high-entropy value is taken for a secret (`api_key = ...`).
const SECRET_WORDS: &[&str] = &[
    "api_key",
    "apikey",
    "api-key",
    "secret",
    "token",
    "password",
    "passwd",
    "access_key",
    "client_secret",
    "auth_key",
];

/// How far before a candidate a context word counts, in bytes.
const CONTEXT_WINDOW: usize = 48;

#[derive(Clone, Copy)]
enum Keyword {
    Key(usize),
    Context(usize),
    SecretWord,
}

pub struct Scanner {
    enabled: [bool; 14],
    min_score: f32,
    automaton: AhoCorasick,
    keywords: Vec<Keyword>,
}

impl Scanner {
    /// A scanner for `kinds`, reporting findings scored at least `min_score`.
    pub fn new(kinds: &[Kind], min_score: f32) -> Self {
        let mut enabled = [false; 14];
        for kind in kinds {
            enabled[*kind as usize] = true;
        }
        let mut patterns: Vec<&str> = Vec::new();
        let mut keywords = Vec::new();
        for (i, rule) in KEY_RULES.iter().enumerate() {
            patterns.push(rule.prefix);
            keywords.push(Keyword::Key(i));
        }
        for (i, (word, _, _)) in CONTEXT.iter().enumerate() {
            patterns.push(word);
            keywords.push(Keyword::Context(i));
        }
        for word in SECRET_WORDS {
            patterns.push(word);
            keywords.push(Keyword::SecretWord);
        }
        let automaton = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .build(&patterns)
            .expect("the keyword automaton builds");
        Self { enabled, min_score, automaton, keywords }
    }

    /// Every kind, at the default floor of 0.5.
    pub fn all() -> Self {
        Self::new(Kind::ALL, 0.5)
    }

    fn on(&self, kind: Kind) -> bool {
        self.enabled[kind as usize]
    }

    /// The findings in `text`, ordered by position, without overlaps.
    pub fn scan(&self, text: &str) -> Vec<Finding> {
        let bytes = text.as_bytes();
        let mut found = Vec::new();
        // Context words (sorted by position) and secrets with known prefixes.
        let mut context: Vec<Context> = Vec::new();
        for m in self.automaton.find_overlapping_iter(text) {
            match self.keywords[m.pattern().as_usize()] {
                Keyword::Key(i) => {
                    let rule = &KEY_RULES[i];
                    // Prefixes are case-sensitive; the automaton is not (for the context words).
                    if &text[m.start()..m.end()] == rule.prefix && self.on(Kind::ApiKey) {
                        key_with_prefix(bytes, m.start(), rule, &mut found);
                    }
                }
                Keyword::Context(i) => {
                    if word_boundary(bytes, m.start(), m.end()) {
                        let (_, kind, boost) = CONTEXT[i];
                        context.push((m.start(), kind, boost));
                    }
                }
                Keyword::SecretWord => {
                    if self.on(Kind::ApiKey) {
                        assigned_secret(bytes, m.end(), &mut found);
                    }
                }
            }
        }
        if self.on(Kind::ApiKey) {
            private_keys(text, &mut found);
        }
        context.sort_by_key(|c| c.0);

        // The one pass over the bytes.
        let n = bytes.len();
        let mut i = 0;
        while i < n {
            let b = bytes[i];
            if b == b'@' {
                if self.on(Kind::Email) {
                    email(bytes, i, &mut found);
                }
                i += 1;
                continue;
            }
            let starts_word = i == 0 || !is_word(bytes[i - 1]);
            if !starts_word || !(b.is_ascii_alphanumeric() || b == b'+' || b == b'(' || b == b':') {
                i += 1;
                continue;
            }
            let next = self.at_word_start(bytes, i, &context, &mut found);
            i = next.max(i + 1);
        }

        // Context, floors, overlaps.
        for finding in &mut found {
            finding.score = (finding.score + context_boost(&context, finding.kind, finding.start)).min(1.0);
        }
        found.retain(|f| self.on(f.kind) && f.score >= self.min_score);
        resolve_overlaps(found)
    }

    /// Tries the detectors that can start at `i`; returns where scanning resumes.
    fn at_word_start(&self, bytes: &[u8], i: usize, context: &[Context], found: &mut Vec<Finding>) -> usize {
        let b = bytes[i];
        let mut resume = i + 1;
        // Hex with colons: IPv6 and MAC addresses.
        if b.is_ascii_hexdigit() || b == b':' {
            if let Some(end) = colon_hex(bytes, i, self, found) {
                return end;
            }
        }
        if b.is_ascii_digit() || b == b'+' || b == b'(' {
            if let Some(run) = NumberRun::parse(bytes, i) {
                resume = run.end;
                self.numbers(bytes, &run, context, found);
            }
            // Base58 Bitcoin addresses start with 1 or 3.
            if matches!(b, b'1' | b'3') && self.on(Kind::CryptoWallet) {
                let end = token_end(bytes, i, |c| c.is_ascii_alphanumeric());
                let token = &bytes[i..end];
                if (26..=35).contains(&token.len()) && checks::base58check(std::str::from_utf8(token).unwrap_or("")) {
                    found.push(finding(Kind::CryptoWallet, i, end, 0.95, "bitcoin-base58"));
                    return end;
                }
            }
            if b == b'0' && bytes.get(i + 1) == Some(&b'x') && self.on(Kind::CryptoWallet) {
                let end = token_end(bytes, i + 2, |c| c.is_ascii_hexdigit());
                if end - (i + 2) == 40 && !bytes.get(end).is_some_and(|c| is_word(*c)) {
                    let hex = std::str::from_utf8(&bytes[i + 2..end]).unwrap_or("");
                    match checks::eip55(hex) {
                        Some(true) => found.push(finding(Kind::CryptoWallet, i, end, 0.95, "ethereum-eip55")),
                        None => found.push(finding(Kind::CryptoWallet, i, end, 0.6, "ethereum")),
                        Some(false) => {}
                    }
                    return end;
                }
            }
            return resume;
        }
        if b == b'b' && bytes[i..].starts_with(b"bc1") && self.on(Kind::CryptoWallet) {
            let end = token_end(bytes, i, |c| c.is_ascii_alphanumeric());
            if (14..=74).contains(&(end - i))
                && checks::bech32_address(std::str::from_utf8(&bytes[i..end]).unwrap_or(""))
            {
                found.push(finding(Kind::CryptoWallet, i, end, 0.95, "bitcoin-bech32"));
                return end;
            }
        }
        if b.is_ascii_uppercase() {
            if let Some(end) = self.upper(bytes, i, found) {
                return end;
            }
        }
        // Skip the rest of this word.
        token_end(bytes, i, is_word)
    }

    /// Starting with a capital: IBAN, DEA number, a person's name, a date in words.
    fn upper(&self, bytes: &[u8], i: usize, found: &mut Vec<Finding>) -> Option<usize> {
        let second_upper = bytes.get(i + 1).is_some_and(u8::is_ascii_uppercase);
        if second_upper && self.on(Kind::Iban) && bytes.get(i + 2).is_some_and(u8::is_ascii_digit) {
            if let Some(end) = iban(bytes, i, found) {
                return Some(end);
            }
        }
        if second_upper && self.on(Kind::Dea) {
            let end = token_end(bytes, i, |c| c.is_ascii_alphanumeric());
            if end - i == 9 && checks::dea(&bytes[i..end]) {
                found.push(finding(Kind::Dea, i, end, 0.5, "dea-check-digit"));
                return Some(end);
            }
        }
        if self.on(Kind::DateOfBirth) {
            if let Some(end) = date_in_words(bytes, i) {
                found.push(finding(Kind::DateOfBirth, i, end, 0.0, "date-words"));
                return Some(end);
            }
        }
        if self.on(Kind::Person) {
            if let Some(end) = person(bytes, i, found) {
                return Some(end);
            }
        }
        None
    }

    /// A run of digit groups: card, SSN, phone, IPv4, NPI, a date, a house number.
    fn numbers(&self, bytes: &[u8], run: &NumberRun, context: &[Context], found: &mut Vec<Finding>) {
        let digits = run.digits(bytes);
        let groups: Vec<usize> = run.groups.iter().map(|g| g.end - g.start).collect();
        let seps = &run.seps;
        let same_sep = |s: u8| seps.iter().all(|&x| x == s);
        let (start, end) = (run.start, run.end);
        let near = |kind: Kind| context_boost(context, kind, start) > 0.0;

        if run.extension {
            if let Some((score, rule)) = phone(bytes, run, &digits, &groups) {
                found.push(finding(Kind::Phone, start, end, (score + 0.1).min(1.0), rule));
            }
            return;
        }
        // IPv4.
        if groups.len() == 4 && same_sep(b'.') && !run.plus && !run.paren {
            let octets: Vec<u32> = run.groups.iter().map(|g| parse(&bytes[g.clone()])).collect();
            if groups.iter().all(|&g| g <= 3) && octets.iter().all(|&o| o <= 255) {
                found.push(finding(Kind::IpAddress, start, end, 0.75, "ipv4"));
                return;
            }
        }
        // Dates (a date of birth only with context, which scoring adds).
        if groups.len() == 3 && (same_sep(b'/') || same_sep(b'-') || same_sep(b'.')) && is_date(bytes, run) {
            if near(Kind::DateOfBirth) {
                found.push(finding(Kind::DateOfBirth, start, end, 0.0, "date"));
            }
            return;
        }
        if let Some(end) = date_digits_then_month(bytes, run) {
            if near(Kind::DateOfBirth) {
                found.push(finding(Kind::DateOfBirth, start, end, 0.0, "date-words"));
            }
            return;
        }
        // US SSN: 3-2-4 with dashes (or spaces), or nine digits beside the word.
        if !run.plus && !run.paren {
            let ssn_parts = match (groups.as_slice(), digits.len()) {
                ([3, 2, 4], _) if same_sep(b'-') || same_sep(b' ') => Some(0.85),
                ([9], 9) if near(Kind::Ssn) => Some(0.55),
                _ => None,
            };
            if let Some(score) = ssn_parts {
                let (a, g, s) = (parse(&digits[..3]), parse(&digits[3..5]), parse(&digits[5..]));
                if checks::ssn(a, g, s) {
                    found.push(finding(Kind::Ssn, start, end, score, "us-ssn"));
                    return;
                }
            }
        }
        // Payment cards.
        if (13..=19).contains(&digits.len())
            && !run.plus
            && !run.paren
            && (seps.is_empty() || same_sep(b' ') || same_sep(b'-'))
            && card_grouping(&groups)
            && checks::luhn(&digits)
            && checks::card_prefix(&digits)
        {
            found.push(finding(Kind::CreditCard, start, end, 0.9, "card-luhn"));
            return;
        }
        // NPI: ten digits passing its check, likely only with the word nearby.
        if groups == [10] && checks::npi(&digits) {
            found.push(finding(Kind::Npi, start, end, 0.35, "npi-luhn"));
        }
        // Phone numbers.
        if let Some((score, rule)) = phone(bytes, run, &digits, &groups) {
            found.push(finding(Kind::Phone, start, end, score, rule));
            return;
        }
        // A house number starting a street address.
        if groups.len() == 1 && groups[0] <= 5 && !run.plus && !run.paren && self.on(Kind::Address) {
            if let Some(end) = street_address(bytes, end) {
                found.push(finding(Kind::Address, start, end, 0.6, "street-address"));
            }
        }
    }
}

/// A context word: where it starts, the kind it speaks for, and how much it adds.
type Context = (usize, Kind, f32);

/// The largest boost a context word for `kind` gives a candidate at `start` (words sorted by
/// position, so only the window before `start` is looked at).
fn context_boost(context: &[Context], kind: Kind, start: usize) -> f32 {
    let from = context.partition_point(|c| c.0 + CONTEXT_WINDOW < start);
    context[from..].iter().take_while(|c| c.0 < start).filter(|c| c.1 == kind).map(|c| c.2).fold(0.0, f32::max)
}

fn finding(kind: Kind, start: usize, end: usize, score: f32, rule: &'static str) -> Finding {
    Finding { kind, start, end, score, rule }
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80
}

fn word_boundary(bytes: &[u8], start: usize, end: usize) -> bool {
    (start == 0 || !bytes[start - 1].is_ascii_alphanumeric())
        && bytes.get(end).is_none_or(|b| !b.is_ascii_alphanumeric())
}

fn token_end(bytes: &[u8], from: usize, class: impl Fn(u8) -> bool) -> usize {
    let mut end = from;
    while end < bytes.len() && class(bytes[end]) {
        end += 1;
    }
    end
}

fn parse(digits: &[u8]) -> u32 {
    digits.iter().take(9).fold(0, |a, d| a * 10 + u32::from(d - b'0'))
}

/// Digit groups with single separators between them: `+49 (0)30 1234-5678`, `4111 1111 ...`.
struct NumberRun {
    start: usize,
    end: usize,
    groups: Vec<Range<usize>>,
    seps: Vec<u8>,
    plus: bool,
    paren: bool,
    /// Ends with a phone extension, so it can only be a phone number.
    extension: bool,
}

impl NumberRun {
    const MAX_GROUPS: usize = 8;

    fn parse(bytes: &[u8], start: usize) -> Option<Self> {
        let n = bytes.len();
        let mut i = start;
        let plus = bytes[i] == b'+';
        if plus {
            i += 1;
        }
        let paren = bytes.get(i) == Some(&b'(');
        if paren {
            i += 1;
        }
        let mut groups = Vec::new();
        let mut seps = Vec::new();
        loop {
            let g = i;
            while i < n && bytes[i].is_ascii_digit() {
                i += 1;
            }
            if i == g {
                break;
            }
            groups.push(g..i);
            if groups.len() >= Self::MAX_GROUPS {
                break;
            }
            if paren && groups.len() == 1 {
                if bytes.get(i) != Some(&b')') {
                    return None;
                }
                i += 1;
                seps.push(b')');
                if bytes.get(i) == Some(&b' ') {
                    i += 1;
                }
                continue;
            }
            match (bytes.get(i), bytes.get(i + 1)) {
                (Some(&s @ (b' ' | b'-' | b'.' | b'/')), Some(d)) if d.is_ascii_digit() => {
                    seps.push(s);
                    i += 1;
                }
                // The trunk prefix of an international number: `+44(0)20 ...`, `+44 (0)20`.
                (Some(b'('), Some(d)) if plus && d.is_ascii_digit() => {
                    seps.push(b'(');
                    i += 1;
                }
                (Some(b')'), Some(d)) if plus && (d.is_ascii_digit() || *d == b' ') => {
                    seps.push(b')');
                    i += if *d == b' ' { 2 } else { 1 };
                }
                (Some(b' '), Some(b'(')) if plus && bytes.get(i + 2).is_some_and(u8::is_ascii_digit) => {
                    seps.push(b'(');
                    i += 2;
                }
                _ => break,
            }
        }
        let mut end = groups.last()?.end;
        // A phone extension: `x5901`, ` ext. 12`.
        let mut extension = false;
        for marker in [&b"x"[..], b" x", b" ext. ", b" ext ", b" ext"] {
            if bytes[end..].starts_with(marker) {
                let digits_end = token_end(bytes, end + marker.len(), |c| c.is_ascii_digit());
                if (1..=5).contains(&(digits_end - end - marker.len())) {
                    end = digits_end;
                    extension = true;
                }
                break;
            }
        }
        // A run glued to letters (an order code, a version string) is not a number on its own.
        if bytes.get(end).is_some_and(|b| b.is_ascii_alphabetic() || *b == b'_') {
            return None;
        }
        Some(Self { start, end, groups, seps, plus, paren, extension })
    }

    fn digits(&self, bytes: &[u8]) -> Vec<u8> {
        self.groups.iter().flat_map(|g| bytes[g.clone()].iter().copied()).collect()
    }
}

fn card_grouping(groups: &[usize]) -> bool {
    matches!(
        groups,
        [_] | [4, 4, 4, 4] | [4, 4, 4, 4, 3] | [4, 6, 5] | [4, 6, 4] | [4, 4, 4, 2] | [4, 4, 4, 1] | [4, 4, 4, 3]
    )
}

fn phone(bytes: &[u8], run: &NumberRun, digits: &[u8], groups: &[usize]) -> Option<(f32, &'static str)> {
    let len = digits.len();
    let seps_ok = run.seps.iter().all(|s| matches!(s, b' ' | b'-' | b'.' | b')' | b'('));
    if !seps_ok {
        return None;
    }
    if run.plus {
        // E.164: a country code and at most 15 digits in all.
        return ((8..=15).contains(&len) && digits[0] != b'0').then_some((0.7, "phone-international"));
    }
    // US and Canada: (NXX) NXX-XXXX, NXX-NXX-XXXX, NXX.NXX.XXXX, 1-NXX-NXX-XXXX.
    let nanp = |d: &[u8]| d.len() == 10 && (b'2'..=b'9').contains(&d[0]) && (b'2'..=b'9').contains(&d[3]);
    match groups {
        [3, 3, 4] if nanp(digits) => return Some((0.6, "phone-nanp")),
        [1, 3, 3, 4] if digits[0] == b'1' && nanp(&digits[1..]) => return Some((0.6, "phone-nanp")),
        _ => {}
    }
    // An international call from Europe or North America: 00 or 011, then the number.
    if (digits.starts_with(b"00") && (10..=17).contains(&len) && digits[2] != b'0')
        || (digits.starts_with(b"011") && groups[0] == 3 && (11..=18).contains(&len))
    {
        return Some((0.6, "phone-international"));
    }
    if digits[0] == b'0' {
        // UK (11 digits), France (10, in pairs), Germany (10 to 12 with an area code); the area
        // code may be in brackets.
        match groups {
            [2, 2, 2, 2, 2] if len == 10 && digits[1] != b'0' => return Some((0.6, "phone-fr")),
            [_, _] | [_, _, _] if len == 11 && digits[1] != b'0' => return Some((0.55, "phone-uk")),
            [11] if digits[1] != b'0' => return Some((0.5, "phone-uk")),
            [a, _] | [a, _, _] if (3..=5).contains(a) && (10..=12).contains(&len) => {
                return Some((0.5, "phone-national"));
            }
            _ => {}
        }
    }
    if run.paren && groups.len() >= 3 && nanp(digits) {
        return Some((0.65, "phone-nanp"));
    }
    // A bare run of digits is a phone number only with the word nearby (scoring adds it).
    (groups.len() == 1 && (10..=11).contains(&len) && bytes.get(run.start) != Some(&b'0'))
        .then_some((0.3, "phone-digits"))
}

fn is_date(bytes: &[u8], run: &NumberRun) -> bool {
    let parts: Vec<(usize, u32)> = run.groups.iter().map(|g| (g.end - g.start, parse(&bytes[g.clone()]))).collect();
    let valid = |y: u32, m: u32, d: u32| (1900..=2100).contains(&y) && (1..=12).contains(&m) && (1..=31).contains(&d);
    match parts.as_slice() {
        [(4, y), (1..=2, m), (1..=2, d)] => valid(*y, *m, *d),
        [(1..=2, a), (1..=2, b), (4, y)] => valid(*y, *b, *a) || valid(*y, *a, *b),
        _ => false,
    }
}

const MONTHS: &[&str] = &[
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
    "jan",
    "feb",
    "mar",
    "apr",
    "jun",
    "jul",
    "aug",
    "sep",
    "sept",
    "oct",
    "nov",
    "dec",
];

fn month_at(bytes: &[u8], i: usize) -> Option<usize> {
    let end = token_end(bytes, i, |c| c.is_ascii_alphabetic());
    let word = std::str::from_utf8(&bytes[i..end]).ok()?.to_ascii_lowercase();
    MONTHS.contains(&word.as_str()).then_some(if bytes.get(end) == Some(&b'.') { end + 1 } else { end })
}

fn year_at(bytes: &[u8], i: usize) -> Option<usize> {
    let end = token_end(bytes, i, |c| c.is_ascii_digit());
    (end - i == 4 && (1900..=2100).contains(&parse(&bytes[i..end]))).then_some(end)
}

/// `12 March 1990`.
fn date_digits_then_month(bytes: &[u8], run: &NumberRun) -> Option<usize> {
    if run.groups.len() != 1 || run.end - run.start > 2 || bytes.get(run.end) != Some(&b' ') {
        return None;
    }
    let after_month = month_at(bytes, run.end + 1)?;
    let year_start = if bytes.get(after_month) == Some(&b',') { after_month + 2 } else { after_month + 1 };
    (bytes.get(year_start - 1) == Some(&b' ')).then_some(())?;
    year_at(bytes, year_start)
}

/// `March 12, 1990`.
fn date_in_words(bytes: &[u8], i: usize) -> Option<usize> {
    let after_month = month_at(bytes, i)?;
    if bytes.get(after_month) != Some(&b' ') {
        return None;
    }
    let day_end = token_end(bytes, after_month + 1, |c| c.is_ascii_digit());
    if !(1..=2).contains(&(day_end - after_month - 1)) {
        return None;
    }
    let year_start = match (bytes.get(day_end), bytes.get(day_end + 1)) {
        (Some(b','), Some(b' ')) => day_end + 2,
        (Some(b' '), _) => day_end + 1,
        _ => return None,
    };
    year_at(bytes, year_start)
}

fn email(bytes: &[u8], at: usize, found: &mut Vec<Finding>) {
    let local = |c: u8| c.is_ascii_alphanumeric() || b"._%+-".contains(&c);
    let mut start = at;
    while start > 0 && local(bytes[start - 1]) {
        start -= 1;
    }
    while start < at && bytes[start] == b'.' {
        start += 1;
    }
    if start == at {
        return;
    }
    let domain = |c: u8| c.is_ascii_alphanumeric() || c == b'-' || c == b'.';
    let mut end = token_end(bytes, at + 1, domain);
    while end > at + 1 && matches!(bytes[end - 1], b'.' | b'-') {
        end -= 1;
    }
    let host = &bytes[at + 1..end];
    let Some(dot) = host.iter().rposition(|&c| c == b'.') else { return };
    let tld = &host[dot + 1..];
    if (2..=24).contains(&tld.len()) && tld.iter().all(u8::is_ascii_alphabetic) && dot > 0 {
        found.push(finding(Kind::Email, start, end, 0.95, "email"));
    }
}

fn iban(bytes: &[u8], i: usize, found: &mut Vec<Finding>) -> Option<usize> {
    // Compact, or in groups of four separated by single spaces.
    let mut compact = Vec::with_capacity(34);
    let mut end = i;
    let mut j = i;
    while j < bytes.len() && compact.len() < 34 {
        let c = bytes[j];
        if c.is_ascii_uppercase() || c.is_ascii_digit() {
            compact.push(c);
            j += 1;
            end = j;
        } else if c == b' '
            && bytes.get(j + 1).is_some_and(|n| n.is_ascii_uppercase() || n.is_ascii_digit())
            && compact.len() % 4 == 0
        {
            j += 1;
        } else {
            break;
        }
    }
    // The longest prefix that is a valid IBAN (a group may be followed by other words).
    for len in (15..=compact.len()).rev() {
        if checks::iban(&compact[..len]) {
            let spaces = (len - 1) / 4;
            let stop = if bytes[i..end].contains(&b' ') { i + len + spaces } else { i + len };
            if bytes.get(stop).is_some_and(|b| b.is_ascii_alphanumeric()) {
                continue;
            }
            found.push(finding(Kind::Iban, i, stop, 0.9, "iban-mod97"));
            return Some(stop);
        }
    }
    None
}

fn colon_hex(bytes: &[u8], i: usize, scanner: &Scanner, found: &mut Vec<Finding>) -> Option<usize> {
    let end = token_end(bytes, i, |c| c.is_ascii_hexdigit() || c == b':' || c == b'.' || c == b'-');
    let mut end = end;
    while end > i && matches!(bytes[end - 1], b':' | b'.' | b'-') {
        end -= 1;
    }
    let token = &bytes[i..end];
    let colons = token.iter().filter(|&&c| c == b':').count();
    // MAC: six pairs with one kind of separator.
    if token.len() == 17 && scanner.on(Kind::MacAddress) {
        let sep = token[2];
        let pairs_ok = (0..6).all(|k| token[k * 3].is_ascii_hexdigit() && token[k * 3 + 1].is_ascii_hexdigit())
            && (1..6).all(|k| token[k * 3 - 1] == sep)
            && matches!(sep, b':' | b'-');
        if pairs_ok && !bytes.get(end).is_some_and(|c| is_word(*c)) {
            found.push(finding(Kind::MacAddress, i, end, 0.85, "mac"));
            return Some(end);
        }
    }
    if colons >= 2 && scanner.on(Kind::IpAddress) && !token.contains(&b'-') {
        let text = std::str::from_utf8(token).ok()?;
        if text.parse::<std::net::Ipv6Addr>().is_ok() && !bytes.get(end).is_some_and(|c| is_word(*c)) {
            found.push(finding(Kind::IpAddress, i, end, 0.8, "ipv6"));
            return Some(end);
        }
    }
    None
}

fn key_with_prefix(bytes: &[u8], start: usize, rule: &KeyRule, found: &mut Vec<Finding>) {
    if start > 0 && alnum(bytes[start - 1]) {
        return;
    }
    let rest = start + rule.prefix.len();
    let end = token_end(bytes, rest, rule.charset);
    let len = end - rest;
    if len < rule.min || len > rule.max || bytes.get(end).is_some_and(|c| alnum(*c)) {
        return;
    }
    // A fixed shape is evidence enough; a long free-form one must also look random.
    if rule.min != rule.max && checks::entropy(&bytes[rest..end]) < 3.0 {
        return;
    }
    found.push(finding(Kind::ApiKey, start, end, rule.score, rule.rule));
}

/// `password = "..."`, `api_key: ...`: a long, random-looking value after the word. Quoted, the
/// value runs to the closing quote; bare, to the next space, comma, semicolon or bracket.
fn assigned_secret(bytes: &[u8], after: usize, found: &mut Vec<Finding>) {
    // The rest of the key's name (`api_key_prod`), then `=` or `:`, and spaces.
    let mut i = token_end(bytes, after, |c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-');
    let mut assigned = false;
    while i < bytes.len() && i - after < 24 {
        match bytes[i] {
            b'=' | b':' if !assigned => {
                assigned = true;
                i += 1;
            }
            b' ' | b'\t' => i += 1,
            _ => break,
        }
    }
    if !assigned || i >= bytes.len() {
        return;
    }
    let (start, end) = match bytes[i] {
        quote @ (b'"' | b'\'') => {
            let end = token_end(bytes, i + 1, |c| c != quote && c != b'\n');
            (i + 1, end)
        }
        _ => (i, token_end(bytes, i, |c| !c.is_ascii_whitespace() && !b",;)]}".contains(&c))),
    };
    let token = &bytes[start..end];
    if (12..=200).contains(&token.len()) && checks::entropy(token) >= 3.3 {
        found.push(finding(Kind::ApiKey, start, end, 0.7, "assigned-secret"));
    }
}

fn private_keys(text: &str, found: &mut Vec<Finding>) {
    let mut from = 0;
    while let Some(at) = text[from..].find("-----BEGIN ") {
        let start = from + at;
        let header_end = text[start..].find('\n').map_or(text.len(), |e| start + e);
        let header = &text[start..header_end];
        if !header.contains("PRIVATE KEY-----") {
            from = start + 11;
            continue;
        }
        let end = text[header_end..]
            .find("-----END ")
            .and_then(|e| text[header_end + e..].find("-----\n").map(|x| header_end + e + x + 5).or(Some(text.len())))
            .unwrap_or(text.len());
        found.push(finding(Kind::ApiKey, start, end, 0.99, "private-key"));
        from = end;
    }
}

const TITLES: &[&str] = &["Mr", "Mrs", "Ms", "Miss", "Dr", "Prof", "Sir", "Dame", "Herr", "Frau", "Mme", "Mlle"];

/// Common given names (English-speaking and European), lower case, sorted.
const GIVEN_NAMES: &[&str] = &include!("given_names.in");

fn capitalised_word(bytes: &[u8], i: usize) -> Option<usize> {
    if !bytes.get(i)?.is_ascii_uppercase() {
        return None;
    }
    let end = token_end(bytes, i + 1, |c| c.is_ascii_lowercase() || c == b'\'' || c == b'-');
    (end - i >= 2).then_some(end)
}

/// `Dr. Jane Smith`, `Jane Smith`, `Jane A. Smith`: a title or a known given name, then a
/// capitalised surname.
fn person(bytes: &[u8], i: usize, found: &mut Vec<Finding>) -> Option<usize> {
    let first_end = capitalised_word(bytes, i)?;
    let word = std::str::from_utf8(&bytes[i..first_end]).ok()?;
    let titled = TITLES.contains(&word);
    let known = GIVEN_NAMES.binary_search(&word.to_ascii_lowercase().as_str()).is_ok();
    if !titled && !known {
        // An unknown given name still makes a name where the sentence says so: a cue before
        // (`Patient`, `Dear`, `holder`) or a reporting verb after (`wrote`, `said`).
        return cued_name(bytes, i, first_end, found).or(Some(first_end));
    }
    let mut j = first_end;
    if titled && bytes.get(j) == Some(&b'.') {
        j += 1;
    }
    let mut end = None;
    let mut words = 0;
    while bytes.get(j) == Some(&b' ') && words < 3 {
        // A middle initial.
        if bytes.get(j + 1).is_some_and(u8::is_ascii_uppercase) && bytes.get(j + 2) == Some(&b'.') {
            j += 3;
            continue;
        }
        let Some(e) = capitalised_word(bytes, j + 1) else { break };
        end = Some(e);
        j = e;
        words += 1;
    }
    let end = end?;
    let score = if titled { 0.75 } else { 0.55 };
    found.push(finding(Kind::Person, i, end, score, if titled { "person-title" } else { "person-given-name" }));
    Some(end)
}

/// Words right before a name that say a person follows.
const NAME_CUES: &[&str] = &[
    "patient",
    "dear",
    "contact",
    "holder",
    "signed",
    "notes:",
    "from",
    "by",
    "attn",
    "attn:",
    "employee",
    "client",
    "customer",
    "applicant",
    "candidate",
    "tenant",
    "cc",
    "to",
];
/// Words right after a name that say it was a person.
const NAME_VERBS: &[&str] = &[
    "wrote",
    "said",
    "says",
    "called",
    "asked",
    "replied",
    "emailed",
    "will",
    "was",
    "is",
    "has",
    "had",
    "signed",
    "confirmed",
    "reported",
    "agreed",
    "left",
    "joined",
];

/// Two or three capitalised words, with a cue word before or a reporting verb after.
fn cued_name(bytes: &[u8], i: usize, first_end: usize, found: &mut Vec<Finding>) -> Option<usize> {
    // The surname (and a possible third part).
    let mut end = first_end;
    let mut words = 1;
    while bytes.get(end) == Some(&b' ') && words < 3 {
        let Some(e) = capitalised_word(bytes, end + 1) else { break };
        end = e;
        words += 1;
    }
    if words < 2 {
        return None;
    }
    let before = {
        let head = &bytes[..i];
        let trimmed = head.strip_suffix(b" ").unwrap_or(head);
        let from = trimmed.iter().rposition(|c| *c == b' ' || *c == b'\n').map_or(0, |p| p + 1);
        std::str::from_utf8(&trimmed[from..]).ok()?.to_ascii_lowercase()
    };
    let after = {
        let from = end + 1;
        let to = token_end(bytes, from.min(bytes.len()), |c| c.is_ascii_alphabetic());
        if bytes.get(end) == Some(&b' ') {
            std::str::from_utf8(&bytes[from..to]).ok()?.to_ascii_lowercase()
        } else {
            String::new()
        }
    };
    let cued = NAME_CUES.contains(&before.trim_end_matches(',')) || NAME_VERBS.contains(&after.as_str());
    if !cued {
        return None;
    }
    found.push(finding(Kind::Person, i, end, 0.5, "person-context"));
    Some(end)
}

const STREET_SUFFIXES: &[&str] = &[
    "Street",
    "St",
    "Avenue",
    "Ave",
    "Road",
    "Rd",
    "Boulevard",
    "Blvd",
    "Lane",
    "Ln",
    "Drive",
    "Dr",
    "Court",
    "Ct",
    "Way",
    "Place",
    "Pl",
    "Terrace",
    "Square",
    "Sq",
    "Highway",
    "Hwy",
    "Parkway",
    "Pkwy",
    "Close",
    "Crescent",
];

/// After a house number: up to four capitalised words ending with a street suffix.
fn street_address(bytes: &[u8], after_number: usize) -> Option<usize> {
    let mut j = after_number;
    for _ in 0..5 {
        if bytes.get(j) != Some(&b' ') {
            return None;
        }
        let end = capitalised_word(bytes, j + 1).or_else(|| {
            bytes
                .get(j + 1)
                .is_some_and(u8::is_ascii_uppercase)
                .then(|| token_end(bytes, j + 1, |c| c.is_ascii_alphanumeric()))
        })?;
        let word = std::str::from_utf8(&bytes[j + 1..end]).ok()?;
        if STREET_SUFFIXES.contains(&word) && j > after_number {
            // `St.` keeps its dot; a full word's dot ends the sentence.
            let end = if word.len() <= 4 && bytes.get(end) == Some(&b'.') { end + 1 } else { end };
            return Some(end);
        }
        j = end;
    }
    None
}

/// Keeps the best of overlapping findings: higher score, then longer, then earlier. Findings
/// are grouped into clusters that overlap one another, and the choice is made inside each
/// cluster, so the cost stays linear in the text however many findings it holds.
fn resolve_overlaps(mut found: Vec<Finding>) -> Vec<Finding> {
    found.sort_by_key(|f| (f.start, std::cmp::Reverse(f.end)));
    let mut kept = Vec::with_capacity(found.len());
    let mut cluster: Vec<Finding> = Vec::new();
    let mut cluster_end = 0;
    for f in found {
        if !cluster.is_empty() && f.start >= cluster_end {
            choose(&mut cluster, &mut kept);
        }
        cluster_end = if cluster.is_empty() { f.end } else { cluster_end.max(f.end) };
        cluster.push(f);
    }
    choose(&mut cluster, &mut kept);
    kept.sort_by_key(|f| f.start);
    kept
}

fn choose(cluster: &mut Vec<Finding>, kept: &mut Vec<Finding>) {
    cluster.sort_by(|a, b| {
        b.score.total_cmp(&a.score).then((b.end - b.start).cmp(&(a.end - a.start))).then(a.start.cmp(&b.start))
    });
    let first = kept.len();
    for f in cluster.drain(..) {
        if kept[first..].iter().all(|k| f.end <= k.start || f.start >= k.end) {
            kept.push(f);
        }
    }
}
