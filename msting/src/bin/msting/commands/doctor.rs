//! `msting doctor`: deeper diagnostics than health, each problem with the command that fixes
//! it. Exit 1 when any check fails.

use clap::Args;

use crate::global::GlobalArgs;
use msting::output::Output;

/// Diagnose the clock, DNS, memory for the models, Vault login, migrations, Docker and ports
#[derive(Debug, Args)]
pub struct DoctorArgs {}

pub fn exec(global: &GlobalArgs, out: &Output, _args: DoctorArgs) -> anyhow::Result<u8> {
    let config = super::load_config(global, out)?;
    let checks = msting::vault_access::runtime()?.block_on(msting::doctor::run(&config));
    super::preflight::report(out, &checks)
}
