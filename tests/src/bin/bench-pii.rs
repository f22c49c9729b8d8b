//! PII scanning speed on one core: megabytes per second over generated prose with personal data
//! sprinkled through it (about one item per 400 bytes, every kind), and over plain prose alone.
//!
//!   cargo build --release -p sting-e2e --bin bench-pii
//!   target/release/bench-pii [--megabytes 64]
//!
//! The text is built from a fixed seed, so runs compare.

use std::time::Instant;

use sting_pii::Scanner;

const PROSE: &[&str] = &[
    "The committee reviewed the quarterly figures and agreed to revisit the proposal next month.",
    "Shipping was delayed by the storm, but the warehouse in the north reopened on Tuesday.",
    "Our new onboarding guide explains how to request access and where the templates live.",
    "Version 2.4 of the service adds retries, better logging, and a cleaner configuration file.",
    "Please review the attached draft before the meeting; comments are welcome in the margin.",
    "The library will close early on Friday for maintenance of the heating system.",
];

const PERSONAL: &[&str] = &[
    "Contact jane.doe@example.org for details.",
    "Call +44 20 7946 0958 or (415) 555-2671.",
    "Card 4111 1111 1111 1111 was charged.",
    "IBAN GB82 WEST 1234 5698 7654 32 on file.",
    "SSN 123-45-6789 was provided.",
    "Login from 192.168.10.24 and 2001:db8::1.",
    "Born on 12/03/1990 in Leeds.",
    "Key AKIAIOSFODNN7EXAMPLE was rotated.",
    "Dr. Amelia Hartwell lives at 221 Baker Street.",
    "Wallet 1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2 received funds.",
];

fn text(megabytes: usize, with_personal: bool) -> String {
    let mut state: u64 = 0x5eed_1234_abcd_0001;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut out = String::with_capacity(megabytes << 20);
    while out.len() < megabytes << 20 {
        out.push_str(PROSE[(next() % PROSE.len() as u64) as usize]);
        out.push(' ');
        if with_personal && next() % 4 == 0 {
            out.push_str(PERSONAL[(next() % PERSONAL.len() as u64) as usize]);
            out.push(' ');
        }
    }
    out
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let megabytes: usize =
        args.iter().position(|a| a == "--megabytes").and_then(|i| args.get(i + 1)).map_or(64, |m| m.parse().unwrap());
    let scanner = Scanner::all();
    for (label, with_personal) in [("prose with personal data", true), ("plain prose", false)] {
        let text = text(megabytes, with_personal);
        scanner.scan(&text[..1 << 16]); // warm up
        let started = Instant::now();
        let findings = scanner.scan(&text);
        let seconds = started.elapsed().as_secs_f64();
        println!(
            "{label}: {:.1} MB in {seconds:.2} s = {:.0} MB/s on one core, {} findings",
            text.len() as f64 / 1e6,
            text.len() as f64 / 1e6 / seconds,
            findings.len()
        );
    }
}
