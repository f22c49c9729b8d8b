//! What the scanner finds in text, where, and what it leaves alone: each kind with its exact
//! offsets, the look-alikes its checks reject, context that raises or is needed, and overlaps.

use sting_pii::{Kind, Scanner};

/// `(kind, matched text, rule)` for each finding.
fn scan(text: &str) -> Vec<(Kind, String, &'static str)> {
    Scanner::all().scan(text).into_iter().map(|f| (f.kind, text[f.range()].to_string(), f.rule)).collect()
}

fn kinds(text: &str) -> Vec<(Kind, String)> {
    scan(text).into_iter().map(|(k, t, _)| (k, t)).collect()
}

fn found(text: &str, kind: Kind, value: &str) {
    let all = kinds(text);
    assert!(all.contains(&(kind, value.to_string())), "{kind} `{value}` not found in {text:?}: {all:?}");
}

fn nothing_of(text: &str, kind: Kind) {
    let all = kinds(text);
    assert!(all.iter().all(|(k, _)| *k != kind), "no {kind} expected in {text:?}: {all:?}");
}

#[test]
fn emails_phones_and_cards() {
    found("Write to jane.doe+work@example.co.uk today.", Kind::Email, "jane.doe+work@example.co.uk");
    found("Call +44 20 7946 0958 after six", Kind::Phone, "+44 20 7946 0958");
    found("Phone: (415) 555-2671", Kind::Phone, "(415) 555-2671");
    found("office 415-555-2671.", Kind::Phone, "415-555-2671");
    found("Tél. 01 42 68 53 00", Kind::Phone, "01 42 68 53 00");
    found("mobile 07700 900123", Kind::Phone, "07700 900123");
    found("ring +44(0)113 496 0785 today", Kind::Phone, "+44(0)113 496 0785");
    found("call (378)300-8374x0718 or", Kind::Phone, "(378)300-8374x0718");
    found("dial 001-510-519-5381 now", Kind::Phone, "001-510-519-5381");
    found("Card 4111 1111 1111 1111 expires", Kind::CreditCard, "4111 1111 1111 1111");
    found("amex 3782-822463-10005", Kind::CreditCard, "3782-822463-10005");
    found("paid with 5555555555554444", Kind::CreditCard, "5555555555554444");
}

#[test]
fn bank_identity_and_network_numbers() {
    found("IBAN: GB82 WEST 1234 5698 7654 32, thanks", Kind::Iban, "GB82 WEST 1234 5698 7654 32");
    found("DE89370400440532013000", Kind::Iban, "DE89370400440532013000");
    found("SSN 123-45-6789", Kind::Ssn, "123-45-6789");
    found("my social security number is 123456789", Kind::Ssn, "123456789");
    found("from 192.168.1.20 at noon", Kind::IpAddress, "192.168.1.20");
    found("host 2001:db8::8a2e:370:7334 replied", Kind::IpAddress, "2001:db8::8a2e:370:7334");
    found("nic 00:1A:2B:3C:4D:5E up", Kind::MacAddress, "00:1A:2B:3C:4D:5E");
    found("NPI: 1234567893", Kind::Npi, "1234567893");
    found("DEA number AB1234563", Kind::Dea, "AB1234563");
}

#[test]
fn dates_count_as_birth_dates_only_with_context() {
    found("She was born on 12/03/1990 in Leeds", Kind::DateOfBirth, "12/03/1990");
    found("DOB: 1990-03-12", Kind::DateOfBirth, "1990-03-12");
    found("date of birth March 12, 1990", Kind::DateOfBirth, "March 12, 1990");
    found("born 12 March 1990", Kind::DateOfBirth, "12 March 1990");
    nothing_of("The meeting is on 12/03/2024 at ten.", Kind::DateOfBirth);
}

