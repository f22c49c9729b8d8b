//! The local CA: a root made with rcgen (ECDSA P-256, explicit validity, path length 0), name
//! constrained to this installation's names and addresses, so that trusting it lets it vouch
//! for nothing else. It issues the short-lived certificate stingd serves and the stack's
//! internal service certificates. Its key is written 0400 in a 0700 folder and never leaves it.

use std::net::IpAddr;
use std::path::Path;

use rcgen::{
    BasicConstraints, CertificateParams, CidrSubnet, DistinguishedName, DnType, ExtendedKeyUsagePurpose,
    GeneralSubtree, IsCa, Issuer, KeyPair, KeyUsagePurpose, NameConstraints, PKCS_ECDSA_P256_SHA256, SanType,
    SerialNumber,
};
use time::{Duration, OffsetDateTime};
use x509_parser::extensions::{GeneralName, ParsedExtension};
use zeroize::Zeroizing;

use super::inspect::{self, CertInfo};
use super::{Name, TlsError, io_error};

/// The root certificate, in `paths.certs_dir` (public: clients and services trust it).
pub const ROOT_CERT_FILE: &str = "ca.pem";
/// The root's key, in `paths.secrets_dir/ca/`.
pub const ROOT_KEY_FILE: &str = "ca.key";

/// Validity starts this much before now, so a client whose clock is a little behind accepts it.
const BACKDATE: Duration = Duration::hours(1);

pub struct LocalCa {
    cert_pem: String,
    key: KeyPair,
    permitted: Vec<Name>,
    pub info: CertInfo,
}

/// A certificate issued by the CA: the chain to serve (leaf, then root) and its key.
pub struct Issued {
    pub chain_pem: String,
    pub key_pem: Zeroizing<String>,
    pub info: CertInfo,
}

fn random_serial() -> SerialNumber {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).expect("the operating system's random source failed");
    bytes[0] &= 0x7f; // positive
    SerialNumber::from_slice(&bytes)
}

impl LocalCa {
    /// A new root for `permitted` (every name it may ever issue for; a DNS name permits its
    /// subdomains too, as X.509 name constraints do), valid `lifetime` from `now`.
    pub fn create(permitted: &[Name], lifetime: Duration, now: OffsetDateTime) -> Result<Self, TlsError> {
        let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?;
        let mut params = CertificateParams::default();
        let mut dn = DistinguishedName::new();
        dn.push(DnType::OrganizationName, "STING-CE");
        let first = permitted.first().map(Name::to_string).unwrap_or_else(|| "localhost".into());
        dn.push(DnType::CommonName, format!("STING-CE local CA for {first}"));
        params.distinguished_name = dn;
        params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        params.key_usages =
            vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
        params.not_before = now - BACKDATE;
        params.not_after = now + lifetime;
        params.serial_number = Some(random_serial());
        params.name_constraints = Some(NameConstraints {
            permitted_subtrees: permitted
                .iter()
                .map(|name| match name {
                    Name::Dns(dns) => GeneralSubtree::DnsName(dns.trim_start_matches("*.").to_string()),
                    Name::Ip(IpAddr::V4(ip)) => GeneralSubtree::IpAddress(CidrSubnet::V4(ip.octets(), [255; 4])),
                    Name::Ip(IpAddr::V6(ip)) => GeneralSubtree::IpAddress(CidrSubnet::V6(ip.octets(), [255; 16])),
                })
                .collect(),
            excluded_subtrees: Vec::new(),
        });
        let cert = params.self_signed(&key)?;
        let cert_pem = cert.pem();
        let info = inspect::parse_chain(&cert_pem, "the new CA").map(|mut c| c.remove(0))?;
        Ok(Self { cert_pem, key, permitted: permitted.to_vec(), info })
    }

    /// The CA kept on disk.
    pub fn load(cert_path: &Path, key_path: &Path) -> Result<Self, TlsError> {
        let cert_pem = std::fs::read_to_string(cert_path).map_err(io_error(cert_path))?;
        let key_pem = Zeroizing::new(std::fs::read_to_string(key_path).map_err(io_error(key_path))?);
        let key = KeyPair::from_pem(&key_pem)
            .map_err(|e| TlsError::BadKey { path: key_path.display().to_string(), reason: e.to_string() })?;
        let info = inspect::parse_chain(&cert_pem, &cert_path.display().to_string())?.remove(0);
        if rcgen::PublicKeyData::subject_public_key_info(&key) != info.public_key {
            return Err(TlsError::KeyMismatch {
                cert: cert_path.display().to_string(),
                key: key_path.display().to_string(),
            });
        }
        let permitted = permitted_names(&cert_pem, &cert_path.display().to_string())?;
        Ok(Self { cert_pem, key, permitted, info })
    }

