//! Value types that YAML has no word for: secret references, durations, memory sizes and rates.
//!
//! Each has exactly one parser (`FromStr`), used by serde when the config is deserialised and by
//! the validator when it checks a scalar (through [`check_format`]), so the two cannot disagree.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;
use std::time::Duration as StdDuration;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Implements `Serialize`/`Deserialize` through `Display`/`FromStr`, and a string JSON schema
/// carrying a `format` that the validator knows (see [`check_format`]).
macro_rules! string_value {
    ($ty:ident, $format:literal, $description:literal) => {
        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
        }
        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = String::deserialize(deserializer)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }
        impl JsonSchema for $ty {
            fn schema_name() -> Cow<'static, str> {
                stringify!($ty).into()
            }
            fn inline_schema() -> bool {
                true
            }
            fn json_schema(_: &mut SchemaGenerator) -> Schema {
                json_schema!({ "type": "string", "format": $format, "description": $description })
            }
        }
    };
}

/// The prefix that marks a value as a reference to a secret kept in Vault.
pub const VAULT_REF_PREFIX: &str = "vault-ref:";

/// A reference to a secret in Vault's KV store, written `vault-ref:PATH#KEY`.
///
/// Secrets are never values in `config.yml`: only these references are. Resolving one needs a
/// Vault client, which lives in another crate; this type only knows the syntax.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SecretRef {
    /// The secret's path below the KV mount, for example `database`.
    pub path: String,
    /// The key inside that secret, for example `password`.
    pub key: String,
}

impl SecretRef {
    pub fn new(path: impl Into<String>, key: impl Into<String>) -> Self {
        Self { path: path.into(), key: key.into() }
    }
}

/// Why a `vault-ref:` string is not a valid reference. Never carries the text itself, because a
/// malformed reference may be a secret pasted in the wrong place.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretRefError {
    #[error("a secret must be a reference of the form `vault-ref:PATH#KEY`, not a value")]
    NotAReference,
    #[error("a vault reference needs `#KEY` after the path, as in `vault-ref:database#password`")]
    MissingKey,
    #[error("the path of a vault reference must not be empty, start with `/`, or contain `..`")]
    BadPath,
    #[error("vault reference paths and keys may only use letters, digits, `_`, `-`, `.` and `/` (path)")]
    BadCharacter,
}

impl FromStr for SecretRef {
    type Err = SecretRefError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let rest = text.strip_prefix(VAULT_REF_PREFIX).ok_or(SecretRefError::NotAReference)?;
        let (path, key) = rest.split_once('#').ok_or(SecretRefError::MissingKey)?;
        if path.is_empty() || path.starts_with('/') || path.split('/').any(|p| p == ".." || p.is_empty()) {
            return Err(SecretRefError::BadPath);
        }
        if key.is_empty() {
            return Err(SecretRefError::MissingKey);
        }
        let word = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.');
        if !path.chars().all(|c| word(c) || c == '/') || !key.chars().all(word) {
            return Err(SecretRefError::BadCharacter);
        }
        Ok(Self::new(path, key))
    }
}

impl fmt::Display for SecretRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{VAULT_REF_PREFIX}{}#{}", self.path, self.key)
    }
}

string_value!(SecretRef, "vault-ref", "A secret held in Vault, written `vault-ref:PATH#KEY`.");

/// A length of time written the human way: `30s`, `15m`, `12h`, `1h 30m`, `7d`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Duration(pub StdDuration);

impl Duration {
    pub const fn from_secs(secs: u64) -> Self {
        Self(StdDuration::from_secs(secs))
    }
    pub const fn from_mins(mins: u64) -> Self {
        Self::from_secs(mins * 60)
    }
    pub const fn from_hours(hours: u64) -> Self {
        Self::from_secs(hours * 3600)
    }
    pub const fn from_days(days: u64) -> Self {
        Self::from_secs(days * 86_400)
    }
    pub fn as_std(self) -> StdDuration {
        self.0
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a duration: write a number and a unit, such as `30s`, `15m`, `12h` or `7d`")]
pub struct DurationError(String);

impl FromStr for Duration {
    type Err = DurationError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        humantime::parse_duration(text.trim()).map(Duration).map_err(|_| DurationError(text.into()))
    }
}

/// The largest unit that divides the value exactly (`3650d`, `90m`), so values read back as
/// they were written.
impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let millis = self.0.as_millis();
        if millis % 1000 != 0 || millis == 0 {
            return write!(f, "{millis}ms");
        }
        let secs = millis / 1000;
        for (scale, unit) in [(86_400, "d"), (3600, "h"), (60, "m")] {
            if secs % scale == 0 {
                return write!(f, "{}{unit}", secs / scale);
            }
        }
        write!(f, "{secs}s")
    }
}

