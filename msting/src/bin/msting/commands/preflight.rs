//! `msting preflight` and `msting check-ports`: the checks `msting install` runs before it
//! changes anything, on their own. Exit 1 when any check fails.

use clap::Args;

use crate::global::{GlobalArgs, exit};
use msting::output::{ERROR, GOOD, Output, WARN};
use msting::preflight::{self, Check, Status};

/// Check this machine for STING: root, Docker, CPUs and memory, disk, ports, GPU
#[derive(Debug, Args)]
pub struct PreflightArgs {
    /// Skip a check (repeatable): root, docker, resources, disk, ports, gpu
    #[arg(long = "skip", value_name = "CHECK", value_parser = clap::builder::PossibleValuesParser::new(preflight::CHECKS))]
    pub skip: Vec<String>,
}

/// Check that the ports stingd publishes are free
#[derive(Debug, Args)]
pub struct CheckPortsArgs {}

/// The config, or before the first install (no file yet) the documented defaults.
fn config_or_defaults(global: &GlobalArgs, out: &Output) -> anyhow::Result<sting_config::Config> {
    if global.config_path().exists() {
        return super::load_config(global, out);
    }
    out.note(format!("no config at {} yet: checking with the defaults", global.config_path().display()));
    let mut config = sting_config::Config::default();
    config.paths.install_dir = global.install_dir();
    Ok(config)
}

pub fn exec(global: &GlobalArgs, out: &Output, args: PreflightArgs) -> anyhow::Result<u8> {
    let config = config_or_defaults(global, out)?;
    let checks = msting::vault_access::runtime()?.block_on(preflight::run(&config, &args.skip));
    report(out, &checks)
}

pub fn exec_ports(global: &GlobalArgs, out: &Output, _args: CheckPortsArgs) -> anyhow::Result<u8> {
    let config = config_or_defaults(global, out)?;
    let checks = preflight::check_ports(&preflight::published_ports(&config));
    report(out, &checks)
}

pub(crate) fn report(out: &Output, checks: &[Check]) -> anyhow::Result<u8> {
    let failed = checks.iter().any(|c| c.status == Status::Fail);
    if out.json {
        out.json(&serde_json::json!({ "ok": !failed, "checks": checks }))?;
    } else {
        for check in checks {
            let mark = match check.status {
                Status::Pass => format!("{GOOD}ok{GOOD:#}  "),
                Status::Warn => format!("{WARN}warn{WARN:#}"),
                Status::Fail => format!("{ERROR}FAIL{ERROR:#}"),
                Status::Skipped => "skip".to_string(),
            };
            out.result(format!("{mark} {:<9} {}", check.name, check.message));
            if let Some(fix) = &check.fix {
                out.result(format!("               {fix}"));
            }
        }
    }
    Ok(if failed { exit::FAILURE } else { exit::OK })
}
