//! The ways the data checks itself: Luhn, IBAN's mod-97, the US SSN's invalid ranges, NPI and
//! DEA check digits, Base58Check and Bech32 checksums, Ethereum's EIP-55 capitalisation, and
//! the Shannon entropy of a would-be secret. A candidate that fails is not reported, which is
//! what keeps look-alikes (order numbers, tracking codes) out.

use sha3::{Digest, Keccak256};

/// Luhn over ASCII digits.
pub fn luhn(digits: &[u8]) -> bool {
    let mut sum = 0u32;
    for (i, d) in digits.iter().rev().enumerate() {
        let mut v = u32::from(d - b'0');
        if i % 2 == 1 {
            v *= 2;
            if v > 9 {
                v -= 9;
            }
        }
        sum += v;
    }
    !digits.is_empty() && sum % 10 == 0
}

/// Whether a payment card number (digits only) starts like one a network issues.
pub fn card_prefix(digits: &[u8]) -> bool {
    let n = |len: usize| -> u32 { digits[..len].iter().fold(0, |a, d| a * 10 + u32::from(d - b'0')) };
    let len = digits.len();
    match digits[0] {
        b'4' => matches!(len, 13 | 16 | 19),                // Visa
        b'5' => len == 16 && (51..=55).contains(&n(2)),     // Mastercard
        b'2' => len == 16 && (2221..=2720).contains(&n(4)), // Mastercard 2-series
        b'3' => {
            (len == 15 && matches!(n(2), 34 | 37))                                      // Amex
                || (len == 14 && (matches!(n(2), 36 | 38) || (300..=305).contains(&n(3)))) // Diners
                || ((16..=19).contains(&len) && (3528..=3589).contains(&n(4))) // JCB
        }
        b'6' => {
            (16..=19).contains(&len)
                && (n(4) == 6011 || n(2) == 65 || (644..=649).contains(&n(3)) || (622126..=622925).contains(&n(6)))
        }
        _ => false,
    }
}

/// IBAN lengths by country (ISO 13616 registry).
const IBAN_LENGTHS: &[(&[u8; 2], usize)] = &[
    (b"AD", 24),
    (b"AE", 23),
    (b"AL", 28),
    (b"AT", 20),
    (b"AZ", 28),
    (b"BA", 20),
    (b"BE", 16),
    (b"BG", 22),
    (b"BH", 22),
    (b"BR", 29),
    (b"BY", 28),
    (b"CH", 21),
    (b"CR", 22),
    (b"CY", 28),
    (b"CZ", 24),
    (b"DE", 22),
    (b"DK", 18),
    (b"DO", 28),
    (b"EE", 20),
    (b"EG", 29),
    (b"ES", 24),
    (b"FI", 18),
    (b"FO", 18),
    (b"FR", 27),
    (b"GB", 22),
    (b"GE", 22),
    (b"GI", 23),
    (b"GL", 18),
    (b"GR", 27),
    (b"GT", 28),
    (b"HR", 21),
    (b"HU", 28),
    (b"IE", 22),
    (b"IL", 23),
    (b"IQ", 23),
    (b"IS", 26),
    (b"IT", 27),
    (b"JO", 30),
    (b"KW", 30),
    (b"KZ", 20),
    (b"LB", 28),
    (b"LC", 32),
    (b"LI", 21),
    (b"LT", 20),
    (b"LU", 20),
    (b"LV", 21),
    (b"MC", 27),
    (b"MD", 24),
    (b"ME", 22),
    (b"MK", 19),
    (b"MR", 27),
    (b"MT", 31),
    (b"MU", 30),
    (b"NL", 18),
    (b"NO", 15),
    (b"PK", 24),
    (b"PL", 28),
    (b"PS", 29),
    (b"PT", 25),
    (b"QA", 29),
    (b"RO", 24),
    (b"RS", 22),
    (b"SA", 24),
    (b"SC", 31),
    (b"SE", 24),
    (b"SI", 19),
    (b"SK", 24),
    (b"SM", 27),
    (b"ST", 25),
    (b"SV", 28),
    (b"TL", 23),
    (b"TN", 24),
    (b"TR", 26),
    (b"UA", 29),
    (b"VA", 22),
    (b"VG", 24),
    (b"XK", 20),
];

/// An IBAN without spaces, upper case: its country's length and mod-97 = 1.
pub fn iban(compact: &[u8]) -> bool {
    let Some(&(_, len)) = IBAN_LENGTHS.iter().find(|(c, _)| compact.len() >= 2 && &compact[..2] == *c) else {
        return false;
    };
    if compact.len() != len || !compact[2..4].iter().all(u8::is_ascii_digit) {
        return false;
    }
    let mut remainder = 0u32;
    for &c in compact[4..].iter().chain(&compact[..4]) {
        let value = match c {
            b'0'..=b'9' => u32::from(c - b'0'),
            b'A'..=b'Z' => u32::from(c - b'A') + 10,
            _ => return false,
        };
        remainder = if value >= 10 { (remainder * 100 + value) % 97 } else { (remainder * 10 + value) % 97 };
    }
    remainder == 1
}

/// A US Social Security number's parts, against the ranges never issued.
pub fn ssn(area: u32, group: u32, serial: u32) -> bool {
    area != 0 && area != 666 && area < 900 && group != 0 && serial != 0
        // Numbers published as examples, which real documents quote.
        && !(area == 78 && group == 5 && serial == 1120)
        && !(area == 219 && group == 9 && serial == 9999)
}