string_value!(Duration, "duration", "A duration such as `30s`, `15m`, `12h` or `7d`.");

/// An amount of memory or disk, written as Docker does: `512m`, `2g`, also `2GiB`, `1.5g`.
/// Units are binary (`1g` is 1024³ bytes), as in Docker's `--memory`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ByteSize(pub u64);

impl ByteSize {
    pub const KIB: u64 = 1024;
    pub const MIB: u64 = 1024 * 1024;
    pub const GIB: u64 = 1024 * 1024 * 1024;
    pub const fn mib(n: u64) -> Self {
        Self(n * Self::MIB)
    }
    pub const fn gib(n: u64) -> Self {
        Self(n * Self::GIB)
    }
    pub fn bytes(self) -> u64 {
        self.0
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a size: write a number and a unit, such as `512m`, `2g` or `1.5GiB`")]
pub struct ByteSizeError(String);

impl FromStr for ByteSize {
    type Err = ByteSizeError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let err = || ByteSizeError(text.into());
        let trimmed = text.trim();
        let split = trimmed.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(trimmed.len());
        let (number, unit) = trimmed.split_at(split);
        let number: f64 = number.parse().map_err(|_| err())?;
        let unit = unit.trim().to_ascii_lowercase();
        let unit = unit.strip_suffix('b').unwrap_or(&unit);
        let unit = unit.strip_suffix('i').unwrap_or(unit);
        let scale = match unit {
            "" => 1,
            "k" => Self::KIB,
            "m" => Self::MIB,
            "g" => Self::GIB,
            "t" => Self::GIB * 1024,
            _ => return Err(err()),
        };
        let bytes = number * scale as f64;
        if !bytes.is_finite() || bytes < 0.0 || bytes > u64::MAX as f64 {
            return Err(err());
        }
        Ok(Self(bytes.round() as u64))
    }
}

impl fmt::Display for ByteSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (scale, unit) in [(Self::GIB * 1024, "t"), (Self::GIB, "g"), (Self::MIB, "m"), (Self::KIB, "k")] {
            if self.0 >= scale && self.0 % scale == 0 {
                return write!(f, "{}{unit}", self.0 / scale);
            }
        }
        write!(f, "{}", self.0)
    }
}

string_value!(ByteSize, "byte-size", "A size such as `512m`, `2g` or `1.5GiB` (binary units).");

/// A request rate, as in nginx's `limit_req_zone`: `10/s`, `5/m`, `100/h`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Rate {
    pub requests: u32,
    pub per: StdDuration,
}

impl Rate {
    pub const fn per_second(requests: u32) -> Self {
        Self { requests, per: StdDuration::from_secs(1) }
    }
    pub const fn per_minute(requests: u32) -> Self {
        Self { requests, per: StdDuration::from_secs(60) }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a rate: write requests per unit, such as `10/s`, `5/m` or `100/h` (at least 1)")]
pub struct RateError(String);

impl FromStr for Rate {
    type Err = RateError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let err = || RateError(text.into());
        let (count, unit) = text.trim().split_once('/').ok_or_else(err)?;
        let requests: u32 = count.trim().parse().map_err(|_| err())?;
        let secs = match unit.trim() {
            "s" => 1,
            "m" => 60,
            "h" => 3600,
            _ => return Err(err()),
        };
        if requests == 0 {
            return Err(err());
        }
        Ok(Self { requests, per: StdDuration::from_secs(secs) })
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let unit = match self.per.as_secs() {
            1 => "s",
            60 => "m",
            _ => "h",
        };
        write!(f, "{}/{unit}", self.requests)
    }
}

string_value!(Rate, "rate", "A rate such as `10/s`, `5/m` or `100/h`.");

/// How many model layers to offload to a GPU: `auto` (decided at run time from the VRAM that
/// NVML reports, or 0 without a GPU) or a fixed count.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum GpuLayers {
    #[default]
    Auto,
    Count(u32),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a layer count: write `auto` or a whole number such as `0` or `99`")]
pub struct GpuLayersError(String);

impl FromStr for GpuLayers {
    type Err = GpuLayersError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim() {
            "auto" => Ok(Self::Auto),
            n => n.parse().map(Self::Count).map_err(|_| GpuLayersError(text.into())),
        }
    }
}

