//! `msting status`: each service's container: state, health, uptime, image, ports and restarts.
//! Exit 1 when a service that should run does not, or is unhealthy.

use clap::Args;

use crate::cli::{GlobalArgs, exit};
use crate::output::{ERROR, GOOD, Output, WARN};
use crate::stack::{containers, spec};

/// The stack's services: state, health, uptime, image and ports
#[derive(Debug, Args)]
pub struct StatusArgs {}

pub fn exec(global: &GlobalArgs, out: &Output, _args: StatusArgs) -> anyhow::Result<u8> {
    let config = super::load_config(global, out)?;
    let stack = spec::desired(&config);
    crate::vault_access::runtime()?.block_on(async {
        let docker = crate::docker::connect().await?;
        let states = containers::states(&docker, &stack).await?;
        let bad = states.iter().any(|s| s.state != "running" || s.health == "unhealthy");
        if out.json {
            out.json(&serde_json::json!({ "project": stack.project, "ok": !bad, "services": states }))?;
        } else {
            out.result(format!(
                "{:<8} {:<10} {:<10} {:<9} {:<8} {:<28} PORTS",
                "SERVICE", "STATE", "HEALTH", "UPTIME", "RESTARTS", "IMAGE"
            ));
            for s in &states {
                let style = match (s.state.as_str(), s.health.as_str()) {
                    ("running", "healthy" | "none") => GOOD,
                    ("running", "starting") => WARN,
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
        }
        Ok(if bad { exit::FAILURE } else { exit::OK })
    })
}
