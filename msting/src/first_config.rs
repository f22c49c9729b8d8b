//! The first install: the questions that matter (asked on a terminal only, never with `--yes`),
//! the documented default with the answers in place (edited by sting-config where the YAML
//! tree has them, comments kept), checked before it is written, and the default model offered
//! when its file is missing.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use anyhow::Context;
use sting_config::Scalar;

use crate::output::{GOOD, Output, WARN};

/// What the command line (or environment) answered already.
#[derive(Debug, Clone, Default)]
pub struct Given {
    pub domain: Option<String>,
    pub bind_address: Option<IpAddr>,
    /// A host, or `none`.
    pub smtp_host: Option<String>,
    pub smtp_port: Option<u16>,
}

/// The answers the first config is written with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answers {
    pub domain: String,
    pub bind_address: IpAddr,
    pub smtp: Option<Smtp>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Smtp {
    pub host: String,
    pub port: u16,
    pub from: String,
}

/// Prompts only on a terminal, and never with --yes.
pub fn asks(out: &Output) -> bool {
    out.interactive() && !out.assume_yes
}

/// The answers: what was given, else asked (on a terminal), else the documented default.
pub fn answers(out: &Output, given: &Given) -> anyhow::Result<Answers> {
    let ask = asks(out);
    let defaults = sting_config::Config::default();
    let domain = match &given.domain {
        Some(domain) => domain.clone(),
        None if ask => dialoguer::Input::<String>::new()
            .with_prompt("Host name people will use to reach STING")
            .default(defaults.system.domain.clone())
            .interact_text()?,
        None => defaults.system.domain.clone(),
    };
    let bind_address = match given.bind_address {
        Some(bind) => bind,
        None if ask => dialoguer::Input::<IpAddr>::new()
            .with_prompt("Address to publish STING on (127.0.0.1 keeps it to this host)")
            .default(defaults.system.bind_address)
            .interact_text()?,
        None => defaults.system.bind_address,
    };
    let smtp_host = match &given.smtp_host {
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
            let port = match given.smtp_port {
                Some(port) => port,
                None if ask => dialoguer::Input::<u16>::new()
                    .with_prompt("Its port (587 starttls, 465 tls)")
                    .default(defaults.auth.smtp.port)
                    .interact_text()?,
                None => defaults.auth.smtp.port,
            };
            Some(Smtp { host: host.to_string(), port, from: format!("STING <sting@{domain}>") })
        }
    };
    Ok(Answers { domain, bind_address, smtp })
}

/// The documented default with the answers in place, comments kept.
pub fn text(answers: &Answers, install_dir: &Path) -> anyhow::Result<String> {
    let text = |s: &str| Scalar::Text(s.to_string());
    let mut values = vec![
        ("system.domain", text(&answers.domain)),
        ("system.bind_address", text(&answers.bind_address.to_string())),
        ("paths.install_dir", text(&install_dir.display().to_string())),
    ];
    if let Some(smtp) = &answers.smtp {
        values.push(("auth.smtp.host", text(&smtp.host)));
        values.push(("auth.smtp.port", Scalar::Integer(smtp.port.into())));
        values.push(("auth.smtp.from", text(&smtp.from)));
        values.push(("auth.smtp.security", text(if smtp.port == 465 { "tls" } else { "starttls" })));
    }
    sting_config::set_values(Path::new("config.yml"), sting_config::DEFAULT_CONFIG_YAML, &values)
        .map_err(|d| anyhow::anyhow!("the documented default cannot take the answers: {d}"))
}

