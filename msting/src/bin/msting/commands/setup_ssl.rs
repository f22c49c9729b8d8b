//! `msting setup-ssl`: stingd's HTTPS certificate from the local CA (the default), or your own
//! files; `--renew` for cron (quiet when nothing is due, non-zero when a renewal fails);
//! `--export-ca` to hand the root to the people who must trust it.

use std::net::IpAddr;
use std::path::PathBuf;

use clap::Args;
use serde_json::json;
use time::OffsetDateTime;

use crate::global::{GlobalArgs, exit};
use msting::output::{GOOD, Output};
use msting::tls::inspect::{CertInfo, day};
use msting::tls::local::{self, Renewal};
use msting::tls::mode::{self, Action, Source};
use msting::tls::{Name, install};

/// Give stingd its HTTPS certificate (local CA by default, or your own files)
#[derive(Debug, Args)]
pub struct SetupSslArgs {
    /// A certificate from the local CA (made on first use, name-constrained to this install)
    #[arg(long, conflicts_with_all = ["cert", "renew", "export_ca"])]
    pub self_signed: bool,
    /// Make a new local CA even if there is one (its root must then be trusted again)
    #[arg(long, requires = "self_signed")]
    pub new_ca: bool,
    /// Renew what is due (a third of its lifetime left): quiet otherwise, for cron
    #[arg(long, conflicts_with_all = ["cert", "export_ca"])]
    pub renew: bool,
    /// Write the local CA's root (never its key) and how to trust it into DIR
    #[arg(long, value_name = "DIR", num_args = 0..=1, default_missing_value = ".")]
    pub export_ca: Option<PathBuf>,
    /// Your own certificate (PEM), checked before use
    #[arg(long, value_name = "FILE", requires = "key")]
    pub cert: Option<PathBuf>,
    /// Its private key (PEM)
    #[arg(long, value_name = "FILE", requires = "cert")]
    pub key: Option<PathBuf>,
    /// The intermediate certificates, if not already in --cert
    #[arg(long, value_name = "FILE", requires = "cert")]
    pub chain: Option<PathBuf>,
    /// An address to put in the local CA's certificate (repeatable; default: the host's own)
    #[arg(long = "address", value_name = "IP")]
    pub addresses: Vec<IpAddr>,
    /// A certificate from an ACME CA (Let's Encrypt by default) by HTTP-01 on stingd's HTTP port
    #[arg(long, conflicts_with_all = ["self_signed", "cert", "export_ca"])]
    pub acme: bool,
    /// The domain to certify (default: system.domain)
    #[arg(long, value_name = "DOMAIN")]
    pub domain: Option<String>,
    /// Contact address for the ACME account (default: tls.acme.email)
    #[arg(long, value_name = "EMAIL")]
    pub email: Option<String>,
    /// The ACME directory (default: tls.acme.directory_url)
    #[arg(long, value_name = "URL")]
    pub acme_directory: Option<String>,
    /// A root to trust for the ACME server's HTTPS (a private or test CA)
    #[arg(long, value_name = "FILE")]
    pub acme_ca_root: Option<PathBuf>,
    /// Do not check that the domain resolves before ordering
    #[arg(long)]
    pub skip_dns_check: bool,
}

