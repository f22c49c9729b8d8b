//! `msting install`: preflight, the config (written on the first install, migrated with
//! consent), then the stack brought to what the config asks for, and a summary.

use std::io::IsTerminal;
use std::net::IpAddr;
use std::path::PathBuf;

use clap::Args;

use crate::global::{GlobalArgs, exit};
use msting::first_config;
use msting::output::{GOOD, Output};
use msting::preflight::{self, Status};
use msting::progress::Progress;
use msting::recipes::Inputs;
use msting::stack::spec;

/// Install the stack, or bring it to what the config asks for (a second run changes nothing)
#[derive(Debug, Args)]
pub struct InstallArgs {
    /// Skip a preflight check (repeatable): root, docker, resources, disk, ports, gpu
    #[arg(long = "skip", value_name = "CHECK", value_parser = clap::builder::PossibleValuesParser::new(preflight::CHECKS))]
    pub skip: Vec<String>,
    /// Host name people use to reach STING (first install; asked on a terminal)
    #[arg(long, env = "STING_DOMAIN")]
    pub domain: Option<String>,
    /// Address stingd's ports bind to (first install; asked on a terminal)
    #[arg(long, env = "STING_BIND_ADDRESS")]
    pub bind_address: Option<IpAddr>,
    /// Create the first admin and print their one-time enrolment link (on a terminal only;
    /// asked on the first install)
    #[arg(long, env = "STING_ADMIN_EMAIL")]
    pub admin_email: Option<String>,
    /// Mail server for invitations and sign-in links, or `none` (first install; asked on a terminal)
    #[arg(long, value_name = "HOST", env = "STING_SMTP_HOST")]
    pub smtp_host: Option<String>,
    /// The mail server's port (first install) [default: 587]
    #[arg(long, value_name = "PORT", env = "STING_SMTP_PORT")]
    pub smtp_port: Option<u16>,
    /// The default model's GGUF file, copied into the models folder when it is missing there
    /// (offered on a terminal)
    #[arg(long, value_name = "FILE", env = "STING_MODEL_FILE")]
    pub model_file: Option<PathBuf>,
    #[command(flatten)]
    pub inputs: BuildInputs,
}

/// Programs packed into images that have to be built
#[derive(Debug, Clone, Args)]
pub struct BuildInputs {
    /// OpenBao's `bao` binary, for the vault image [env: STING_BAO]
    #[arg(long, value_name = "FILE")]
    pub bao: Option<PathBuf>,
    /// The `stingd` binary, for the stingd image [env: STING_STINGD; default: beside msting]
    #[arg(long, value_name = "FILE")]
    pub stingd: Option<PathBuf>,
    /// llama.cpp's `llama-server` (its shared libraries beside it) [env: STING_LLAMA_SERVER]
    #[arg(long, value_name = "FILE")]
    pub llama_server: Option<PathBuf>,
}

impl From<BuildInputs> for Inputs {
    fn from(b: BuildInputs) -> Self {
        Inputs { bao: b.bao, stingd: b.stingd, llama_server: b.llama_server }
    }
}

