//! `msting health`: the whole stack checked at once, for cron and monitoring. Exit codes are
//! the monitoring-plugin ones (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN), never msting's usual
//! ones; anything that stops health itself from running is UNKNOWN.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use crate::global::GlobalArgs;
use msting::health::{Report, checks, status_file};
use msting::output::Output;

/// Check the stack for cron and monitoring: exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN
#[derive(Debug, Args)]
pub struct HealthArgs {
    /// Run only this check (repeat for more) [default: all that apply]
    #[arg(long = "check", value_name = "NAME", value_parser = clap::builder::PossibleValuesParser::new(checks::ALL))]
    pub checks: Vec<String>,
    /// How long each check may take before it is UNKNOWN [default: health.check_timeout]
    #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration)]
    pub timeout: Option<Duration>,
    /// Print the last result root's `msting health` wrote (needs neither Docker nor root)
    #[arg(long, conflicts_with_all = ["checks", "timeout"])]
    pub from_status: bool,
    /// The status file [default: INSTALL_DIR/status/health.json]
    #[arg(long, value_name = "FILE")]
    pub status_file: Option<PathBuf>,
    /// With --from-status: a result older than this is UNKNOWN (the cron job has stopped)
    #[arg(long, value_name = "DURATION", default_value = "15m", value_parser = humantime::parse_duration, requires = "from_status")]
    pub max_age: Duration,
}

pub fn exec(global: &GlobalArgs, out: &Output, args: HealthArgs) -> anyhow::Result<u8> {
    let file = args.status_file.clone().unwrap_or_else(|| status_file::path(&global.install_dir()));
    let report = if args.from_status { status_file::read(&file, args.max_age) } else { check(global, &args, &file) };
    present(out, &report)?;
    Ok(report.exit_code)
}

fn check(global: &GlobalArgs, args: &HealthArgs, file: &std::path::Path) -> Report {
    if !msting::preflight::is_root() {
        // Unprivileged, the engine, Vault's CA and the backups are out of reach: every check
        // would be a false alarm. (Membership of the docker group is root by another name.)
        return Report::unknown(
            "unknown",
            "root",
            "msting health checks the Docker engine and the stack's files, which needs root",
            Some("run it as root (`msting cron install` runs it every five minutes), and read its last result as any user with `msting health --from-status`".into()),
        );
    }
    let config = match sting_config::load_file(&global.config_path(), &global.config_overrides()) {
        Ok(loaded) => loaded.config,
        Err(diagnostics) => {
            let first = diagnostics.problems.first().map(|d| d.to_string()).unwrap_or_default();
            let first = first.replace('\n', ";");
            return Report::unknown(
                "unknown",
                "config",
                format!("{} cannot be used: {}", global.config_path().display(), first.trim()),
                Some("`msting config validate`, as root".into()),
            );
        }
    };
    let names: Vec<&str> = if args.checks.is_empty() {
        checks::applicable(&config)
    } else {
        checks::ALL.iter().copied().filter(|name| args.checks.iter().any(|c| c == name)).collect()
    };
    let timeout = args.timeout.unwrap_or(config.health.check_timeout.as_std());
    let runtime = match msting::vault_access::runtime() {
        Ok(runtime) => runtime,
        Err(e) => return Report::unknown(&config.system.project_name, "runtime", e.to_string(), None),
    };
    let report = runtime.block_on(checks::run(config, &names, timeout));
    // Only a full run speaks for the whole stack.
    if args.checks.is_empty()
        && let Err(e) = status_file::write(file, &report)
    {
        eprintln!("warning: the status file was not written: {e:#}");
    }
    report
}

fn present(out: &Output, report: &Report) -> anyhow::Result<()> {
    if out.json {
        return out.json(report);
    }
    if out.quiet && report.exit_code == 0 {
        return Ok(());
    }
    print!("{}", report.plugin_text());
    Ok(())
}
