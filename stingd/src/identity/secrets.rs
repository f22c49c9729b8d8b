//! The bearer secrets identity hands out (session ids, API tokens, enrolment links): random,
//! shown once, and stored only as a hash, so a copy of the database lets nobody in.

use sha2::{Digest, Sha256};

/// 256 random bits, URL-safe, with a prefix that says what the secret is for.
pub fn new_secret(prefix: &str) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the kernel's random source");
    // 32 bytes as 43 base64url characters (the last holds 4 bits).
    let mut out = String::with_capacity(prefix.len() + 43);
    out.push_str(prefix);
    let mut acc: u32 = 0;
    let mut bits = 0;
    for byte in bytes {
        acc = (acc << 8) | u32::from(byte);
        bits += 8;
        while bits >= 6 {
            bits -= 6;
            out.push(ALPHABET[((acc >> bits) & 63) as usize] as char);
        }
    }
    if bits > 0 {
        out.push(ALPHABET[((acc << (6 - bits)) & 63) as usize] as char);
    }
    out
}

/// What the database keeps of a secret.
pub fn hash(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

#[cfg(test)]
mod tests {
    #[test]
    fn secrets_are_long_distinct_and_url_safe() {
        let a = super::new_secret("sting_");
        let b = super::new_secret("sting_");
        assert_ne!(a, b);
        assert_eq!(a.len(), 6 + 43);
        assert!(a[6..].chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
        assert_eq!(super::hash(&a).len(), 32);
    }
}