pub fn exec(global: &GlobalArgs, out: &Output, mut args: InstallArgs) -> anyhow::Result<u8> {
    let file = global.config_path();
    if !file.exists() {
        let given = first_config::Given {
            domain: args.domain.clone(),
            bind_address: args.bind_address,
            smtp_host: args.smtp_host.clone(),
            smtp_port: args.smtp_port,
        };
        let answers = first_config::answers(out, &given)?;
        first_config::write(out, &file, &answers, &global.install_dir())?;
        if args.admin_email.is_none() && first_config::asks(out) {
            let email: String = dialoguer::Input::new()
                .with_prompt("Email of the first admin (empty: make one later)")
                .allow_empty(true)
                .interact_text()?;
            args.admin_email = Some(email.trim().to_string()).filter(|e| !e.is_empty());
        }
    } else if let Ok(text) = std::fs::read_to_string(&file) {
        if matches!(sting_config::migrate(&file, &text), Ok(Some(_))) {
            out.note(format!("{} is an older config version: it needs migrating first", file.display()));
            if super::config::migrate(out, &file, false)? != exit::OK {
                anyhow::bail!("{} was not migrated: install needs the current config version", file.display());
            }
        }
    }
    let config = super::load_config(global, out)?;
    first_config::offer_default_model(out, &config, args.model_file.as_deref())?;
    let runtime = msting::vault_access::runtime()?;
    runtime.block_on(async {
        let docker = msting::docker::connect().await?;
        let stack = spec::desired(&config);
        // The ports are ours when our stingd runs: a re-run does not check them.
        let mut skip = args.skip.clone();
        let ours = msting::stack::containers::states(&docker, &stack).await?;
        if ours.iter().any(|s| s.service == "stingd" && s.state == msting::stack::containers::ContainerState::Running) {
            skip.push("ports".into());
        }
        let checks = preflight::run(&config, &skip).await;
        let failed: Vec<_> = checks.iter().filter(|c| c.status == Status::Fail).collect();
        if !failed.is_empty() {
            for check in &failed {
                out.warn(format!("{}: {}", check.name, check.message));
                if let Some(fix) = &check.fix {
                    out.note(format!("  {fix}"));
                }
            }
            anyhow::bail!(
                "preflight failed ({}): nothing was changed; fix the above or skip a check with --skip CHECK",
                failed.iter().map(|c| c.name).collect::<Vec<_>>().join(", ")
            );
        }
        let log_dir = spec::absolute(&config, &config.paths.log_dir);
        let mut progress = Progress::new(out, Some(&log_dir), "install");
        let options = msting::install::Options { skip, inputs: args.inputs.clone().into() };
        let started = std::time::Instant::now();
        let outcome = msting::install::run(&docker, &config, &options, out, &mut progress).await;
        let outcome = match outcome {
            Ok(outcome) => outcome,
            Err(error) => {
                if let Some(log) = progress.log_path() {
                    out.note(format!("the install log is {}", log.display()));
                }
                return Err(error);
            }
        };
        let admin = match &args.admin_email {
            Some(email) => admin(out, &docker, &stack, email, &mut progress).await?,
            None => None,
        };
        progress.log(&format!(
            "finished in {:.1} s; changes: {}",
            started.elapsed().as_secs_f64(),
            outcome.changes.len()
        ));
        if out.json {
            out.json(&serde_json::json!({
                "changes": outcome.changes,
                "url": outcome.url,
                "admin_created": admin,
                "log": progress.log_path(),
                "seconds": started.elapsed().as_secs_f64(),
            }))?;
            return Ok(exit::OK);
        }
        if outcome.changes.is_empty() && admin != Some(true) {
            out.result(format!(
                "{GOOD}nothing to change{GOOD:#}: the stack is as the config asks ({:.1} s)",
                started.elapsed().as_secs_f64()
            ));
        } else {
            out.result(format!("{GOOD}STING is running{GOOD:#} at {}", outcome.url));
            for change in &outcome.changes {
                out.note(format!("  {change}"));
            }
            out.result("next steps:");
            out.result("  msting status                     the services, their health and ports");
            out.result("  msting setup-ssl --export-ca DIR  the local CA's root, to trust on your devices");
            out.result("  msting health                     the checks to put in cron or monitoring");
            if args.admin_email.is_none() {
                out.result(
                    "  msting install --admin-email YOU  the first admin and their enrolment link (on a terminal)",
                );
            }
        }
        if let Some(log) = progress.log_path() {
            out.note(format!("install log: {}", log.display()));
        }
        Ok(exit::OK)
    })
}

/// The first admin: made only when the link can be shown on this terminal. `Some(true)` when
/// made now, `Some(false)` when it existed.
async fn admin(
    out: &Output,
    docker: &bollard::Docker,
    stack: &spec::Stack,
    email: &str,
    progress: &mut Progress,
) -> anyhow::Result<Option<bool>> {
    if !std::io::stdout().is_terminal() {
        out.warn(format!(
            "the admin's enrolment link is a secret and stdout is not a terminal: no account was made; run `msting install --admin-email {email}` on a terminal"
        ));
        return Ok(None);
    }
    progress.start("first admin");
    match msting::install::create_admin(docker, stack, email).await {
        Ok(Some(message)) => {
            progress.done(&format!("made {email}"));
            out.result(message.trim_end());
            Ok(Some(true))
        }
        Ok(None) => {
            progress.done(&format!("{email} has an account already"));
            Ok(Some(false))
        }
        Err(error) => {
            progress.failed(&error);
            Err(error)
        }
    }
}
