//! `msting logs [SERVICE...]`: the services' logs interleaved in time order, each line prefixed
//! with its service, as `docker compose logs` shows them; `-f` follows.

use clap::Args;

use crate::global::{GlobalArgs, exit};
use msting::output::Output;
use msting::stack::{lifecycle, spec};

/// The services' logs, interleaved with a prefix per service
#[derive(Debug, Args)]
pub struct LogsArgs {
    /// Services to show [default: all]
    #[arg(value_name = "SERVICE")]
    pub services: Vec<String>,
    /// Keep following new lines
    #[arg(long, short = 'f')]
    pub follow: bool,
    /// Only lines since this long ago (10m, 2h) or this time (RFC 3339)
    #[arg(long, value_name = "WHEN")]
    pub since: Option<String>,
    /// Only the last N lines of each service
    #[arg(long, value_name = "N")]
    pub tail: Option<u64>,
}

pub fn exec(global: &GlobalArgs, out: &Output, args: LogsArgs) -> anyhow::Result<u8> {
    let config = super::load_config(global, out)?;
    let stack = spec::desired(&config);
    let since = args.since.as_deref().map(lifecycle::parse_since).transpose()?;
    msting::vault_access::runtime()?.block_on(async {
        let docker = msting::docker::connect().await?;
        let services = lifecycle::select(&stack, &args.services, &["dev".to_string()])?;
        let options = lifecycle::LogOptions { follow: args.follow, since, tail: args.tail };
        lifecycle::logs(&docker, &stack, &services, &options, &mut |line| {
            use std::io::Write;
            let mut stdout = std::io::stdout().lock();
            let _ = writeln!(stdout, "{line}");
        })
        .await?;
        Ok(exit::OK)
    })
}
