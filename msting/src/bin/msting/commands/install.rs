//! `msting install`: preflight, the config (written on the first install, migrated with
//! consent), then the stack brought to what the config asks for, and a summary.

use std::io::IsTerminal;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args;

use crate::cli::{GlobalArgs, exit};
use msting::output::{GOOD, Output, WARN};
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
        write_first_config(global, out, &file, &args)?;
        if args.admin_email.is_none() && asks(out) {
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
    offer_default_model(out, &config, args.model_file.as_deref())?;
    let runtime = msting::vault_access::runtime()?;
    runtime.block_on(async {
        let docker = msting::docker::connect().await?;
        let stack = spec::desired(&config);
        // The ports are ours when our stingd runs: a re-run does not check them.
        let mut skip = args.skip.clone();
        let ours = msting::stack::containers::states(&docker, &stack).await?;
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

/// Prompts only on a terminal, and never with --yes.
fn asks(out: &Output) -> bool {
    out.interactive() && !out.assume_yes
}

/// Writes `conf/config.yml` from the documented default, with the answers that matter.
fn write_first_config(global: &GlobalArgs, out: &Output, file: &Path, args: &InstallArgs) -> anyhow::Result<()> {
    let ask = asks(out);
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
    let smtp_host = match &args.smtp_host {
        Some(host) => host.clone(),
        None if ask => dialoguer::Input::<String>::new()
            .with_prompt("Mail server for invitations and sign-in links (`none`: admins pass invitation links on)")
            .default("none".into())
            .interact_text()?,
        None => "none".into(),
    };
    let smtp = match smtp_host.trim() {
        "" | "none" => None,
        host => {
            let port = match args.smtp_port {
                Some(port) => port,
                None if ask => dialoguer::Input::<u16>::new()
                    .with_prompt("Its port (587 starttls, 465 tls)")
                    .default(defaults.auth.smtp.port)
                    .interact_text()?,
                None => defaults.auth.smtp.port,
            };
            Some(SmtpAnswer { host: host.to_string(), port, from: format!("STING <sting@{domain}>") })
        }
    };
    let text = first_config_text(&domain, bind, &global.install_dir(), smtp.as_ref())?;
    // Checked before it is written: a bad answer never leaves a broken file behind.
    sting_config::load_str(file, &text, &sting_config::Overrides::default()).map_err(|diagnostics| {
        let first = diagnostics.problems.first().map(|p| p.to_string()).unwrap_or_default();
        anyhow::anyhow!("the answers make an invalid config: {first}")
    })?;
    let dir = file.parent().context("the config path has no folder")?;
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    msting::fsio::atomic_write(file, text.as_bytes(), Some(0o644))?;
    let mail = match &smtp {
        Some(smtp) => format!("mail through {}:{}", smtp.host, smtp.port),
        None => "no outgoing mail".into(),
    };
    out.note(format!(
        "{WARN}wrote{WARN:#} {} (domain {domain}, bind address {bind}, {mail}); edit it and run install again to change the stack",
        file.display()
    ));
    if smtp.is_some() {
        out.note(
            "  a mail server that needs a login: set auth.smtp.username, then `msting vault-secret set smtp` and auth.smtp.password: vault-ref:smtp#password",
        );
    }
    Ok(())
}

struct SmtpAnswer {
    host: String,
    port: u16,
    from: String,
}

/// The documented default with the first install's answers in place, comments kept.
fn first_config_text(
    domain: &str,
    bind: IpAddr,
    install_dir: &Path,
    smtp: Option<&SmtpAnswer>,
) -> anyhow::Result<String> {
    let mut text = sting_config::DEFAULT_CONFIG_YAML.to_string();
    text = set_value(&text, "system.domain", &quoted(domain)?)?;
    text = set_value(&text, "system.bind_address", &quoted(&bind.to_string())?)?;
    text = set_value(&text, "paths.install_dir", &quoted(&install_dir.display().to_string())?)?;
    if let Some(smtp) = smtp {
        text = set_value(&text, "auth.smtp.host", &quoted(&smtp.host)?)?;
        text = set_value(&text, "auth.smtp.port", &smtp.port.to_string())?;
        text = set_value(&text, "auth.smtp.from", &quoted(&smtp.from)?)?;
        let security = if smtp.port == 465 { "tls" } else { "starttls" };
        text = set_value(&text, "auth.smtp.security", security)?;
    }
    Ok(text)
}

/// A string as a YAML scalar (JSON's quoting is valid YAML).
fn quoted(value: &str) -> anyhow::Result<String> {
    Ok(serde_json::to_string(value)?)
}

/// `text` with the value at the dotted `path` replaced by `value` (already YAML), keeping every
/// comment and the layout: keys are found by their indentation under their parents.
fn set_value(text: &str, path: &str, value: &str) -> anyhow::Result<String> {
    let wanted: Vec<&str> = path.split('.').collect();
    let mut parents: Vec<(usize, String)> = Vec::new();
    let mut done = false;
    let mut lines: Vec<String> = Vec::new();
    for line in text.lines() {
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        let key = trimmed.split_once(':').map(|(k, _)| k).filter(|k| !k.is_empty() && !k.contains(' '));
        match key {
            Some(key) if !trimmed.starts_with('#') && !trimmed.starts_with('-') => {
                parents.retain(|(depth, _)| *depth < indent);
                parents.push((indent, key.to_string()));
                let here: Vec<&str> = parents.iter().map(|(_, k)| k.as_str()).collect();
                if !done && here == wanted {
                    lines.push(format!("{}{key}: {value}", " ".repeat(indent)));
                    done = true;
                    continue;
                }
            }
            _ => {}
        }
        lines.push(line.to_string());
    }
    anyhow::ensure!(done, "the default config has no {path}");
    Ok(lines.join("\n") + "\n")
}

/// The default model is offered when its file is missing: from --model-file, or asked on a
/// terminal. Without it the stack still installs; Bee answers once a model is imported.
fn offer_default_model(out: &Output, config: &sting_config::Config, given: Option<&Path>) -> anyhow::Result<()> {
    let Some(model) = config.llm.models.iter().find(|m| Some(&m.name) == config.llm.default_model.as_ref()) else {
        return Ok(());
    };
    if model.remote.is_some() || model.path.as_os_str().is_empty() {
        return Ok(());
    }
    let target = msting::models::models_dir(config).join(&model.path);
    if target.exists() {
        return Ok(());
    }
    let file_name = target.file_name().unwrap_or_default().to_string_lossy().to_string();
    let known = sting_models::known::KNOWN.iter().find(|k| k.file == file_name);
    let source = match given {
        Some(source) => Some(source.to_path_buf()),
        None if asks(out) => {
            let what = known.map(|k| k.description).unwrap_or("the default model");
            let answer: String = dialoguer::Input::new()
                .with_prompt(format!(
                    "The default model `{}` ({what}) is not in {}: path of {file_name} to copy in (empty: later)",
                    model.name,
                    target.parent().unwrap_or(&target).display()
                ))
                .allow_empty(true)
                .interact_text()?;
            Some(PathBuf::from(answer.trim())).filter(|p| !p.as_os_str().is_empty())
        }
        None => None,
    };
    let Some(source) = source else {
        let whence = known.map(|k| format!(" (get it from {})", k.source)).unwrap_or_default();
        out.note(format!(
            "the default model `{}` is missing: Bee answers once `msting models import {file_name}` has copied it in{whence}",
            model.name
        ));
        return Ok(());
    };
    if !source.is_file() {
        anyhow::bail!("{} is not a file: give the path of the model's .gguf file, or leave it empty", source.display());
    }
    let expected = model.sha256.clone().or_else(|| known.map(|k| k.sha256.to_string()));
    if let Some(expected) = expected {
        sting_models::verify_sha256(&source, &expected).map_err(|e| {
            anyhow::anyhow!(
                "{} is not the file the config names for `{}`: {e}; import another model with `msting models import FILE` and name it in llm.models",
                source.display(),
                model.name
            )
        })?;
    }
    let copied = msting::models::import(config, &source, Some(&file_name), false)?;
    out.note(format!("{GOOD}copied{GOOD:#} the default model into {}", copied.display()));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_land_under_their_keys_and_the_comments_stay() {
        let smtp = SmtpAnswer { host: "mail.example.org".into(), port: 465, from: "STING <sting@example.org>".into() };
        let edited =
            first_config_text("sting.example.org", "10.0.0.5".parse().unwrap(), Path::new("/srv/sting"), Some(&smtp))
                .unwrap();
        let loaded = sting_config::load_str(Path::new("c.yml"), &edited, &Default::default()).unwrap().config;
        assert_eq!(loaded.system.domain, "sting.example.org");
        assert_eq!(loaded.system.bind_address.to_string(), "10.0.0.5");
        assert_eq!(loaded.paths.install_dir, Path::new("/srv/sting"));
        assert_eq!(loaded.auth.smtp.host.as_deref(), Some("mail.example.org"));
        assert_eq!((loaded.auth.smtp.port, loaded.auth.smtp.security), (465, sting_config::SmtpSecurity::Tls));
        // `host` under auth.kratos and others of the same name are left alone.
        assert_eq!(loaded.auth.kratos, sting_config::Config::default().auth.kratos);
        let text = sting_config::DEFAULT_CONFIG_YAML;
        assert_eq!(edited.matches('#').count(), text.matches('#').count());
        assert!(set_value(text, "system.nonexistent", "x").is_err());
        assert!(set_value(text, "auth.smtp.nonexistent", "x").is_err());
    }

    #[test]
    fn no_mail_server_keeps_the_default_of_no_mail() {
        let text =
            first_config_text("localhost", "127.0.0.1".parse().unwrap(), Path::new("/opt/sting-ce"), None).unwrap();
        let loaded = sting_config::load_str(Path::new("c.yml"), &text, &Default::default()).unwrap().config;
        assert_eq!(loaded.auth.smtp.host, None);
    }
}
