//! Loading the stack's config for a command: the config, or every problem shown (file, line,
//! column and key, with a hint) and an error that says to fix them.

use std::path::Path;

use serde_json::json;
use sting_config::{Config, Diagnostics, Overrides};

use crate::output::{DIM, ERROR, Output};

/// The config in `file`, or its problems printed and an error.
pub fn load(file: &Path, overrides: &Overrides, out: &Output) -> anyhow::Result<Config> {
    match sting_config::load_file(file, overrides) {
        Ok(loaded) => Ok(loaded.config),
        Err(diagnostics) => {
            report(out, &diagnostics)?;
            anyhow::bail!("{} has problems (above): fix them, then run this again", file.display())
        }
    }
}

/// The problems on stderr (or as JSON with `--json`).
pub fn report(out: &Output, diagnostics: &Diagnostics) -> anyhow::Result<()> {
    if out.json {
        return out.json(&json!({ "file": diagnostics.file, "valid": false, "problems": diagnostics.problems }));
    }
    for d in &diagnostics.problems {
        let place = d.location.as_ref().map(|l| format!("{}:{}:{}: ", l.file.display(), l.line, l.column));
        let key = if d.key.is_empty() { String::new() } else { format!(" {}", d.key) };
        anstream::eprintln!(
            "{}{ERROR}error[{}]{ERROR:#}{key}: {}",
            place.unwrap_or_default(),
            d.code.as_str(),
            d.message
        );
        if let Some(hint) = &d.hint {
            anstream::eprintln!("  {DIM}hint:{DIM:#} {hint}");
        }
    }
    let n = diagnostics.problems.len();
    anstream::eprintln!("{}: {n} problem{}", diagnostics.file.display(), if n == 1 { "" } else { "s" });
    Ok(())
}
