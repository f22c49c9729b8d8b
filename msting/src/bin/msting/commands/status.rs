//! `msting status`: each service's container (state, health, uptime, image, ports, restarts),
//! then what health's checks say of Vault, the database, stingd, its models and certificate.
//! Exit 1 when a service that should run does not, is unhealthy, or a check is CRITICAL.

use clap::Args;

use crate::global::{GlobalArgs, exit};
use msting::health::{Status, checks};
use msting::output::{ERROR, GOOD, Output, WARN};
use msting::stack::{containers, spec};

/// What stands behind the containers, from health's checks (the host-wide ones are health's).
const INSIDE: &[&str] = &["vault", "db", "stingd", "models", "certificate"];

/// The stack's services: state, health, uptime, image and ports, and what they answer
#[derive(Debug, Args)]
pub struct StatusArgs {}

pub fn exec(global: &GlobalArgs, out: &Output, _args: StatusArgs) -> anyhow::Result<u8> {
    let config = super::load_config(global, out)?;
    let stack = spec::desired(&config);
    msting::vault_access::runtime()?.block_on(async {
        let docker = msting::docker::connect().await?;
        let states = containers::states(&docker, &stack).await?;
        let timeout = config.health.check_timeout.as_std();
        let report = checks::run(config.clone(), INSIDE, timeout).await;
        let bad = checks::judge_services(&states, |service| checks::starting_grace(&stack, service)).status
            == Status::Critical
            || report.checks.iter().any(|c| c.status == Status::Critical);
        if out.json {
            out.json(&serde_json::json!({
                "project": stack.project,
                "ok": !bad,
                "services": states,
                "checks": report.checks,
            }))?;
        } else {
            out.result(format!(
                "{:<8} {:<10} {:<10} {:<9} {:<8} {:<28} PORTS",
                "SERVICE", "STATE", "HEALTH", "UPTIME", "RESTARTS", "IMAGE"
            ));
            for s in &states {
                use msting::stack::containers::{ContainerState, Health};
                let style = match (s.state, s.health) {
                    (ContainerState::Running, Health::Healthy | Health::None) => GOOD,
                    (ContainerState::Running, Health::Starting) => WARN,
                    _ => ERROR,
                };
                let uptime = s
                    .uptime_s
                    .map(|u| humantime::format_duration(std::time::Duration::from_secs(u.max(0) as u64)).to_string());
                let uptime = uptime
                    .map(|u| u.split_whitespace().take(2).collect::<Vec<_>>().join(" "))
                    .unwrap_or_else(|| "-".into());
                out.result(format!(
                    "{:<8} {style}{:<10}{style:#} {:<10} {:<9} {:<8} {:<28} {}",
                    s.service,
                    s.state,
                    s.health,
                    uptime,
                    s.restarts,
                    s.image.as_deref().unwrap_or("-"),
                    s.ports.join(", ")
                ));
            }
            out.result("");
            for check in &report.checks {
                let style = match check.status {
                    Status::Ok => GOOD,
                    Status::Warning | Status::Unknown => WARN,
                    Status::Critical => ERROR,
                };
                let fix = check.fix.as_deref().map(|f| format!(" (fix: {f})")).unwrap_or_default();
                out.result(format!(
                    "{:<12} {style}{:<8}{style:#} {}{fix}",
                    check.name,
                    check.status.label(),
                    check.message
                ));
            }
        }
        Ok(if bad { exit::FAILURE } else { exit::OK })
    })
}