/// Writes `file` with the answers; nothing is written if they make an invalid config.
pub fn write(out: &Output, file: &Path, answers: &Answers, install_dir: &Path) -> anyhow::Result<()> {
    let text = text(answers, install_dir)?;
    // Checked before it is written: a bad answer never leaves a broken file behind.
    sting_config::load_str(file, &text, &sting_config::Overrides::default()).map_err(|diagnostics| {
        let first = diagnostics.problems.first().map(|p| p.to_string()).unwrap_or_default();
        anyhow::anyhow!("the answers make an invalid config: {first}")
    })?;
    let dir = file.parent().context("the config path has no folder")?;
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    crate::fsio::atomic_write(file, text.as_bytes(), Some(0o644))?;
    let mail = match &answers.smtp {
        Some(smtp) => format!("mail through {}:{}", smtp.host, smtp.port),
        None => "no outgoing mail".into(),
    };
    out.note(format!(
        "{WARN}wrote{WARN:#} {} (domain {}, bind address {}, {mail}); edit it and run install again to change the stack",
        file.display(),
        answers.domain,
        answers.bind_address
    ));
    if answers.smtp.is_some() {
        out.note(
            "  a mail server that needs a login: set auth.smtp.username, then `msting vault-secret set smtp` and auth.smtp.password: vault-ref:smtp#password",
        );
    }
    Ok(())
}

/// The default model is offered when its file is missing: from --model-file, or asked on a
/// terminal. Without it the stack still installs; Bee answers once a model is imported.
pub fn offer_default_model(out: &Output, config: &sting_config::Config, given: Option<&Path>) -> anyhow::Result<()> {
    let Some(model) = config.llm.models.iter().find(|m| Some(&m.name) == config.llm.default_model.as_ref()) else {
        return Ok(());
    };
    if model.remote.is_some() || model.path.as_os_str().is_empty() {
        return Ok(());
    }
    let target = crate::models::models_dir(config).join(&model.path);
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
    let copied = crate::models::import(config, &source, Some(&file_name), false)?;
    out.note(format!("{GOOD}copied{GOOD:#} the default model into {}", copied.display()));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_land_under_their_keys_and_the_comments_stay() {
        let smtp = Smtp { host: "mail.example.org".into(), port: 465, from: "STING <sting@example.org>".into() };
        let answers =
            Answers { domain: "sting.example.org".into(), bind_address: "10.0.0.5".parse().unwrap(), smtp: Some(smtp) };
        let edited = text(&answers, Path::new("/srv/sting")).unwrap();
        let loaded = sting_config::load_str(Path::new("c.yml"), &edited, &Default::default()).unwrap().config;
        assert_eq!(loaded.system.domain, "sting.example.org");
        assert_eq!(loaded.system.bind_address.to_string(), "10.0.0.5");
        assert_eq!(loaded.paths.install_dir, Path::new("/srv/sting"));
        assert_eq!(loaded.auth.smtp.host.as_deref(), Some("mail.example.org"));
        assert_eq!((loaded.auth.smtp.port, loaded.auth.smtp.security), (465, sting_config::SmtpSecurity::Tls));
        // `host` under auth.kratos and others of the same name are left alone.
        assert_eq!(loaded.auth.kratos, sting_config::Config::default().auth.kratos);
        let default = sting_config::DEFAULT_CONFIG_YAML;
        assert_eq!(edited.matches('#').count(), default.matches('#').count());
        assert_eq!(edited.lines().count(), default.lines().count());
    }

    #[test]
    fn no_mail_server_keeps_the_default_of_no_mail() {
        let answers = Answers { domain: "localhost".into(), bind_address: "127.0.0.1".parse().unwrap(), smtp: None };
        let text = text(&answers, Path::new("/opt/sting-ce")).unwrap();
        let loaded = sting_config::load_str(Path::new("c.yml"), &text, &Default::default()).unwrap().config;
        assert_eq!(loaded.auth.smtp.host, None);
    }

    #[test]
    fn a_domain_that_is_not_a_host_name_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("conf/config.yml");
        let answers = Answers { domain: "not a host".into(), bind_address: "127.0.0.1".parse().unwrap(), smtp: None };
        let out = Output::new(&crate::output::Settings::default());
        let error = write(&out, &file, &answers, dir.path()).unwrap_err();
        assert!(error.to_string().contains("the answers make an invalid config"), "{error}");
        assert!(!file.exists());
    }
}