#[test]
fn wallets_and_secrets() {
    found("send to 1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2 now", Kind::CryptoWallet, "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2");
    found(
        "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4",
        Kind::CryptoWallet,
        "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4",
    );
    found(
        "eth 0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
        Kind::CryptoWallet,
        "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
    );
    let key = "AKIAIOSFODNN7EXAMPLE";
    found(&format!("aws_access_key_id={key}"), Kind::ApiKey, key);
    found(
        "token ghp_abcdefghijklmnopqrstuvwxyz0123456789 leaked",
        Kind::ApiKey,
        "ghp_abcdefghijklmnopqrstuvwxyz0123456789",
    );
    found(
        "OPENAI_API_KEY=sk-proj-Zq81xWm3kP0vT7aLs9dQe4RbYh2Jn6Uc5Vt8Wp1Ko0Ls",
        Kind::ApiKey,
        "sk-proj-Zq81xWm3kP0vT7aLs9dQe4RbYh2Jn6Uc5Vt8Wp1Ko0Ls",
    );
    found("password = \"hX9#kq2LmZ8pR4vT1wY6\"", Kind::ApiKey, "hX9#kq2LmZ8pR4vT1wY6");
    found("client_secret: 9f8Qe_2mZk-LwT7xRb4N,", Kind::ApiKey, "9f8Qe_2mZk-LwT7xRb4N");
    let pem = "-----BEGIN RSA PRIVATE KEY-----\nMIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8Qu\n-----END RSA PRIVATE KEY-----\n";
    assert_eq!(scan(&format!("key:\n{pem}")).iter().filter(|(_, _, r)| *r == "private-key").count(), 1);
}

#[test]
fn names_and_addresses_at_lower_confidence() {
    found("Dear Dr. Amelia Hartwell, thank you", Kind::Person, "Dr. Amelia Hartwell");
    found("Signed: Thomas Whitaker", Kind::Person, "Thomas Whitaker");
    found("He lives at 221 Baker Street, London", Kind::Address, "221 Baker Street");
    found("Office: 42 Elm St. in Springfield", Kind::Address, "42 Elm St.");
    found("Ship to 1600 Pennsylvania Avenue.", Kind::Address, "1600 Pennsylvania Avenue");
    nothing_of("The Quarterly Report covers Europe.", Kind::Person);
}

#[test]
fn look_alikes_that_fail_their_checks_are_left_alone() {
    nothing_of("Card 4111 1111 1111 1112", Kind::CreditCard);
    nothing_of("order 1234 5678 1234 5670 shipped", Kind::CreditCard);
    nothing_of("GB82 WEST 1234 5698 7654 33", Kind::Iban);
    nothing_of("SSN 000-12-3456 or 666-12-3456 or 912-12-3456", Kind::Ssn);
    nothing_of("version 10.2.300.4", Kind::IpAddress);
    nothing_of("eth 0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD", Kind::CryptoWallet);
    nothing_of("1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN3", Kind::CryptoWallet);
    nothing_of("sk-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", Kind::ApiKey);
    nothing_of("password = hunter2", Kind::ApiKey);
    nothing_of("SKU ABC123456789DEF", Kind::Phone);
    nothing_of("at 10:30:45 sharp", Kind::IpAddress);
    nothing_of("DEA AB1234564", Kind::Dea);
}

#[test]
fn overlaps_keep_the_better_finding_and_offsets_are_bytes() {
    // Sixteen digits that pass Luhn are a card, not a phone number or NPI inside it.
    let text = "pay 4111111111111111 now";
    assert_eq!(kinds(text), vec![(Kind::CreditCard, "4111111111111111".to_string())]);
    // Non-ASCII before a match: offsets are byte offsets into the UTF-8 text.
    let text = "Größe: 17 — Müller schrieb an hans@example.de";
    let findings = Scanner::all().scan(text);
    let email = findings.iter().find(|f| f.kind == Kind::Email).unwrap();
    assert_eq!(&text[email.range()], "hans@example.de");
    assert_eq!(email.start, text.find("hans").unwrap());
}

#[test]
fn only_enabled_kinds_above_the_floor_are_reported() {
    let text = "mail a@b.io, call +1 415 555 2671, card 4111111111111111";
    let only_email = Scanner::new(&[Kind::Email], 0.5).scan(text);
    assert_eq!(only_email.iter().map(|f| f.kind).collect::<Vec<_>>(), vec![Kind::Email]);
    let strict = Scanner::new(sting_pii::Kind::ALL, 0.92).scan(text);
    assert!(strict.iter().all(|f| f.score >= 0.92), "{strict:?}");
    assert!(strict.iter().any(|f| f.kind == Kind::Email));
    assert!(!strict.iter().any(|f| f.kind == Kind::Phone));
}
