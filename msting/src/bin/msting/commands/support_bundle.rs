//! `msting support-bundle`: versions, health, the redacted config and recent logs in one
//! archive to send to whoever helps; no secret goes in (see `support_bundle`).

use std::path::PathBuf;

use clap::Args;
use serde_json::json;

use crate::global::{GlobalArgs, exit};
use msting::output::Output;

/// Gather versions, health, the redacted config and recent logs into one archive (no secrets)
#[derive(Debug, Args)]
pub struct SupportBundleArgs {
    /// The archive to write [default: ./sting-support-TIME.tar.gz]
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
}

pub fn exec(global: &GlobalArgs, out: &Output, args: SupportBundleArgs) -> anyhow::Result<u8> {
    let config = super::load_config(global, out)?;
    let file = args.output.unwrap_or_else(|| {
        let stamp = msting::health::now_rfc3339().replace([':', '-'], "");
        PathBuf::from(format!("sting-support-{stamp}.tar.gz"))
    });
    let made = msting::vault_access::runtime()?.block_on(msting::support_bundle::create(&config, &file))?;
    if out.json {
        out.json(&json!({ "file": made.file, "entries": made.entries }))?;
    } else {
        out.result(format!(
            "wrote {} ({} entries; no secrets, but read it before you send it)",
            made.file.display(),
            made.entries.len()
        ));
    }
    Ok(exit::OK)
}
