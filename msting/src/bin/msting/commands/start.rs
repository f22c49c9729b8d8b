//! `msting start|stop|restart [SERVICE...]`: the stack's containers as they are (no change to
//! their spec: that is `install`), in dependency order when starting and the reverse when
//! stopping. A service whose container is missing is brought back by `install`.

use clap::Args;

use crate::global::{GlobalArgs, exit};
use msting::output::{GOOD, Output};
use msting::stack::lifecycle::{self, Action};
use msting::stack::spec;

/// Start the stack's services (all, or those named)
#[derive(Debug, Args)]
pub struct ServicesArgs {
    /// Services to act on [default: all that the config enables]
    #[arg(value_name = "SERVICE")]
    pub services: Vec<String>,
    /// Also the services of this profile (dev: mailpit)
    #[arg(long, value_name = "PROFILE")]
    pub profile: Vec<String>,
}

pub fn exec(global: &GlobalArgs, out: &Output, args: ServicesArgs, action: Action) -> anyhow::Result<u8> {
    let config = super::load_config(global, out)?;
    let stack = spec::desired(&config);
    msting::vault_access::runtime()?.block_on(async {
        let docker = msting::docker::connect().await?;
        let services = lifecycle::select(&stack, &args.services, &args.profile)?;
        let done = lifecycle::act(&docker, &stack, &services, action).await?;
        if out.json {
            out.json(&done)?;
        } else {
            for (service, what) in &done {
                out.result(format!("{GOOD}{what}{GOOD:#} {service}"));
            }
        }
        Ok(exit::OK)
    })
}
