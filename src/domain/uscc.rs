//! 统一社会信用代码 (unified social credit code), GB 32100-2015.

use std::fmt;

const ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
const WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UsccError {
    /// Not 18 characters.
    Length,
    /// A character outside `0-9A-Y` less I, O, S, V, Z.
    Character,
    /// The 18th character does not match the check computed from the first 17.
    CheckCharacter,
}

impl UsccError {
    pub fn key(self) -> &'static str {
        match self {
            UsccError::Length => "field.uscc_length",
            UsccError::Character => "field.uscc_character",
            UsccError::CheckCharacter => "field.uscc_check",
        }
    }
}

/// A code with a valid shape (18 characters of the alphabet). Whether its check character
/// matches is kept separately: some early pilot codes fail the check yet are legal.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Uscc(String);

fn value(c: u8) -> Option<u32> {
    ALPHABET.iter().position(|&a| a == c).map(|p| p as u32)
}

/// The check character for the first 17 characters.
pub fn check_char(first17: &[u8]) -> Option<char> {
    let mut sum = 0u32;
    for (c, w) in first17.iter().zip(WEIGHTS) {
        sum += value(*c)? * w;
    }
    let check = (31 - sum % 31) % 31;
    Some(ALPHABET[check as usize] as char)
}

impl Uscc {
    /// Accepts a code of the right shape and check character (spaces removed, upper-cased).
    pub fn parse(input: &str) -> Result<Uscc, UsccError> {
        let u = Uscc::parse_shape(input)?;
        if u.check_ok() {
            Ok(u)
        } else {
            Err(UsccError::CheckCharacter)
        }
    }

    /// Accepts any code of the right shape, whatever its check character.
    pub fn parse_shape(input: &str) -> Result<Uscc, UsccError> {
        let s: String = input
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_uppercase();
        if s.chars().count() != 18 {
            return Err(UsccError::Length);
        }
        if !s.bytes().all(|b| value(b).is_some()) {
            return Err(UsccError::Character);
        }
        Ok(Uscc(s))
    }

    pub fn check_ok(&self) -> bool {
        let b = self.0.as_bytes();
        check_char(&b[..17]) == Some(b[17] as char)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Position 1: the registering department (`5` = 民政, civil affairs).
    pub fn department(&self) -> char {
        self.0.as_bytes()[0] as char
    }
}

impl fmt::Display for Uscc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_valid_code_passes() {
        assert!(Uscc::parse("91350100M000100Y43").is_ok());
        assert!(
            Uscc::parse(" 91350100m000100y43 ").is_ok(),
            "spaces and case are normalised"
        );
    }

    #[test]
    fn wrong_check_character_fails() {
        assert_eq!(Uscc::parse("91350100M000100Y4Z"), Err(UsccError::Character));
        assert_eq!(
            Uscc::parse("91350100M000100Y44"),
            Err(UsccError::CheckCharacter)
        );
        assert!(Uscc::parse_shape("91350100M000100Y44").is_ok());
    }

    #[test]
    fn wrong_length_and_letters_fail() {
        assert_eq!(Uscc::parse("91350100M000100Y4"), Err(UsccError::Length));
        assert_eq!(Uscc::parse("91350100M000100Y433"), Err(UsccError::Length));
        assert_eq!(Uscc::parse("91350100I000100Y43"), Err(UsccError::Character));
        assert_eq!(Uscc::parse("9135010OM000100Y43"), Err(UsccError::Character));
    }

    fn body() -> impl Strategy<Value = String> {
        proptest::collection::vec(0usize..31, 17)
            .prop_map(|v| v.into_iter().map(|i| ALPHABET[i] as char).collect())
    }

    proptest! {
        #[test]
        fn a_computed_check_character_always_validates(b in body()) {
            let c = check_char(b.as_bytes()).unwrap();
            let code = format!("{b}{c}");
            prop_assert!(Uscc::parse(&code).is_ok());
        }

        #[test]
        fn any_other_check_character_is_rejected(b in body(), k in 0usize..31) {
            let c = check_char(b.as_bytes()).unwrap();
            let other = ALPHABET[k] as char;
            prop_assume!(other != c);
            prop_assert_eq!(Uscc::parse(&format!("{b}{other}")), Err(UsccError::CheckCharacter));
        }

        #[test]
        fn a_single_changed_character_is_detected(b in body(), pos in 0usize..17, k in 1usize..31) {
            let c = check_char(b.as_bytes()).unwrap();
            let mut bytes = b.into_bytes();
            let old = value(bytes[pos]).unwrap() as usize;
            bytes[pos] = ALPHABET[(old + k) % 31];
            let changed = String::from_utf8(bytes).unwrap();
            prop_assert_eq!(Uscc::parse(&format!("{changed}{c}")), Err(UsccError::CheckCharacter));
        }
    }
}
