//! The kinds of personal data detected, with the names used in config files and output.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    Email,
    Phone,
    CreditCard,
    Iban,
    Ssn,
    IpAddress,
    MacAddress,
    DateOfBirth,
    CryptoWallet,
    ApiKey,
    Npi,
    Dea,
    Person,
    Address,
}

impl Kind {
    pub const ALL: &'static [Kind] = &[
        Kind::Email,
        Kind::Phone,
        Kind::CreditCard,
        Kind::Iban,
        Kind::Ssn,
        Kind::IpAddress,
        Kind::MacAddress,
        Kind::DateOfBirth,
        Kind::CryptoWallet,
        Kind::ApiKey,
        Kind::Npi,
        Kind::Dea,
        Kind::Person,
        Kind::Address,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Kind::Email => "email",
            Kind::Phone => "phone",
            Kind::CreditCard => "credit-card",
            Kind::Iban => "iban",
            Kind::Ssn => "ssn",
            Kind::IpAddress => "ip-address",
            Kind::MacAddress => "mac-address",
            Kind::DateOfBirth => "date-of-birth",
            Kind::CryptoWallet => "crypto-wallet",
            Kind::ApiKey => "api-key",
            Kind::Npi => "npi",
            Kind::Dea => "dea",
            Kind::Person => "person",
            Kind::Address => "address",
        }
    }

    /// The word in a redaction placeholder (`[EMAIL_1]`).
    pub fn label(self) -> &'static str {
        match self {
            Kind::Email => "EMAIL",
            Kind::Phone => "PHONE",
            Kind::CreditCard => "CREDIT_CARD",
            Kind::Iban => "IBAN",
            Kind::Ssn => "SSN",
            Kind::IpAddress => "IP_ADDRESS",
            Kind::MacAddress => "MAC_ADDRESS",
            Kind::DateOfBirth => "DATE_OF_BIRTH",
            Kind::CryptoWallet => "CRYPTO_WALLET",
            Kind::ApiKey => "SECRET",
            Kind::Npi => "NPI",
            Kind::Dea => "DEA",
            Kind::Person => "PERSON",
            Kind::Address => "ADDRESS",
        }
    }

    pub fn from_name(name: &str) -> Option<Kind> {
        Kind::ALL.iter().copied().find(|k| k.name() == name)
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
