//! `msting health`: every check at once, each under its own timeout, folded into one verdict
//! with the monitoring-plugin exit codes (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN) so cron,
//! Nagios, Icinga and Prometheus alerting read the same result. The checks live in `checks`;
//! this module owns the verdict, its two renderings (plugin text with performance data, JSON)
//! and the status file that lets a user without Docker access read the last verdict.

pub mod checks;
pub mod status_file;

use std::fmt::Write as _;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// A check's verdict. `Unknown` means the check could not tell (it timed out, or what it asks
/// could not be reached), which is not the same as a fault.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Status {
    Ok,
    Warning,
    Critical,
    Unknown,
}

impl Status {
    /// The monitoring-plugin exit code.
    pub fn exit_code(self) -> u8 {
        match self {
            Status::Ok => 0,
            Status::Warning => 1,
            Status::Critical => 2,
            Status::Unknown => 3,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Status::Ok => "OK",
            Status::Warning => "WARNING",
            Status::Critical => "CRITICAL",
            Status::Unknown => "UNKNOWN",
        }
    }

    /// Order for the overall verdict, as monitoring-plugins' `max_state_alt`: a known fault
    /// outranks not knowing, and not knowing outranks OK.
    fn rank(self) -> u8 {
        match self {
            Status::Ok => 0,
            Status::Unknown => 1,
            Status::Warning => 2,
            Status::Critical => 3,
        }
    }

    pub fn worst(self, other: Status) -> Status {
        if other.rank() > self.rank() { other } else { self }
    }
}

/// One measured value, as performance data: `'label'=value[unit];warn;crit;min;max`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Metric {
    pub label: String,
    pub value: f64,
    /// The plugin unit: `s`, `%`, `B`, or empty for a count (times left are in seconds).
    pub unit: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub threshold: Option<Threshold>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
}

/// Where a value turns WARNING and CRITICAL. `below` says the value is bad when it falls
/// under the levels (free disk, time left) rather than when it rises over them (age).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Threshold {
    pub warning: f64,
    pub critical: f64,
    pub below: bool,
}

impl Threshold {
    pub fn above(warning: f64, critical: f64) -> Self {
        Self { warning, critical, below: false }
    }

    pub fn below(warning: f64, critical: f64) -> Self {
        Self { warning, critical, below: true }
    }

    pub fn judge(&self, value: f64) -> Status {
        let past = |level: f64| if self.below { value < level } else { value > level };
        if past(self.critical) {
            Status::Critical
        } else if past(self.warning) {
            Status::Warning
        } else {
            Status::Ok
        }
    }

    /// The plugin range for one level: `N` alerts above N, `N:` alerts below N.
    fn range(&self, level: f64) -> String {
        if self.below { format!("{}:", number(level)) } else { number(level) }
    }
}

impl Metric {
    pub fn new(label: &str, value: f64, unit: &str) -> Self {
        Self { label: label.into(), value, unit: unit.into(), threshold: None, min: None, max: None }
    }

    pub fn judged(mut self, threshold: Threshold) -> Self {
        self.threshold = Some(threshold);
        self
    }

    pub fn bounded(mut self, min: f64, max: f64) -> Self {
        self.min = Some(min);
        self.max = Some(max);
        self
    }

    fn perfdata(&self) -> String {
        let (warning, critical) = match &self.threshold {
            Some(t) => (t.range(t.warning), t.range(t.critical)),
            None => (String::new(), String::new()),
        };
        let bound = |b: Option<f64>| b.map(number).unwrap_or_default();
        let text = format!(
            "'{}'={}{};{warning};{critical};{};{}",
            self.label,
            number(self.value),
            self.unit,
            bound(self.min),
            bound(self.max)
        );
        text.trim_end_matches(';').to_string()
    }
}

/// A number as plugins print them: no exponent, at most two decimals, no trailing zeros.
fn number(value: f64) -> String {
    let text = format!("{value:.2}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" { "0".into() } else { text.into() }
}

/// What one check found.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CheckResult {
    pub name: String,
    pub status: Status,
    pub message: String,
    /// The command (or step) that fixes what was found, when something was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
    /// The check's main value and the levels it was judged by (the first metric).
    pub value: Option<f64>,
    pub unit: Option<String>,
    pub threshold: Option<Threshold>,
    /// Every value measured, for performance data.
    #[serde(default)]
    pub metrics: Vec<Metric>,
    pub duration_ms: u64,
}

impl CheckResult {
    pub fn new(name: &str, status: Status, message: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            status,
            message: message.into(),
            fix: None,
            value: None,
            unit: None,
            threshold: None,
            metrics: Vec::new(),
            duration_ms: 0,
        }
    }

    pub fn ok(name: &str, message: impl Into<String>) -> Self {
        Self::new(name, Status::Ok, message)
    }

    pub fn with_fix(mut self, fix: impl Into<String>) -> Self {
        self.fix = Some(fix.into());
        self
    }

    pub fn with_metric(mut self, metric: Metric) -> Self {
        if self.metrics.is_empty() {
            self.value = Some(metric.value);
            self.unit = Some(metric.unit.clone());
            self.threshold = metric.threshold;
        }
        self.metrics.push(metric);
        self
    }
}

