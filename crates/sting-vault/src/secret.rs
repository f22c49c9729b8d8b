//! A secret value (a key share, a token, a password): shown only when asked for by name
//! ([`Secret::expose`]), redacted by `Debug` and `Display`, and overwritten in memory when dropped.

use std::fmt;

use zeroize::Zeroizing;

#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(Zeroizing::new(value.into()))
    }

    /// `bytes` random bytes from the operating system's CSPRNG, URL-safe base64 without padding.
    pub fn generate(bytes: usize) -> Self {
        use base64::Engine;
        let mut raw = Zeroizing::new(vec![0u8; bytes]);
        getrandom::fill(&mut raw).expect("the operating system's random source failed");
        Self::new(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&*raw))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_never_formats_its_value() {
        let s = Secret::new("hunter2-hunter2");
        assert!(!format!("{s:?} {s}").contains("hunter2"));
        assert_eq!(s.expose(), "hunter2-hunter2");
    }

    #[test]
    fn generated_secrets_are_long_and_distinct() {
        let (a, b) = (Secret::generate(32), Secret::generate(32));
        assert_ne!(a, b);
        assert_eq!(a.expose().len(), 43);
    }
}