    /// Writes the root (0644) and its key (0400, in a 0700 folder made if missing).
    pub fn save(&self, cert_path: &Path, key_path: &Path) -> anyhow::Result<()> {
        if let Some(dir) = key_path.parent() {
            use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
            std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir)?;
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
        }
        let key_pem = Zeroizing::new(self.key.serialize_pem());
        crate::fsio::atomic_write(key_path, key_pem.as_bytes(), Some(0o400))?;
        if let Some(dir) = cert_path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        crate::fsio::atomic_write(cert_path, self.cert_pem.as_bytes(), Some(0o644))
    }

    pub fn root_pem(&self) -> &str {
        &self.cert_pem
    }

    pub fn permitted(&self) -> &[Name] {
        &self.permitted
    }

    /// Whether the constraints allow `name` (a DNS name equal to a permitted one or under it;
    /// an address equal to a permitted one).
    pub fn permits(&self, name: &Name) -> bool {
        self.permitted.iter().any(|allowed| match (allowed, name) {
            (Name::Dns(base), Name::Dns(wanted)) => {
                let base = base.trim_start_matches("*.");
                let wanted = wanted.trim_start_matches("*.");
                wanted == base || wanted.ends_with(&format!(".{base}"))
            }
            (Name::Ip(a), Name::Ip(b)) => a == b,
            _ => false,
        })
    }

    /// A leaf for `names` (the first is its common name), valid `lifetime` from `now`, for
    /// servers and, inside the stack, clients. Refuses any name outside the constraints.
    pub fn issue(&self, names: &[Name], lifetime: Duration, now: OffsetDateTime) -> Result<Issued, TlsError> {
        if let Some(outside) = names.iter().find(|n| !self.permits(n)) {
            return Err(TlsError::OutsideConstraints {
                name: outside.to_string(),
                allowed: self.permitted.iter().map(Name::to_string).collect::<Vec<_>>().join(", "),
            });
        }
        let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?;
        let mut params = CertificateParams::default();
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CommonName, names.first().map(Name::to_string).unwrap_or_default());
        params.distinguished_name = dn;
        params.subject_alt_names = names
            .iter()
            .map(|name| match name {
                Name::Dns(dns) => dns.clone().try_into().map(SanType::DnsName),
                Name::Ip(ip) => Ok(SanType::IpAddress(*ip)),
            })
            .collect::<Result<_, _>>()?;
        params.is_ca = IsCa::ExplicitNoCa;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth, ExtendedKeyUsagePurpose::ClientAuth];
        params.not_before = now - BACKDATE;
        params.not_after = now + lifetime;
        params.serial_number = Some(random_serial());
        params.use_authority_key_identifier_extension = true;
        let issuer = Issuer::from_ca_cert_pem(&self.cert_pem, &self.key)?;
        let cert = params.signed_by(&key, &issuer)?;
        let chain_pem = format!("{}{}", cert.pem(), self.cert_pem);
        let info = inspect::parse_chain(&chain_pem, "the new certificate")?.remove(0);
        Ok(Issued { chain_pem, key_pem: Zeroizing::new(key.serialize_pem()), info })
    }
}

/// The names a CA certificate's name constraints permit.
pub fn permitted_names(cert_pem: &str, path: &str) -> Result<Vec<Name>, TlsError> {
    let bad = |reason: String| TlsError::BadCertificate { path: path.to_string(), reason };
    let pem = x509_parser::pem::parse_x509_pem(cert_pem.as_bytes()).map_err(|e| bad(e.to_string()))?.1;
    let cert = pem.parse_x509().map_err(|e| bad(e.to_string()))?;
    let mut names = Vec::new();
    for extension in cert.extensions() {
        if let ParsedExtension::NameConstraints(constraints) = extension.parsed_extension() {
            for subtree in constraints.permitted_subtrees.iter().flatten() {
                match &subtree.base {
                    GeneralName::DNSName(dns) => names.push(Name::Dns(dns.to_ascii_lowercase())),
                    GeneralName::IPAddress(bytes) if bytes.len() == 8 => {
                        names.push(Name::Ip(IpAddr::from(<[u8; 4]>::try_from(&bytes[..4]).expect("4 bytes"))))
                    }
                    GeneralName::IPAddress(bytes) if bytes.len() == 32 => {
                        names.push(Name::Ip(IpAddr::from(<[u8; 16]>::try_from(&bytes[..16]).expect("16 bytes"))))
                    }
                    _ => {}
                }
            }
        }
    }
    if names.is_empty() {
        return Err(bad("it is not a STING-CE local CA (it has no name constraints)".into()));
    }
    Ok(names)
}
