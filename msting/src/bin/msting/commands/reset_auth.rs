//! `msting reset-auth`: signs everyone out, for when a session may have leaked or after an
//! incident. The revocation runs as stingd's own admin command inside its container, so the
//! running stingd forgets its cached sessions at once; msting never touches the identity tables.

use clap::Args;
use serde_json::json;

use crate::global::{GlobalArgs, exit};
use msting::output::{GOOD, Output};

/// End every session of every user: everyone signs in again (API tokens stay valid)
#[derive(Debug, Args)]
pub struct ResetAuthArgs {}

pub fn exec(global: &GlobalArgs, out: &Output, _args: ResetAuthArgs) -> anyhow::Result<u8> {
    let config = super::load_config(global, out)?;
    let project = config.system.project_name.clone();
    if !out.confirm(
        "Sign out every user of this STING now? Everyone signs in again; API tokens keep working",
        "nothing revoked: pass --yes to reset without a question",
    )? {
        return Ok(exit::FAILURE);
    }
    msting::vault_access::runtime()?.block_on(async {
        let docker = msting::docker::connect().await?;
        match msting::stack::exec::stingd_admin(&docker, &project, &["revoke-sessions"]).await? {
            Some(said) => {
                if out.json {
                    out.json(&json!({ "project": project, "revoked": true, "message": said }))?;
                } else {
                    out.result(format!("{GOOD}reset{GOOD:#}: {said}"));
                }
                Ok(exit::OK)
            }
            None => anyhow::bail!(
                "stingd of the stack `{project}` is not running: start it (`msting start stingd`) and run `msting reset-auth` again"
            ),
        }
    })
}
