//! What a certificate says: subject and issuer, the names it covers, its validity and how much
//! of its lifetime is left, and whether a key belongs to it. Used before installing any
//! certificate, by `msting certs status` and by health.

use std::path::Path;

use time::OffsetDateTime;
use x509_parser::extensions::{GeneralName, ParsedExtension};
use x509_parser::pem::Pem;

use super::{Name, TlsError};

#[derive(Clone, Debug, serde::Serialize)]
pub struct CertInfo {
    pub subject: String,
    pub issuer: String,
    pub names: Vec<String>,
    /// Seconds since the Unix epoch.
    pub not_before: i64,
    pub not_after: i64,
    pub is_ca: bool,
    pub serial: String,
    /// The SubjectPublicKeyInfo, to match a key against.
    #[serde(skip)]
    pub public_key: Vec<u8>,
}

impl CertInfo {
    /// How much of the lifetime is left at `now`: 1 when just issued, 0 at expiry, below 0 after.
    pub fn fraction_left(&self, now: OffsetDateTime) -> f64 {
        let lifetime = (self.not_after - self.not_before).max(1) as f64;
        (self.not_after - now.unix_timestamp()) as f64 / lifetime
    }

    pub fn covers(&self, name: &Name) -> bool {
        let wanted = name.to_string();
        self.names.iter().any(|n| {
            n == &wanted
                || (matches!(name, Name::Dns(_))
                    && n.strip_prefix("*.").is_some_and(|base| {
                        wanted
                            .strip_suffix(base)
                            .is_some_and(|head| head.ends_with('.') && !head[..head.len() - 1].contains('.'))
                    }))
        })
    }
}

/// A date as `YYYY-MM-DD` (UTC), from seconds since the epoch.
pub fn day(seconds: i64) -> String {
    OffsetDateTime::from_unix_timestamp(seconds)
        .map(|t| format!("{}-{:02}-{:02}", t.year(), t.month() as u8, t.day()))
        .unwrap_or_else(|_| seconds.to_string())
}

/// Every certificate in PEM text, in order (a chain: leaf first).
pub fn parse_chain(pem: &str, path: &str) -> Result<Vec<CertInfo>, TlsError> {
    let bad = |reason: String| TlsError::BadCertificate { path: path.to_string(), reason };
    let mut out = Vec::new();
    for block in Pem::iter_from_buffer(pem.as_bytes()) {
        let block = block.map_err(|e| bad(e.to_string()))?;
        if block.label != "CERTIFICATE" {
            continue;
        }
        out.push(parse_der(&block.contents, path)?);
    }
    if out.is_empty() {
        return Err(bad("it holds no certificate".into()));
    }
    Ok(out)
}

/// One certificate in DER.
pub fn parse_der(der: &[u8], path: &str) -> Result<CertInfo, TlsError> {
    let bad = |reason: String| TlsError::BadCertificate { path: path.to_string(), reason };
    {
        let (_, cert) = x509_parser::parse_x509_certificate(der).map_err(|e| bad(e.to_string()))?;
        let mut names = Vec::new();
        let mut is_ca = false;
        for extension in cert.extensions() {
            match extension.parsed_extension() {
                ParsedExtension::SubjectAlternativeName(san) => {
                    for name in &san.general_names {
                        match name {
                            GeneralName::DNSName(dns) => names.push(dns.to_ascii_lowercase()),
                            GeneralName::IPAddress(bytes) => match bytes.len() {
                                4 => names
                                    .push(std::net::Ipv4Addr::from(<[u8; 4]>::try_from(*bytes).unwrap()).to_string()),
                                16 => names
                                    .push(std::net::Ipv6Addr::from(<[u8; 16]>::try_from(*bytes).unwrap()).to_string()),
                                _ => {}
                            },
                            _ => {}
                        }
                    }
                }
                ParsedExtension::BasicConstraints(bc) => is_ca = bc.ca,
                _ => {}
            }
        }
        Ok(CertInfo {
            subject: cert.subject().to_string(),
            issuer: cert.issuer().to_string(),
            names,
            not_before: cert.validity().not_before.timestamp(),
            not_after: cert.validity().not_after.timestamp(),
            is_ca,
            serial: cert.raw_serial_as_string(),
            public_key: cert.public_key().raw.to_vec(),
        })
    }
}

pub fn read_chain(path: &Path) -> Result<Vec<CertInfo>, TlsError> {
    let pem = std::fs::read_to_string(path).map_err(super::io_error(path))?;
    parse_chain(&pem, &path.display().to_string())
}

/// Whether the private key in `key_pem` is the one of `cert`.
pub fn key_matches(cert: &CertInfo, key_pem: &str, key_path: &str) -> Result<bool, TlsError> {
    let key = rcgen::KeyPair::from_pem(key_pem)
        .map_err(|e| TlsError::BadKey { path: key_path.to_string(), reason: e.to_string() })?;
    Ok(rcgen::PublicKeyData::subject_public_key_info(&key) == cert.public_key)
}