/// A US National Provider Identifier: 10 digits, Luhn over "80840" and the number.
pub fn npi(digits: &[u8]) -> bool {
    if digits.len() != 10 || !matches!(digits[0], b'1' | b'2') {
        return false;
    }
    let mut full = b"80840".to_vec();
    full.extend_from_slice(digits);
    luhn(&full)
}

/// A DEA registration number: two letters, seven digits, the last a check digit.
pub fn dea(text: &[u8]) -> bool {
    if text.len() != 9 || !text[..2].iter().all(u8::is_ascii_uppercase) || !text[2..].iter().all(u8::is_ascii_digit) {
        return false;
    }
    if !b"ABCDEFGHJKLMPRSTUX".contains(&text[0]) {
        return false;
    }
    let d = |i: usize| u32::from(text[2 + i] - b'0');
    let sum = d(0) + d(2) + d(4) + 2 * (d(1) + d(3) + d(5));
    sum % 10 == d(6)
}

/// A Bitcoin address in Base58Check (P2PKH `1...`, P2SH `3...`).
pub fn base58check(text: &str) -> bool {
    matches!(bs58::decode(text).with_check(None).into_vec(), Ok(payload) if payload.len() == 21 && matches!(payload[0], 0x00 | 0x05))
}

/// A SegWit address (`bc1...`), Bech32 or Bech32m with a valid checksum.
pub fn bech32_address(text: &str) -> bool {
    matches!(bech32::decode(text), Ok((hrp, data, _)) if hrp == "bc" && !data.is_empty())
}

/// An Ethereum address (`0x` and 40 hex digits). Mixed case must follow EIP-55; all one case
/// carries no checksum (reported with less confidence by the caller).
pub fn eip55(hex: &str) -> Option<bool> {
    let has_upper = hex.bytes().any(|b| b.is_ascii_uppercase());
    let has_lower = hex.bytes().any(|b| b.is_ascii_lowercase());
    if !(has_upper && has_lower) {
        return None;
    }
    let hash = Keccak256::digest(hex.to_ascii_lowercase().as_bytes());
    Some(hex.bytes().enumerate().all(|(i, c)| {
        if !c.is_ascii_alphabetic() {
            return true;
        }
        let nibble = (hash[i / 2] >> if i % 2 == 0 { 4 } else { 0 }) & 0x0f;
        c.is_ascii_uppercase() == (nibble >= 8)
    }))
}

/// Shannon entropy in bits per character.
pub fn entropy(text: &[u8]) -> f64 {
    if text.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for &b in text {
        counts[b as usize] += 1;
    }
    let len = text.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / len;
            -p * p.log2()
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn luhn_and_card_prefixes() {
        assert!(luhn(b"4111111111111111") && card_prefix(b"4111111111111111"));
        assert!(luhn(b"378282246310005") && card_prefix(b"378282246310005"));
        assert!(luhn(b"5555555555554444") && card_prefix(b"5555555555554444"));
        assert!(luhn(b"2223003122003222") && card_prefix(b"2223003122003222"));
        assert!(luhn(b"6011111111111117") && card_prefix(b"6011111111111117"));
        assert!(!luhn(b"4111111111111112"), "one digit off");
        assert!(luhn(b"1234567812345670") && !card_prefix(b"1234567812345670"), "Luhn alone is not a card");
    }

    #[test]
    fn iban_mod_97_and_lengths() {
        assert!(iban(b"GB82WEST12345698765432"));
        assert!(iban(b"DE89370400440532013000"));
        assert!(iban(b"FR1420041010050500013M02606"));
        assert!(!iban(b"GB82WEST12345698765433"), "check digits fail");
        assert!(!iban(b"DE8937040044053201300"), "too short for DE");
        assert!(!iban(b"ZZ89370400440532013000"), "no such country");
    }

    #[test]
    fn ssn_ranges_never_issued() {
        assert!(ssn(123, 45, 6789));
        for (a, g, s) in [(0, 45, 6789), (666, 45, 6789), (900, 45, 6789), (123, 0, 6789), (123, 45, 0), (78, 5, 1120)]
        {
            assert!(!ssn(a, g, s), "{a}-{g}-{s}");
        }
    }

    #[test]
    fn npi_and_dea_check_digits() {
        assert!(npi(b"1234567893"));
        assert!(!npi(b"1234567894"));
        assert!(dea(b"AB1234563"));
        assert!(!dea(b"AB1234564"));
        assert!(!dea(b"IB1234563"), "I is not a registrant type");
    }

    #[test]
    fn wallet_checksums() {
        assert!(base58check("1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2"));
        assert!(base58check("3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy"));
        assert!(!base58check("1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN3"));
        assert!(bech32_address("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"));
        assert!(!bech32_address("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5"));
        assert_eq!(eip55("5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"), Some(true));
        assert_eq!(eip55("5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD"), Some(false));
        assert_eq!(eip55("5aaeb6053f3e94c9b9a09f33669435e7ef1beaed"), None);
    }

    #[test]
    fn entropy_separates_keys_from_words() {
        assert!(entropy(b"aaaaaaaaaaaaaaaa") < 0.1);
        assert!(entropy(b"password_password") < 3.2);
        assert!(entropy(b"Zq81xWm3kP0vT7aLs9dQe4Rb") > 4.0);
    }
}
