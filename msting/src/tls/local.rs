//! `tls.mode: local-ca`: the CA kept by the install, and stingd's certificate from it: set up,
//! renewed when a third of its lifetime is left, and the root exported for people to trust.

use std::path::{Path, PathBuf};

use sting_config::Config;
use time::OffsetDateTime;

use super::ca::{LocalCa, ROOT_CERT_FILE, ROOT_KEY_FILE};
use super::inspect::CertInfo;
use super::install;
use super::{Name, TlsError};

/// The stack's private domain (services reach each other as `<name>.sting.internal`): the CA
/// may vouch for names under it too.
pub const INTERNAL_DOMAIN: &str = "sting.internal";

/// Renew when less than this fraction of the lifetime is left.
pub const RENEW_AT: f64 = 1.0 / 3.0;

pub struct Paths {
    pub certs_dir: PathBuf,
    pub root_cert: PathBuf,
    pub root_key: PathBuf,
}

pub fn paths(config: &Config) -> Paths {
    let certs_dir = config.paths.certs_dir.clone();
    Paths {
        root_cert: certs_dir.join(ROOT_CERT_FILE),
        root_key: config.paths.secrets_dir.join("ca").join(ROOT_KEY_FILE),
        certs_dir,
    }
}

/// The names stingd's certificate is for: the domain, `localhost`, `tls.extra_names`, the
/// loopback addresses and `addresses` (the host's), without repeats, the domain first.
pub fn server_names(config: &Config, addresses: &[std::net::IpAddr]) -> Result<Vec<Name>, TlsError> {
    let mut names = vec![Name::parse(&config.system.domain)?, Name::Dns("localhost".into())];
    for extra in &config.tls.extra_names {
        names.push(Name::parse(extra)?);
    }
    names.push(Name::Ip([127, 0, 0, 1].into()));
    names.push(Name::Ip(std::net::Ipv6Addr::LOCALHOST.into()));
    names.extend(addresses.iter().map(|a| Name::Ip(*a)));
    let mut seen = std::collections::HashSet::new();
    names.retain(|n| seen.insert(n.clone()));
    Ok(names)
}