/// Every check's result and the verdict over them.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Report {
    pub status: Status,
    pub exit_code: u8,
    pub project: String,
    /// RFC 3339, UTC.
    pub checked_at: String,
    pub duration_ms: u64,
    pub msting_version: String,
    pub checks: Vec<CheckResult>,
}

impl Report {
    pub fn new(project: &str, checks: Vec<CheckResult>, took: Duration) -> Self {
        let status = checks.iter().fold(Status::Ok, |worst, c| worst.worst(c.status));
        Self {
            status,
            exit_code: status.exit_code(),
            project: project.into(),
            checked_at: now_rfc3339(),
            duration_ms: took.as_millis() as u64,
            msting_version: env!("CARGO_PKG_VERSION").into(),
            checks,
        }
    }

    /// A report of one UNKNOWN, for when health itself could not run (an unreadable config).
    pub fn unknown(project: &str, name: &str, message: impl Into<String>, fix: Option<String>) -> Self {
        let mut check = CheckResult::new(name, Status::Unknown, message);
        check.fix = fix;
        Self::new(project, vec![check], Duration::ZERO)
    }

    /// The monitoring-plugin rendering: a summary line with performance data, then one line
    /// per check that is not OK.
    pub fn plugin_text(&self) -> String {
        let bad: Vec<&CheckResult> = self.checks.iter().filter(|c| c.status != Status::Ok).collect();
        let summary = match bad.as_slice() {
            [] => format!("{} checks OK", self.checks.len()),
            [one] => format!("{}: {}", one.name, one.message),
            many => format!(
                "{} of {} checks not OK: {}",
                many.len(),
                self.checks.len(),
                many.iter().map(|c| format!("{} {}", c.name, c.status.label())).collect::<Vec<_>>().join(", ")
            ),
        };
        let mut perf: Vec<String> = self.checks.iter().flat_map(|c| c.metrics.iter().map(Metric::perfdata)).collect();
        perf.push(format!("'health_duration'={}s", number(self.duration_ms as f64 / 1000.0)));
        // `|` separates performance data: keep it out of the text part.
        let mut out = format!("STING {} - {} | {}\n", self.status.label(), summary.replace('|', "/"), perf.join(" "));
        for check in bad {
            let _ = write!(out, "{} {}: {}", check.status.label(), check.name, check.message.replace('|', "/"));
            if let Some(fix) = &check.fix {
                let _ = write!(out, " (fix: {})", fix.replace('|', "/"));
            }
            out.push('\n');
        }
        out
    }
}

pub fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| "unknown".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_known_fault_outranks_not_knowing_which_outranks_ok() {
        assert_eq!(Status::Ok.worst(Status::Unknown), Status::Unknown);
        assert_eq!(Status::Unknown.worst(Status::Warning), Status::Warning);
        assert_eq!(Status::Critical.worst(Status::Unknown), Status::Critical);
        assert_eq!(Status::Warning.worst(Status::Ok), Status::Warning);
    }

    #[test]
    fn thresholds_judge_in_their_direction() {
        let free = Threshold::below(15.0, 5.0);
        assert_eq!(free.judge(40.0), Status::Ok);
        assert_eq!(free.judge(10.0), Status::Warning);
        assert_eq!(free.judge(4.9), Status::Critical);
        let age = Threshold::above(10.0, 20.0);
        assert_eq!(age.judge(5.0), Status::Ok);
        assert_eq!(age.judge(15.0), Status::Warning);
        assert_eq!(age.judge(25.0), Status::Critical);
    }

    #[test]
    fn plugin_text_has_a_summary_with_perfdata_and_a_line_per_problem() {
        let disk = CheckResult::ok("disk", "fine").with_metric(
            Metric::new("disk_free_install", 42.126, "%").judged(Threshold::below(15.0, 5.0)).bounded(0.0, 100.0),
        );
        let db =
            CheckResult::new("db", Status::Critical, "the db container is exited | gone").with_fix("msting start db");
        let report = Report::new("sting", vec![disk.clone(), db], Duration::from_millis(1234));
        let text = report.plugin_text();
        let mut lines = text.lines();
        assert_eq!(
            lines.next().unwrap(),
            "STING CRITICAL - db: the db container is exited / gone | 'disk_free_install'=42.13%;15:;5:;0;100 'health_duration'=1.23s"
        );
        assert_eq!(lines.next().unwrap(), "CRITICAL db: the db container is exited / gone (fix: msting start db)");
        assert_eq!(lines.next(), None);
        assert_eq!(report.exit_code, 2);

        let fine = Report::new("sting", vec![disk], Duration::ZERO);
        assert!(fine.plugin_text().starts_with("STING OK - 1 checks OK | 'disk_free_install'="));
        assert_eq!(fine.plugin_text().lines().count(), 1);
    }

    #[test]
    fn json_names_status_message_value_and_threshold() {
        let check = CheckResult::new("backup", Status::Warning, "old")
            .with_metric(Metric::new("backup_age", 100.0, "s").judged(Threshold::above(50.0, 200.0)));
        let json = serde_json::to_value(&check).unwrap();
        assert_eq!(json["status"], "WARNING");
        assert_eq!(json["value"], 100.0);
        assert_eq!(json["threshold"]["warning"], 50.0);
        assert_eq!(json["threshold"]["critical"], 200.0);
    }
}
