//! How msting talks: results on stdout (JSON with `--json`), progress and errors on stderr,
//! colour only on a terminal and never with `--no-color` or `NO_COLOR`, prompts only when a
//! person is there to answer them.

use std::io::{IsTerminal, Write};

use anstream::{eprintln, println};
use anstyle::{AnsiColor, Style};
use serde::Serialize;

/// How the operator asked msting to talk (the global options).
#[derive(Debug, Clone, Default)]
pub struct Settings {
    pub json: bool,
    pub quiet: bool,
    pub verbose: u8,
    /// `--yes`: every confirmation is answered yes.
    pub assume_yes: bool,
    pub no_color: bool,
}

pub const ERROR: Style = AnsiColor::Red.on_default().bold();
pub const WARN: Style = AnsiColor::Yellow.on_default().bold();
pub const GOOD: Style = AnsiColor::Green.on_default().bold();
pub const DIM: Style = Style::new().dimmed();

#[derive(Debug, Clone)]
pub struct Output {
    pub json: bool,
    pub quiet: bool,
    pub verbose: u8,
    pub assume_yes: bool,
    interactive: bool,
}

impl Output {
    pub fn new(settings: &Settings) -> Self {
        if settings.no_color {
            anstream::ColorChoice::Never.write_global();
        }
        Self {
            json: settings.json,
            quiet: settings.quiet,
            verbose: settings.verbose,
            assume_yes: settings.assume_yes,
            interactive: std::io::stdin().is_terminal() && std::io::stderr().is_terminal(),
        }
    }

    /// Whether a person is at a terminal to answer prompts.
    pub fn interactive(&self) -> bool {
        self.interactive && !self.json
    }

    /// A result line for people (suppressed by `--json`, which prints its own document).
    pub fn result(&self, line: impl std::fmt::Display) {
        if !self.json {
            println!("{line}");
        }
    }

    /// Progress or a remark, on stderr; `-q` silences it.
    pub fn note(&self, line: impl std::fmt::Display) {
        if !self.quiet {
            eprintln!("{line}");
        }
    }

    pub fn warn(&self, line: impl std::fmt::Display) {
        eprintln!("{WARN}warning{WARN:#}: {line}");
    }

    /// Writes a JSON document on stdout.
    pub fn json<T: Serialize>(&self, value: &T) -> anyhow::Result<()> {
        let mut stdout = std::io::stdout().lock();
        serde_json::to_writer_pretty(&mut stdout, value)?;
        writeln!(stdout)?;
        Ok(())
    }

    /// Prints a command's failure: `error: ...` with its causes, or a JSON error document.
    pub fn error(&self, error: &anyhow::Error) {
        if self.json {
            let causes: Vec<String> = error.chain().skip(1).map(ToString::to_string).collect();
            let doc = serde_json::json!({ "error": { "message": error.to_string(), "causes": causes } });
            let _ = self.json(&doc);
        } else {
            eprintln!("{ERROR}error{ERROR:#}: {error}");
            for cause in error.chain().skip(1) {
                eprintln!("  caused by: {cause}");
            }
        }
    }

    /// Asks before a change. `--yes` answers for the operator; without a terminal and without
    /// `--yes` the answer is no, and `refusal` says how to proceed.
    pub fn confirm(&self, question: &str, refusal: &str) -> anyhow::Result<bool> {
        if self.assume_yes {
            return Ok(true);
        }
        if !self.interactive || self.json {
            self.note(refusal);
            return Ok(false);
        }
        Ok(dialoguer::Confirm::new().with_prompt(question).default(false).interact()?)
    }
}
