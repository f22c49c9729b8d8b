//! Progress of a long run (install, update): one line per step, a spinner on a terminal, and a
//! log of the whole run in the install directory. Callers never pass a secret to either: the log
//! is kept, and support bundles may carry it.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

use crate::output::{GOOD, Output};

pub struct Progress {
    log: Option<std::fs::File>,
    log_path: Option<PathBuf>,
    bar: Option<ProgressBar>,
    step: String,
    started: Instant,
    show: bool,
    spinner: bool,
}

impl Progress {
    /// Logs into `log_dir/<what>-<UTC time>.log` (0600); shows steps unless `--quiet`/`--json`.
    pub fn new(out: &Output, log_dir: Option<&Path>, what: &str) -> Self {
        let (log, log_path) = match log_dir.and_then(|dir| open_log(dir, what).ok()) {
            Some((file, path)) => (Some(file), Some(path)),
            None => (None, None),
        };
        let show = !out.quiet && !out.json;
        Self {
            log,
            log_path,
            bar: None,
            step: String::new(),
            started: Instant::now(),
            show,
            spinner: show && std::io::IsTerminal::is_terminal(&std::io::stderr()),
        }
    }

    pub fn log_path(&self) -> Option<&Path> {
        self.log_path.as_deref()
    }

    /// Begins a step.
    pub fn start(&mut self, step: &str) {
        self.step = step.to_string();
        self.started = Instant::now();
        self.log(&format!("== {step}"));
        if self.spinner {
            let bar = ProgressBar::new_spinner();
            bar.set_style(ProgressStyle::with_template("{spinner} {msg} {elapsed}").expect("a valid template"));
            bar.set_message(step.to_string());
            bar.enable_steady_tick(Duration::from_millis(120));
            self.bar = Some(bar);
        }
    }

    /// Detail for the log (and the spinner's message), never a secret.
    pub fn log(&mut self, line: &str) {
        if let Some(file) = &mut self.log {
            let _ = writeln!(file, "{} {line}", timestamp());
        }
    }

    /// Ends the current step with what it did.
    pub fn done(&mut self, result: &str) {
        let elapsed = self.started.elapsed();
        self.log(&format!("-- {}: {result} ({:.1} s)", self.step, elapsed.as_secs_f64()));
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
        if self.show {
            anstream::eprintln!("{GOOD}✓{GOOD:#} {}: {result}", self.step);
        }
    }

    /// Ends the current step as failed (the error is reported by the caller).
    pub fn failed(&mut self, error: &anyhow::Error) {
        self.log(&format!("!! {} failed: {error:#}", self.step));
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }

    /// Prints a line without disturbing the spinner.
    pub fn say(&self, line: &str) {
        match &self.bar {
            Some(bar) => bar.suspend(|| anstream::eprintln!("{line}")),
            None if self.show => anstream::eprintln!("{line}"),
            None => {}
        }
    }
}

fn open_log(dir: &Path, what: &str) -> std::io::Result<(std::fs::File, PathBuf)> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::create_dir_all(dir)?;
    let stamp = time::OffsetDateTime::now_utc();
    let name = format!(
        "{what}-{:04}{:02}{:02}T{:02}{:02}{:02}Z.log",
        stamp.year(),
        stamp.month() as u8,
        stamp.day(),
        stamp.hour(),
        stamp.minute(),
        stamp.second()
    );
    let path = dir.join(name);
    let file = std::fs::OpenOptions::new().append(true).create(true).mode(0o600).open(&path)?;
    Ok((file, path))
}

fn timestamp() -> String {
    let t = time::OffsetDateTime::now_utc();
    format!("{:02}:{:02}:{:02}", t.hour(), t.minute(), t.second())
}