/// The host's own addresses (not loopback, not link-local).
pub fn host_addresses() -> Vec<std::net::IpAddr> {
    let mut out: Vec<std::net::IpAddr> = if_addrs::get_if_addrs()
        .unwrap_or_default()
        .into_iter()
        .map(|i| i.ip())
        .filter(|ip| !ip.is_loopback())
        .filter(|ip| match ip {
            std::net::IpAddr::V4(v4) => !v4.is_link_local(),
            std::net::IpAddr::V6(v6) => (v6.segments()[0] & 0xffc0) != 0xfe80,
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

fn lifetime(d: &sting_config::Duration) -> time::Duration {
    time::Duration::try_from(d.as_std()).unwrap_or(time::Duration::days(30))
}

pub struct Done {
    pub ca: CertInfo,
    pub created_ca: bool,
    pub leaf: CertInfo,
}

/// The CA (made if there is none, or `new_ca`), then a new certificate for `names`, installed.
pub fn setup(config: &Config, names: &[Name], new_ca: bool, now: OffsetDateTime) -> anyhow::Result<Done> {
    let paths = paths(config);
    let existing = paths.root_cert.exists() && paths.root_key.exists() && !new_ca;
    let ca = if existing {
        LocalCa::load(&paths.root_cert, &paths.root_key)?
    } else {
        let mut permitted = names.to_vec();
        permitted.push(Name::Dns(INTERNAL_DOMAIN.into()));
        let ca = LocalCa::create(&permitted, lifetime(&config.tls.local_ca.root_lifetime), now)?;
        ca.save(&paths.root_cert, &paths.root_key)?;
        ca
    };
    let names = &within_constraints(config, &ca, names);
    let issued = ca.issue(names, lifetime(&config.tls.local_ca.leaf_lifetime), now)?;
    let leaf = install::install(&paths.certs_dir, &issued.chain_pem, &issued.key_pem, names, now)?;
    Ok(Done { ca: ca.info.clone(), created_ca: !existing, leaf })
}

/// Whether `current` should be replaced: a third of its lifetime or less left, or a name missing.
pub fn due(current: &CertInfo, names: &[Name], now: OffsetDateTime) -> bool {
    current.fraction_left(now) <= RENEW_AT || !names.iter().all(|n| current.covers(n))
}

pub enum Renewal {
    NotDue(CertInfo),
    Renewed(CertInfo),
}

/// A new certificate when the installed one has less than a third of its life left, does not
/// cover `names`, or there is none; otherwise nothing.
pub fn renew(config: &Config, names: &[Name], now: OffsetDateTime) -> anyhow::Result<Renewal> {
    let paths = paths(config);
    let ca = LocalCa::load(&paths.root_cert, &paths.root_key)?;
    let names = &within_constraints(config, &ca, names);
    if let Some(current) = install::current(&paths.certs_dir)? {
        if !due(&current, names, now) {
            return Ok(Renewal::NotDue(current));
        }
    }
    let issued = ca.issue(names, lifetime(&config.tls.local_ca.leaf_lifetime), now)?;
    let leaf = install::install(&paths.certs_dir, &issued.chain_pem, &issued.key_pem, names, now)?;
    Ok(Renewal::Renewed(leaf))
}

/// `names` without the host addresses the CA may not vouch for: an address that appeared after
/// the CA was made (a new Docker network's bridge) must not stop the daily renewal. Names from
/// the config stay, so a wrong one is still reported.
fn within_constraints(config: &Config, ca: &LocalCa, names: &[Name]) -> Vec<Name> {
    let configured: Vec<Name> = config.tls.extra_names.iter().filter_map(|n| Name::parse(n).ok()).collect();
    names.iter().filter(|n| matches!(n, Name::Dns(_)) || configured.contains(n) || ca.permits(n)).cloned().collect()
}

/// The file name of the exported root.
pub const EXPORTED_ROOT: &str = "sting-ce-root-ca.crt";

/// Writes the root (only the root, never its key) and how to trust it into `dir`.
pub fn export_ca(config: &Config, dir: &Path) -> anyhow::Result<PathBuf> {
    let paths = paths(config);
    let root = std::fs::read_to_string(&paths.root_cert).map_err(|e| {
        anyhow::anyhow!(
            "there is no local CA at {} ({e}): run `msting setup-ssl --self-signed` first",
            paths.root_cert.display()
        )
    })?;
    super::inspect::parse_chain(&root, &paths.root_cert.display().to_string())?;
    std::fs::create_dir_all(dir)?;
    let target = dir.join(EXPORTED_ROOT);
    crate::fsio::atomic_write(&target, root.as_bytes(), Some(0o644))?;
    let guide = format!(
        "Trusting STING-CE's local CA ({EXPORTED_ROOT})\n\n\
         Its name constraints let it vouch only for this installation's names: {names}.\n\n\
         Debian, Ubuntu:   sudo cp {EXPORTED_ROOT} /usr/local/share/ca-certificates/ && sudo update-ca-certificates\n\
         Fedora, RHEL:     sudo cp {EXPORTED_ROOT} /etc/pki/ca-trust/source/anchors/ && sudo update-ca-trust\n\
         macOS:            sudo security add-trusted-cert -d -r trustRoot -k /Library/Keychains/System.keychain {EXPORTED_ROOT}\n\
         Windows (admin):  certutil -addstore -f Root {EXPORTED_ROOT}\n\
         Firefox keeps its own store: Settings > Privacy & Security > Certificates > View Certificates > Authorities > Import.\n",
        names = super::ca::permitted_names(&root, &paths.root_cert.display().to_string())?
            .iter()
            .map(Name::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    );
    crate::fsio::atomic_write(&dir.join("TRUST.txt"), guide.as_bytes(), Some(0o644))?;
    Ok(target)
}

/// The names Vault's certificate is for: its name inside the stack, and loopback for msting.
pub fn vault_names() -> Vec<Name> {
    vec![
        Name::Dns(crate::stack::spec::VAULT_HOST.into()),
        Name::Dns("localhost".into()),
        Name::Ip([127, 0, 0, 1].into()),
    ]
}

/// Vault's certificate from the local CA in `dir` (with the CA's root beside it as `ca.pem`):
/// issued when there is none or it is due. Returns whether a new one was installed.
pub fn vault_certificate(config: &Config, dir: &Path, now: OffsetDateTime) -> anyhow::Result<bool> {
    let names = vault_names();
    if let Some(current) = install::current(dir)? {
        if !due(&current, &names, now) {
            return Ok(false);
        }
    }
    let paths = paths(config);
    let ca = LocalCa::load(&paths.root_cert, &paths.root_key)?;
    if let Some(outside) = names.iter().find(|n| !ca.permits(n)) {
        anyhow::bail!(
            "the local CA in {} may not vouch for {outside}, which Vault's certificate needs (it predates the stack's \
             internal names): make a new CA with `msting setup-ssl --self-signed --new-ca`, then trust the new root",
            paths.root_cert.display()
        );
    }
    let issued = ca.issue(&names, lifetime(&config.tls.local_ca.leaf_lifetime), now)?;
    install::install(dir, &issued.chain_pem, &issued.key_pem, &names, now)?;
    crate::fsio::atomic_write(&dir.join(ROOT_CERT_FILE), ca.root_pem().as_bytes(), Some(0o644))?;
    Ok(true)
}
