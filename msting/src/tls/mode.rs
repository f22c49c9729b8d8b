//! What `msting setup-ssl` is to do, decided once from its flags and `tls.mode`, and the
//! renewals that depend on the mode (for cron: quiet when nothing is due, an error when a
//! renewal fails or a certificate only the operator can replace is due).

use std::path::PathBuf;

use sting_config::{Config, TlsMode};
use time::OffsetDateTime;

use super::inspect::day;
use super::local::Renewal;
use super::{acme, install, local};

/// The flags that choose (all off: the config's `tls.mode` chooses).
#[derive(Debug, Clone, Default)]
pub struct Flags {
    pub self_signed: bool,
    pub new_ca: bool,
    pub acme: bool,
    pub renew: bool,
    pub export_ca: Option<PathBuf>,
    pub cert: Option<PathBuf>,
    pub key: Option<PathBuf>,
    pub chain: Option<PathBuf>,
}

/// One thing to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Write the local CA's root (never its key) and how to trust it.
    ExportCa(PathBuf),
    /// Install the operator's own certificate.
    Provided { cert: PathBuf, key: PathBuf, chain: Option<PathBuf> },
    /// A certificate from the local CA (a new CA first when asked).
    LocalCa { new_ca: bool },
    /// A certificate from the ACME CA.
    Acme,
    /// Renew what is due, the way its mode renews.
    Renew(Source),
}

/// Where the served certificate comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    LocalCa,
    Acme,
    /// The operator's own: nobody here can renew it.
    Provided,
}

pub fn decide(flags: &Flags, config: &Config) -> anyhow::Result<Action> {
    let from_config = match config.tls.mode {
        TlsMode::LocalCa => Source::LocalCa,
        TlsMode::Acme => Source::Acme,
        TlsMode::Provided => Source::Provided,
    };
    if flags.renew {
        return Ok(Action::Renew(if flags.acme { Source::Acme } else { from_config }));
    }
    if let Some(dir) = &flags.export_ca {
        return Ok(Action::ExportCa(dir.clone()));
    }
    if let (Some(cert), Some(key)) = (&flags.cert, &flags.key) {
        return Ok(Action::Provided { cert: cert.clone(), key: key.clone(), chain: flags.chain.clone() });
    }
    if flags.acme {
        return Ok(Action::Acme);
    }
    if flags.self_signed {
        return Ok(Action::LocalCa { new_ca: flags.new_ca });
    }
    Ok(match from_config {
        Source::LocalCa => Action::LocalCa { new_ca: false },
        Source::Acme => Action::Acme,
        Source::Provided => {
            let provided = &config.tls.provided;
            match (&provided.cert_file, &provided.key_file) {
                (Some(cert), Some(key)) => Action::Provided { cert: cert.clone(), key: key.clone(), chain: None },
                _ => anyhow::bail!(
                    "tls.mode is provided but tls.provided.cert_file and key_file are not both set: set them, or pass --cert and --key"
                ),
            }
        }
    })
}

/// The operator's own certificate cannot be renewed here: an error once it is due, so that
/// cron mails it.
pub fn check_provided(config: &Config, now: OffsetDateTime) -> anyhow::Result<()> {
    if let Some(current) = install::current(&local::paths(config).certs_dir)? {
        if current.fraction_left(now) <= local::RENEW_AT {
            anyhow::bail!(
                "your certificate expires {}: install a new one with `msting setup-ssl --cert FILE --key FILE`",
                day(current.not_after)
            );
        }
    }
    Ok(())
}

/// Renews from the ACME CA when due: by the CA's renewal window (ARI) when it gives one, else
/// by lifetime. `window_unknown` hears why the window could not be read.
pub async fn renew_acme(
    config: &Config,
    options: &acme::Options,
    now: OffsetDateTime,
    window_unknown: impl FnOnce(&acme::AcmeError),
) -> anyhow::Result<Renewal> {
    let certs_dir = local::paths(config).certs_dir;
    if let Some(current) = install::current(&certs_dir)? {
        let chain = std::fs::read_to_string(certs_dir.join(install::CERT_FILE))?;
        let account = acme::account_file(config);
        let window = acme::renewal_window(options, &account, &chain).await.unwrap_or_else(|e| {
            window_unknown(&e);
            None
        });
        if !acme::due(window, &current, &options.names, now) {
            return Ok(Renewal::NotDue(current));
        }
    }
    let leaf = acme::obtain(config, options, now)
        .await
        .map_err(|e| e.context("renewal failed; the certificate stingd has stays"))?;
    Ok(Renewal::Renewed(leaf))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(mode: TlsMode) -> Config {
        let mut config = Config::default();
        config.tls.mode = mode;
        config
    }

    #[test]
    fn no_flag_follows_tls_mode() {
        let none = Flags::default();
        assert_eq!(decide(&none, &config(TlsMode::LocalCa)).unwrap(), Action::LocalCa { new_ca: false });
        assert_eq!(decide(&none, &config(TlsMode::Acme)).unwrap(), Action::Acme);
        let error = decide(&none, &config(TlsMode::Provided)).unwrap_err().to_string();
        assert!(error.contains("tls.provided.cert_file"), "{error}");
        let mut provided = config(TlsMode::Provided);
        provided.tls.provided.cert_file = Some("/c.pem".into());
        provided.tls.provided.key_file = Some("/k.pem".into());
        assert_eq!(
            decide(&none, &provided).unwrap(),
            Action::Provided { cert: "/c.pem".into(), key: "/k.pem".into(), chain: None }
        );
    }

    #[test]
    fn a_flag_wins_over_the_config() {
        let acme = config(TlsMode::Acme);
        let export = Flags { export_ca: Some("out".into()), ..Default::default() };
        assert_eq!(decide(&export, &acme).unwrap(), Action::ExportCa("out".into()));
        let own =
            Flags { cert: Some("c".into()), key: Some("k".into()), chain: Some("i".into()), ..Default::default() };
        assert_eq!(
            decide(&own, &acme).unwrap(),
            Action::Provided { cert: "c".into(), key: "k".into(), chain: Some("i".into()) }
        );
        let local = Flags { self_signed: true, new_ca: true, ..Default::default() };
        assert_eq!(decide(&local, &acme).unwrap(), Action::LocalCa { new_ca: true });
        assert_eq!(
            decide(&Flags { acme: true, ..Default::default() }, &config(TlsMode::LocalCa)).unwrap(),
            Action::Acme
        );
    }

    #[test]
    fn renew_renews_the_way_the_certificate_came() {
        let renew = Flags { renew: true, ..Default::default() };
        assert_eq!(decide(&renew, &config(TlsMode::LocalCa)).unwrap(), Action::Renew(Source::LocalCa));
        assert_eq!(decide(&renew, &config(TlsMode::Acme)).unwrap(), Action::Renew(Source::Acme));
        assert_eq!(decide(&renew, &config(TlsMode::Provided)).unwrap(), Action::Renew(Source::Provided));
        let acme = Flags { renew: true, acme: true, ..Default::default() };
        assert_eq!(decide(&acme, &config(TlsMode::Provided)).unwrap(), Action::Renew(Source::Acme));
    }
}