impl fmt::Display for GpuLayers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Auto => f.write_str("auto"),
            Self::Count(n) => write!(f, "{n}"),
        }
    }
}

string_value!(GpuLayers, "gpu-layers", "`auto` or a number of layers.");

/// Checks a scalar against a schema `format`, with the same parser serde will use.
/// Returns `None` for formats this crate does not define (they are not checked).
pub(crate) fn check_format(format: &str, text: &str) -> Option<Result<(), String>> {
    fn run<T: FromStr>(text: &str) -> Result<(), String>
    where
        T::Err: fmt::Display,
    {
        text.parse::<T>().map(drop).map_err(|e| e.to_string())
    }
    Some(match format {
        "vault-ref" => run::<SecretRef>(text),
        "duration" => run::<Duration>(text),
        "byte-size" => run::<ByteSize>(text),
        "rate" => run::<Rate>(text),
        "gpu-layers" => run::<GpuLayers>(text),
        "ip" => text
            .parse::<std::net::IpAddr>()
            .map(drop)
            .map_err(|_| format!("`{text}` is not an IP address, such as `127.0.0.1` or `::1`")),
        "socket-addr" => text
            .parse::<std::net::SocketAddr>()
            .map(drop)
            .map_err(|_| format!("`{text}` is not an address with a port, such as `127.0.0.1:9090`")),
        _ => return None,
    })
}

/// One label of a DNS name: 1 to 63 letters, digits and hyphens, not starting or ending with
/// a hyphen.
pub fn is_host_label(label: &str) -> bool {
    !label.is_empty()
        && label.len() <= 63
        && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        && !label.starts_with('-')
        && !label.ends_with('-')
}

/// A DNS name people can type and a certificate can carry: dot-separated labels, 253 at most.
pub fn is_host_name(name: &str) -> bool {
    name.len() <= 253 && name.split('.').all(is_host_label)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_refs_parse_and_print_back() {
        let r: SecretRef = "vault-ref:database/main#password".parse().unwrap();
        assert_eq!(r, SecretRef::new("database/main", "password"));
        assert_eq!(r.to_string(), "vault-ref:database/main#password");
    }

    #[test]
    fn malformed_secret_refs_are_rejected_without_echoing_them() {
        for (text, want) in [
            ("hunter2", SecretRefError::NotAReference),
            ("vault-ref:database", SecretRefError::MissingKey),
            ("vault-ref:database#", SecretRefError::MissingKey),
            ("vault-ref:/abs#k", SecretRefError::BadPath),
            ("vault-ref:a/../b#k", SecretRefError::BadPath),
            ("vault-ref:a b#k", SecretRefError::BadCharacter),
        ] {
            let err = text.parse::<SecretRef>().unwrap_err();
            assert_eq!(err, want, "{text}");
            assert!(!err.to_string().contains("hunter2"));
        }
    }

    #[test]
    fn sizes_use_docker_binary_units() {
        assert_eq!("512m".parse::<ByteSize>().unwrap(), ByteSize::mib(512));
        assert_eq!("2g".parse::<ByteSize>().unwrap(), ByteSize::gib(2));
        assert_eq!("2GiB".parse::<ByteSize>().unwrap(), ByteSize::gib(2));
        assert_eq!("1.5G".parse::<ByteSize>().unwrap(), ByteSize(3 * ByteSize::GIB / 2));
        assert_eq!("4096".parse::<ByteSize>().unwrap(), ByteSize(4096));
        assert_eq!(ByteSize::gib(2).to_string(), "2g");
        assert!("2 lots".parse::<ByteSize>().is_err());
        assert!("g".parse::<ByteSize>().is_err());
    }

    #[test]
    fn durations_and_rates_round_trip() {
        assert_eq!("15m".parse::<Duration>().unwrap(), Duration::from_mins(15));
        assert_eq!(Duration::from_mins(15).to_string(), "15m");
        assert!("soon".parse::<Duration>().is_err());
        assert_eq!("5/m".parse::<Rate>().unwrap(), Rate::per_minute(5));
        assert_eq!(Rate::per_second(10).to_string(), "10/s");
        assert!("0/s".parse::<Rate>().is_err());
        assert!("10/day".parse::<Rate>().is_err());
    }

    #[test]
    fn gpu_layers_are_auto_or_a_count() {
        assert_eq!("auto".parse::<GpuLayers>().unwrap(), GpuLayers::Auto);
        assert_eq!("33".parse::<GpuLayers>().unwrap(), GpuLayers::Count(33));
        assert!("all".parse::<GpuLayers>().is_err());
    }
}
