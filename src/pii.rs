//! Personal information of beneficiaries (issue 15, PIPL practice): identity numbers (a
//! mobile phone number or a resident ID card number) are checked and normalised, stored only
//! encrypted (AES-256-GCM under the `pii_key` setting, a secret kept outside the database),
//! compared through a keyed hash (HMAC-SHA256 under a key derived from the same secret, so equal
//! numbers match across projects without anyone reading them), and shown masked
//! (`138****5678`, `3201**********1234`) to everyone but the evaluator calling that person.

use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// What kind of identity number a roster line carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdKind {
    /// 11-digit mainland mobile number.
    Phone,
    /// 18-character resident identity card number (GB 11643-1999).
    IdCard,
}

impl IdKind {
    pub fn as_str(self) -> &'static str {
        match self {
            IdKind::Phone => "phone",
            IdKind::IdCard => "id_card",
        }
    }

    pub fn parse(s: &str) -> Option<IdKind> {
        match s {
            "phone" => Some(IdKind::Phone),
            "id_card" => Some(IdKind::IdCard),
            _ => None,
        }
    }
}

/// Why a typed identity number was refused (a field error's message key).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdError {
    /// Not 11 digits starting with 1.
    BadPhone,
    /// Not 17 digits and a check character, or the check character is wrong.
    BadIdCard,
}

impl IdError {
    pub fn key(self) -> &'static str {
        match self {
            IdError::BadPhone => "field.mobile_invalid",
            IdError::BadIdCard => "field.id_card_invalid",
        }
    }
}

/// The number in its one stored form: spaces and dashes dropped, a phone's `+86`/`86` prefix
/// dropped, an ID card's check character upper-cased; refused if it is not well formed.
pub fn normalize(kind: IdKind, raw: &str) -> Result<String, IdError> {
    let s: String = raw
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect();
    match kind {
        IdKind::Phone => {
            let s = s
                .strip_prefix("+86")
                .or_else(|| s.strip_prefix("0086"))
                .unwrap_or(&s);
            let s = if s.len() == 13 && s.starts_with("86") {
                &s[2..]
            } else {
                s
            };
            if s.len() == 11 && s.starts_with('1') && s.bytes().all(|b| b.is_ascii_digit()) {
                Ok(s.to_string())
            } else {
                Err(IdError::BadPhone)
            }
        }
        IdKind::IdCard => {
            let s = s.to_ascii_uppercase();
            let b = s.as_bytes();
            if b.len() != 18 || !b[..17].iter().all(u8::is_ascii_digit) {
                return Err(IdError::BadIdCard);
            }
            if id_card_check_char(&b[..17]) != b[17] {
                return Err(IdError::BadIdCard);
            }
            Ok(s)
        }
    }
}

/// The check character of an 18-character ID number (ISO 7064 MOD 11-2).
fn id_card_check_char(digits: &[u8]) -> u8 {
    const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = digits
        .iter()
        .zip(W)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    b"10X98765432"[(sum % 11) as usize]
}

/// The masked form everyone but the sampling evaluator sees: a phone keeps its first 3 and
/// last 4 digits (`138****5678`), an ID card its first 4 and last 4 (`3201**********1234`).
pub fn mask(kind: IdKind, normalized: &str) -> String {
    let (head, tail) = match kind {
        IdKind::Phone => (3, 4),
        IdKind::IdCard => (4, 4),
    };
    let chars: Vec<char> = normalized.chars().collect();
    if chars.len() <= head + tail {
        return "*".repeat(chars.len());
    }
    let mut out: String = chars[..head].iter().collect();
    out.push_str(&"*".repeat(chars.len() - head - tail));
    out.extend(&chars[chars.len() - tail..]);
    out
}

/// A name shown masked in lists beyond the organization and the sampling evaluator: the first
/// character kept (`张*`, `欧阳**`→`欧**`).
pub fn mask_name(name: &str) -> String {
    let mut it = name.chars();
    match it.next() {
        None => String::new(),
        Some(first) => {
            let rest = it.count().max(1);
            format!("{first}{}", "*".repeat(rest))
        }
    }
}

/// A sealed value that could not be opened: the key changed or the stored text was altered.
#[derive(Debug, thiserror::Error)]
#[error("personal data could not be decrypted (wrong pii_key or altered value)")]
pub struct OpenError;

/// The keys derived from the `pii_key` setting.
#[derive(Clone)]
pub struct PiiKey {
    enc: [u8; 32],
    mac: [u8; 32],
}

impl std::fmt::Debug for PiiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PiiKey(***)")
    }
}

const SEALED_PREFIX: &str = "v1:";

impl PiiKey {
    /// Two independent keys from one secret, so the hash key never doubles as the cipher key.
    pub fn new(secret: &str) -> PiiKey {
        let derive = |label: &[u8]| -> [u8; 32] {
            let mut m = <HmacSha256 as Mac>::new_from_slice(secret.as_bytes())
                .expect("HMAC takes any key length");
            m.update(label);
            m.finalize().into_bytes().into()
        };
        PiiKey {
            enc: derive(b"yichuang pii encryption v1"),
            mac: derive(b"yichuang pii hash v1"),
        }
    }

    /// `v1:` + base64(nonce ‖ ciphertext ‖ tag); a fresh random nonce each time, so equal
    /// numbers do not look equal in the database (the keyed hash is for that).
    pub fn seal(&self, plain: &str) -> String {
        let cipher = Aes256Gcm::new(&Key::<Aes256Gcm>::from(self.enc));
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let ct = cipher
            .encrypt(&nonce, plain.as_bytes())
            .expect("AES-GCM encryption of a short value cannot fail");
        let mut bytes = nonce.to_vec();
        bytes.extend_from_slice(&ct);
        format!(
            "{SEALED_PREFIX}{}",
            base64::engine::general_purpose::STANDARD_NO_PAD.encode(bytes)
        )
    }

