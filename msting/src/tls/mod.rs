//! Certificates for the stack: a local CA (`ca`), reading and checking certificates (`inspect`).
//! Only this module knows X.509; commands call it and print what it returns.

pub mod acme;
pub mod ca;
pub mod inspect;
pub mod install;
pub mod local;
pub mod mode;
pub mod served;

use std::net::IpAddr;

/// A name a certificate is for: a DNS name or an IP address.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Name {
    Dns(String),
    Ip(IpAddr),
}

impl Name {
    /// An IP address if it parses as one, otherwise a DNS name (lower-cased, without a final dot).
    pub fn parse(text: &str) -> Result<Self, TlsError> {
        if let Ok(ip) = text.trim_matches(['[', ']']).parse::<IpAddr>() {
            return Ok(Self::Ip(ip));
        }
        let name = text.trim().trim_end_matches('.').to_ascii_lowercase();
        let wildcard_ok = |n: &str| n.strip_prefix("*.").is_some_and(sting_config::is_host_name);
        if !(sting_config::is_host_name(&name) || wildcard_ok(&name)) {
            return Err(TlsError::BadName(text.to_string()));
        }
        Ok(Self::Dns(name))
    }
}

impl std::fmt::Display for Name {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Dns(name) => f.write_str(name),
            Self::Ip(ip) => write!(f, "{ip}"),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("`{0}` is neither a DNS name nor an IP address")]
    BadName(String),
    #[error(
        "the local CA may only issue for {allowed}; `{name}` is outside its name constraints (a new CA is made with `msting setup-ssl --self-signed --new-ca`)"
    )]
    OutsideConstraints { name: String, allowed: String },
    #[error("cannot make the certificate: {0}")]
    Generate(#[from] rcgen::Error),
    #[error("{path} is not a PEM certificate: {reason}")]
    BadCertificate { path: String, reason: String },
    #[error("{path} is not a PEM private key: {reason}")]
    BadKey { path: String, reason: String },
    #[error("the key in {key} does not belong to the certificate in {cert}")]
    KeyMismatch { cert: String, key: String },
    #[error("{path}: {source}")]
    Io { path: String, source: std::io::Error },
}

pub(crate) fn io_error(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> TlsError + '_ {
    move |source| TlsError::Io { path: path.display().to_string(), source }
}
