//! `msting install`: preflight, the config (written on the first install, migrated with
//! consent), then the stack brought to what the config asks for, and a summary.

use std::io::IsTerminal;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args;

use crate::cli::{GlobalArgs, exit};
use crate::output::{GOOD, Output, WARN};
use crate::preflight::{self, Status};
use crate::progress::Progress;
use crate::recipes::Inputs;
use crate::stack::spec;

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
    /// Create the first admin and print their one-time enrolment link (on a terminal only)
    #[arg(long, env = "STING_ADMIN_EMAIL")]
    pub admin_email: Option<String>,
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

pub fn exec(global: &GlobalArgs, out: &Output, args: InstallArgs) -> anyhow::Result<u8> {
    let file = global.config_path();
    if !file.exists() {
        write_first_config(global, out, &file, &args)?;
    } else if let Ok(text) = std::fs::read_to_string(&file) {
        if matches!(sting_config::migrate(&file, &text), Ok(Some(_))) {
            out.note(format!("{} is an older config version: it needs migrating first", file.display()));
            if super::config::migrate(out, &file, false)? != exit::OK {
                anyhow::bail!("{} was not migrated: install needs the current config version", file.display());
            }
        }
    }
    let config = super::load_config(global, out)?;
    let runtime = crate::vault_access::runtime()?;
    runtime.block_on(async {
        let docker = crate::docker::connect().await?;
        let stack = spec::desired(&config);
        // The ports are ours when our stingd runs: a re-run does not check them.
        let mut skip = args.skip.clone();
        let ours = crate::stack::containers::states(&docker, &stack).await?;
        if ours.iter().any(|s| s.service == "stingd" && s.state == "running") {
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
        let options = crate::install::Options { skip, inputs: args.inputs.clone().into() };
        let started = std::time::Instant::now();
        let outcome = crate::install::run(&docker, &config, &options, out, &mut progress).await;
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
    match crate::install::create_admin(docker, stack, email).await {
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

/// Writes `conf/config.yml` from the documented default, with the answers that matter.
fn write_first_config(global: &GlobalArgs, out: &Output, file: &Path, args: &InstallArgs) -> anyhow::Result<()> {
    let ask = out.interactive() && !out.assume_yes;
    let defaults = sting_config::Config::default();
    let domain = match &args.domain {
        Some(domain) => domain.clone(),
        None if ask => dialoguer::Input::<String>::new()
            .with_prompt("Host name people will use to reach STING")
            .default(defaults.system.domain.clone())
            .interact_text()?,
        None => defaults.system.domain.clone(),
    };
    let bind = match args.bind_address {
        Some(bind) => bind,
        None if ask => dialoguer::Input::<IpAddr>::new()
            .with_prompt("Address to publish STING on (127.0.0.1 keeps it to this host)")
            .default(defaults.system.bind_address)
            .interact_text()?,
        None => defaults.system.bind_address,
    };
    let mut text = sting_config::DEFAULT_CONFIG_YAML.to_string();
    text = set_scalar(&text, "system", "domain", &domain)?;
    text = set_scalar(&text, "system", "bind_address", &bind.to_string())?;
    text = set_scalar(&text, "paths", "install_dir", &global.install_dir().display().to_string())?;
    // Checked before it is written: a bad answer never leaves a broken file behind.
    sting_config::load_str(file, &text, &sting_config::Overrides::default()).map_err(|diagnostics| {
        let first = diagnostics.problems.first().map(|p| p.to_string()).unwrap_or_default();
        anyhow::anyhow!("the answers make an invalid config: {first}")
    })?;
    let dir = file.parent().context("the config path has no folder")?;
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    crate::fsio::atomic_write(file, text.as_bytes(), Some(0o644))?;
    out.note(format!("{WARN}wrote{WARN:#} {} (domain {domain}, bind address {bind}); edit it and run install again to change the stack", file.display()));
    Ok(())
}

/// `text` with `section.key`'s value replaced (the documented default's layout: a top-level
/// section, two-space keys), keeping every comment.
fn set_scalar(text: &str, section: &str, key: &str, value: &str) -> anyhow::Result<String> {
    let quoted = serde_json::to_string(value)?;
    let mut in_section = false;
    let mut done = false;
    let mut lines: Vec<String> = Vec::new();
    for line in text.lines() {
        if !line.starts_with(' ') && !line.starts_with('#') && !line.is_empty() {
            in_section = line.trim_end() == format!("{section}:");
        }
        if in_section && !done && line.starts_with(&format!("  {key}:")) {
            lines.push(format!("  {key}: {quoted}"));
            done = true;
            continue;
        }
        lines.push(line.to_string());
    }
    anyhow::ensure!(done, "the default config has no {section}.{key}");
    Ok(lines.join("\n") + "\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_land_in_their_section_and_the_comments_stay() {
        let text = sting_config::DEFAULT_CONFIG_YAML;
        let edited = set_scalar(text, "system", "domain", "sting.example.org").unwrap();
        let loaded = sting_config::load_str(Path::new("c.yml"), &edited, &Default::default()).unwrap();
        assert_eq!(loaded.config.system.domain, "sting.example.org");
        assert_eq!(edited.matches('#').count(), text.matches('#').count());
        assert!(set_scalar(text, "system", "nonexistent", "x").is_err());
    }
}
