//! Personal data in text. Reusable on its own: stingd runs it on uploads, on what is sent to a
//! model, and from `stingd pii scan`.
//!
//! How it stays fast (the goal is over 100 MB/s on one core): one pass over the bytes finds the
//! places where something could start (a digit after a non-word byte, an `@`, a hex run with
//! `:`, a capital letter, a known key prefix or context word from one Aho-Corasick automaton),
//! and only there does a detector look closer. Candidates are then validated the way the data
//! itself is (Luhn, mod-97, checksums, ranges), scored, raised by context words nearby, and
//! overlaps are resolved so that a phone number is not also found inside a card number.
//!
//! Findings carry byte offsets, a type, a score and the rule that matched; never a copy of the
//! value, so they can be stored and logged.

mod checks;
pub mod eval;
mod kind;
pub mod redact;
mod scan;

pub use kind::Kind;
pub use redact::{Placeholders, Restorer, redact};
pub use scan::{Finding, Scanner};
