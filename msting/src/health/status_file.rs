//! The last health verdict on disk, for whoever may not use Docker. Health needs the engine
//! and so runs as root (from cron); a monitoring agent's user reads this file instead with
//! `msting health --from-status`. It holds the JSON report, which carries no secret, so it is
//! world-readable (0644 in a 0755 folder); anything older than a few cron periods is reported
//! as UNKNOWN rather than trusted.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::Report;

/// The folder inside the install directory, and the file in it.
pub const DIR: &str = "status";
pub const FILE: &str = "health.json";

/// Older than three runs of the five-minute cron job: the job has stopped.
pub const DEFAULT_MAX_AGE: Duration = Duration::from_secs(15 * 60);

pub fn path(install_dir: &Path) -> PathBuf {
    install_dir.join(DIR).join(FILE)
}

/// Writes `report` where `--from-status` finds it.
pub fn write(file: &Path, report: &Report) -> anyhow::Result<()> {
    if let Some(dir) = file.parent() {
        std::fs::create_dir_all(dir)?;
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755))?;
    }
    crate::fsio::atomic_write(file, &serde_json::to_vec_pretty(report)?, Some(0o644))
}

/// The last report, judged for age: a missing, unreadable or stale file is UNKNOWN, saying why
/// and what to do.
pub fn read(file: &Path, max_age: Duration) -> Report {
    let unknown = |message: String| {
        Report::unknown(
            "unknown",
            "status-file",
            message,
            Some("as root: `msting cron install` (runs `msting health` every five minutes)".into()),
        )
    };
    let text = match std::fs::read(file) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return unknown(format!("no health result at {}: `msting health` has not run as root yet", file.display()));
        }
        Err(e) => return unknown(format!("cannot read {}: {e}", file.display())),
    };
    let mut report: Report = match serde_json::from_slice(&text) {
        Ok(report) => report,
        Err(e) => return unknown(format!("{} is not a health result ({e})", file.display())),
    };
    let written = std::fs::metadata(file).and_then(|m| m.modified()).ok();
    let age = written.and_then(|w| w.elapsed().ok()).unwrap_or_default();
    if age > max_age {
        let mut checks = unknown(format!(
            "the last health result ({}) is {} old, more than {}: the cron job has stopped",
            report.status.label(),
            humantime::format_duration(Duration::from_secs(age.as_secs())),
            humantime::format_duration(max_age)
        ))
        .checks;
        checks.extend(report.checks);
        let mut stale = Report::new(&report.project, checks, Duration::from_millis(report.duration_ms));
        stale.checked_at = report.checked_at;
        return stale;
    }
    report.exit_code = report.status.exit_code();
    report
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::health::{CheckResult, Status};

    #[test]
    fn a_fresh_result_reads_back_and_a_stale_one_is_unknown() {
        let dir = tempfile::tempdir().unwrap();
        let file = path(dir.path());
        let report =
            Report::new("sting", vec![CheckResult::new("db", Status::Critical, "down")], Duration::from_millis(5));
        write(&file, &report).unwrap();
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o644);
        let back = read(&file, DEFAULT_MAX_AGE);
        assert_eq!(back.status, Status::Critical);
        assert_eq!(back.checks[0].message, "down");

        let stale = read(&file, Duration::ZERO);
        assert_eq!(stale.checks[0].name, "status-file");
        assert_eq!(stale.checks[0].status, Status::Unknown);
        // What was known is still shown, and the worse verdict wins.
        assert_eq!(stale.status, Status::Critical);
        assert_eq!(stale.checks[1].name, "db");
    }

    #[test]
    fn a_missing_or_foreign_file_is_unknown_and_says_how_to_start() {
        let dir = tempfile::tempdir().unwrap();
        let missing = read(&dir.path().join("nothing.json"), DEFAULT_MAX_AGE);
        assert_eq!(missing.exit_code, 3);
        assert!(missing.checks[0].fix.as_deref().unwrap().contains("msting cron install"));
        let foreign = dir.path().join("foreign.json");
        std::fs::write(&foreign, "{}").unwrap();
        let read_back = read(&foreign, DEFAULT_MAX_AGE);
        assert_eq!(read_back.exit_code, 3);
        assert!(read_back.checks[0].message.contains("is not a health result"), "{}", read_back.checks[0].message);
    }
}