pub fn exec(global: &GlobalArgs, out: &Output, args: SetupSslArgs) -> anyhow::Result<u8> {
    let config = super::load_config(global, out)?;
    let flags = mode::Flags {
        self_signed: args.self_signed,
        new_ca: args.new_ca,
        acme: args.acme,
        renew: args.renew,
        export_ca: args.export_ca.clone(),
        cert: args.cert.clone(),
        key: args.key.clone(),
        chain: args.chain.clone(),
    };
    let now = OffsetDateTime::now_utc();
    let acme_options = || {
        msting::tls::acme::Options::from_config(
            &config,
            args.domain.as_deref(),
            args.email.as_deref(),
            args.acme_directory.as_deref(),
            args.acme_ca_root.as_deref(),
            !args.skip_dns_check,
        )
    };
    let local_names = || {
        let addresses = if args.addresses.is_empty() { local::host_addresses() } else { args.addresses.clone() };
        local::server_names(&config, &addresses)
    };
    let renewed = |renewal: Renewal| -> anyhow::Result<u8> {
        match renewal {
            Renewal::NotDue(current) if out.verbose > 0 => report(out, "not due", &current, now)?,
            Renewal::NotDue(_) => {}
            Renewal::Renewed(leaf) => report(out, "renewed", &leaf, now)?,
        }
        Ok(exit::OK)
    };
    match mode::decide(&flags, &config)? {
        Action::ExportCa(dir) => {
            let root = local::export_ca(&config, &dir)?;
            out.result(format!(
                "{GOOD}exported{GOOD:#} the local CA's root to {} (see TRUST.txt beside it)",
                root.display()
            ));
        }
        Action::Provided { cert, key, chain } => {
            let mut pem =
                std::fs::read_to_string(&cert).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", cert.display()))?;
            if let Some(extra) = &chain {
                pem.push_str(
                    &std::fs::read_to_string(extra)
                        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", extra.display()))?,
                );
            }
            let key_pem = zeroize::Zeroizing::new(
                std::fs::read_to_string(&key).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", key.display()))?,
            );
            let required = [Name::parse(&config.system.domain)?];
            let leaf = install::install(&local::paths(&config).certs_dir, &pem, &key_pem, &required, now)
                .map_err(|e| anyhow::anyhow!("{}: {e}; the certificate stingd has stays", cert.display()))?;
            report(out, "installed", &leaf, now)?;
        }
        Action::Acme => {
            let options = acme_options()?;
            let leaf = msting::vault_access::runtime()?
                .block_on(msting::tls::acme::obtain(&config, &options, now))
                .map_err(|e| e.context("no certificate was issued; the certificate stingd has stays"))?;
            report(out, "issued", &leaf, now)?;
        }
        Action::LocalCa { new_ca } => {
            let names = local_names()?;
            let done = local::setup(&config, &names, new_ca, now)?;
            if done.created_ca {
                out.note(format!(
                    "made a local CA for {} (valid until {}); export its root for browsers with `msting setup-ssl --export-ca DIR`",
                    names.iter().map(Name::to_string).collect::<Vec<_>>().join(", "),
                    day(done.ca.not_after)
                ));
            }
            report(out, "issued", &done.leaf, now)?;
        }
        Action::Renew(Source::Provided) => mode::check_provided(&config, now)?,
        Action::Renew(Source::Acme) => {
            let options = acme_options()?;
            let warn = |e: &msting::tls::acme::AcmeError| {
                out.warn(format!("the CA's renewal window is not known ({e}); renewing by lifetime"));
            };
            let renewal = msting::vault_access::runtime()?.block_on(mode::renew_acme(&config, &options, now, warn))?;
            return renewed(renewal);
        }
        Action::Renew(Source::LocalCa) => {
            let renewal = local::renew(&config, &local_names()?, now)
                .map_err(|e| e.context("renewal failed; the certificate stingd has stays"))?;
            return renewed(renewal);
        }
    }
    Ok(exit::OK)
}

fn report(out: &Output, what: &str, leaf: &CertInfo, now: OffsetDateTime) -> anyhow::Result<()> {
    if out.json {
        return out.json(&json!({
            "outcome": what,
            "names": leaf.names,
            "issuer": leaf.issuer,
            "not_after": leaf.not_after,
            "fraction_left": leaf.fraction_left(now),
        }));
    }
    out.result(format!(
        "{GOOD}{what}{GOOD:#}: certificate for {} from {}, valid until {}",
        leaf.names.join(", "),
        leaf.issuer,
        day(leaf.not_after)
    ));
    Ok(())
}
