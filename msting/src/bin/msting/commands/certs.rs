//! `msting certs status`: the certificate installed for stingd, the local CA, and the one stingd
//! is actually serving (read over TLS), with how much of each lifetime is left.

use std::net::SocketAddr;

use clap::{Args, Subcommand};
use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::global::{GlobalArgs, exit};
use msting::output::{GOOD, Output, WARN};
use msting::tls::inspect::{self, CertInfo, day};
use msting::tls::{install, local, served};

/// Certificates: what is installed and what stingd serves
#[derive(Debug, Args)]
pub struct CertsArgs {
    #[command(subcommand)]
    pub command: CertsCommand,
}

#[derive(Debug, Subcommand)]
pub enum CertsCommand {
    /// Issuer, names, expiry and lifetime left of the installed certificate, the local CA, and
    /// the certificate stingd is serving
    Status {
        /// Where stingd's HTTPS port answers (default: services.stingd.https_port on
        /// system.bind_address, or 127.0.0.1 when it binds every address)
        #[arg(long, value_name = "HOST:PORT")]
        address: Option<SocketAddr>,
    },
}

fn describe(info: &CertInfo, now: OffsetDateTime) -> Value {
    json!({
        "subject": info.subject,
        "issuer": info.issuer,
        "names": info.names,
        "serial": info.serial,
        "not_before": info.not_before,
        "not_after": info.not_after,
        "fraction_left": info.fraction_left(now),
        "due": info.fraction_left(now) <= local::RENEW_AT,
    })
}

pub fn exec(global: &GlobalArgs, out: &Output, args: CertsArgs) -> anyhow::Result<u8> {
    let config = super::load_config(global, out)?;
    let CertsCommand::Status { address } = args.command;
    let now = OffsetDateTime::now_utc();
    let paths = local::paths(&config);
    let installed = install::current(&paths.certs_dir)?;
    let ca = if paths.root_cert.exists() { Some(inspect::read_chain(&paths.root_cert)?.remove(0)) } else { None };
    let address = address.unwrap_or_else(|| {
        let ip = config.system.bind_address;
        let ip = if ip.is_unspecified() { std::net::IpAddr::from([127, 0, 0, 1]) } else { ip };
        SocketAddr::new(ip, config.services.stingd.https_port)
    });
    let served = msting::vault_access::runtime()?.block_on(served::fetch(address, &config.system.domain));
    let serving_installed = match (&served, &installed) {
        (Ok(s), Some(i)) => Some(s.serial == i.serial),
        _ => None,
    };
    if out.json {
        out.json(&json!({
            "installed": installed.as_ref().map(|i| describe(i, now)),
            "ca": ca.as_ref().map(|c| describe(c, now)),
            "served": match &served {
                Ok(s) => describe(s, now),
                Err(e) => json!({ "address": address.to_string(), "error": e.to_string() }),
            },
            "serving_installed": serving_installed,
        }))?;
        return Ok(exit::OK);
    }
    match &installed {
        Some(i) => out.result(format!(
            "installed: {} from {}, until {} ({:.0}% of its lifetime left{})",
            i.names.join(", "),
            i.issuer,
            day(i.not_after),
            100.0 * i.fraction_left(now).max(0.0),
            if i.fraction_left(now) <= local::RENEW_AT { "; due: `msting setup-ssl --renew`" } else { "" }
        )),
        None => out
            .result(format!("installed: {WARN}none{WARN:#} in {} (run `msting setup-ssl`)", paths.certs_dir.display())),
    }
    if let Some(c) = &ca {
        out.result(format!("local CA: {}, until {}", c.subject, day(c.not_after)));
    }
    match (&served, serving_installed) {
        (Ok(_), Some(true)) => out.result(format!("served at {address}: {GOOD}the installed certificate{GOOD:#}")),
        (Ok(s), _) => out.result(format!(
            "served at {address}: {WARN}another certificate{WARN:#} ({} from {}, until {}): stingd has not loaded the installed one",
            s.names.join(", "),
            s.issuer,
            day(s.not_after)
        )),
        (Err(e), _) => out.result(format!("served at {address}: {WARN}nothing{WARN:#} ({e})")),
    }
    Ok(exit::OK)
}