    pub fn open(&self, sealed: &str) -> Result<String, OpenError> {
        let body = sealed.strip_prefix(SEALED_PREFIX).ok_or(OpenError)?;
        let bytes = base64::engine::general_purpose::STANDARD_NO_PAD
            .decode(body)
            .map_err(|_| OpenError)?;
        if bytes.len() < 12 + 16 {
            return Err(OpenError);
        }
        let (nonce, ct) = bytes.split_at(12);
        let nonce: [u8; 12] = nonce.try_into().map_err(|_| OpenError)?;
        let cipher = Aes256Gcm::new(&Key::<Aes256Gcm>::from(self.enc));
        let plain = cipher
            .decrypt(&Nonce::from(nonce), ct)
            .map_err(|_| OpenError)?;
        String::from_utf8(plain).map_err(|_| OpenError)
    }

    /// The keyed hash two roster lines are compared by (hex). The kind is part of the input,
    /// so a phone number never matches an ID number.
    pub fn hash(&self, kind: IdKind, normalized: &str) -> String {
        let mut m =
            <HmacSha256 as Mac>::new_from_slice(&self.mac).expect("HMAC takes any key length");
        m.update(kind.as_str().as_bytes());
        m.update(b"\0");
        m.update(normalized.as_bytes());
        hex::encode(m.finalize().into_bytes())
    }
}

/// One identity number made ready to store: its kind, sealed value, keyed hash and mask.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredId {
    pub kind: IdKind,
    pub cipher: String,
    pub hash: String,
    pub masked: String,
}

impl PiiKey {
    /// Check, normalise, seal, hash and mask a typed number in one step.
    pub fn protect(&self, kind: IdKind, raw: &str) -> Result<StoredId, IdError> {
        let n = normalize(kind, raw)?;
        Ok(StoredId {
            kind,
            cipher: self.seal(&n),
            hash: self.hash(kind, &n),
            masked: mask(kind, &n),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_are_normalised_or_refused() {
        assert_eq!(
            normalize(IdKind::Phone, "+86 138-1234-5678").unwrap(),
            "13812345678"
        );
        assert_eq!(
            normalize(IdKind::Phone, "8613812345678").unwrap(),
            "13812345678"
        );
        for bad in [
            "",
            "1381234567",
            "23812345678",
            "1381234567a",
            "138123456789",
        ] {
            assert_eq!(
                normalize(IdKind::Phone, bad),
                Err(IdError::BadPhone),
                "{bad}"
            );
        }
    }

    #[test]
    fn id_cards_need_the_right_check_character() {
        // 11010519491231002X is the standard's published example.
        assert_eq!(
            normalize(IdKind::IdCard, "11010519491231002x").unwrap(),
            "11010519491231002X"
        );
        assert_eq!(
            normalize(IdKind::IdCard, "110105194912310021"),
            Err(IdError::BadIdCard)
        );
        assert_eq!(
            normalize(IdKind::IdCard, "11010519491231002"),
            Err(IdError::BadIdCard)
        );
        assert_eq!(
            normalize(IdKind::IdCard, "A1010519491231002X"),
            Err(IdError::BadIdCard)
        );
    }

    #[test]
    fn masks_keep_only_the_ends() {
        assert_eq!(mask(IdKind::Phone, "13812345678"), "138****5678");
        assert_eq!(
            mask(IdKind::IdCard, "11010519491231002X"),
            "1101**********002X"
        );
        assert_eq!(mask(IdKind::Phone, "123"), "***");
        assert_eq!(mask_name("张三"), "张*");
        assert_eq!(mask_name("欧阳娜娜"), "欧***");
        assert_eq!(mask_name("李"), "李*");
        assert_eq!(mask_name(""), "");
    }

    #[test]
    fn sealed_values_open_only_under_the_same_key() {
        let k = PiiKey::new("a-secret-of-at-least-thirty-two-chars!!");
        let a = k.seal("13812345678");
        let b = k.seal("13812345678");
        assert_ne!(a, b, "a fresh nonce each time");
        assert!(!a.contains("13812345678"));
        assert_eq!(k.open(&a).unwrap(), "13812345678");
        let other = PiiKey::new("another-secret-of-at-least-thirty-two!!");
        assert!(other.open(&a).is_err());
        let mut altered = a.clone();
        altered.pop();
        altered.push(if a.ends_with('A') { 'B' } else { 'A' });
        assert!(k.open(&altered).is_err());
        assert!(k.open("13812345678").is_err());
    }

    #[test]
    fn hashes_match_equal_numbers_of_the_same_kind_only() {
        let k = PiiKey::new("a-secret-of-at-least-thirty-two-chars!!");
        let p = k.protect(IdKind::Phone, "138 1234 5678").unwrap();
        let q = k.protect(IdKind::Phone, "+8613812345678").unwrap();
        assert_eq!(p.hash, q.hash);
        assert_ne!(p.cipher, q.cipher);
        assert_eq!(p.masked, "138****5678");
        assert_ne!(p.hash, k.hash(IdKind::IdCard, "13812345678"));
        let other = PiiKey::new("another-secret-of-at-least-thirty-two!!");
        assert_ne!(p.hash, other.hash(IdKind::Phone, "13812345678"));
        assert_eq!(
            k.protect(IdKind::Phone, "12"),
            Err(IdError::BadPhone),
            "refused before anything is sealed"
        );
    }
}
