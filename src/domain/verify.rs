//! Verification codes of issued documents (立项通知书, 项目协议书, 结项证明): a short code
//! printed on the document and drawn as a QR code of its verification link, so that a bank,
//! a donor or a later round can check a paper copy against the public page `/verify/{code}`.
//!
//! A code is 12 characters of Crockford's base32 (60 random bits: guessing one is hopeless,
//! and the public page is rate-limited anyway), shown in groups of four (`7KQ2-M9XD-4HRT`).
//! Reading one back forgives case, spaces and dashes, and the letters people confuse with
//! digits (O → 0, I and L → 1), and refuses anything longer than a code could be.

/// Crockford's base32 alphabet: no I, L, O or U.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// Characters in a code.
pub const CODE_LEN: usize = 12;

/// The most characters of input read as a code (with its dashes and spaces); anything longer
/// is refused unread.
pub const INPUT_MAX: usize = 32;

/// A new code from 60 random bits (the low 60 of `random`).
pub fn code_from(random: u64) -> String {
    (0..CODE_LEN)
        .map(|i| ALPHABET[((random >> (5 * i)) & 31) as usize] as char)
        .collect()
}

/// A new random code.
pub fn new_code() -> String {
    code_from(rand::random())
}

/// The code as typed or scanned, in its stored form, if it can be one.
pub fn parse(input: &str) -> Option<String> {
    if input.len() > INPUT_MAX {
        return None;
    }
    let code: String = input
        .chars()
        .filter(|c| *c != '-' && !c.is_whitespace())
        .map(|c| match c.to_ascii_uppercase() {
            'O' => '0',
            'I' | 'L' => '1',
            c => c,
        })
        .collect();
    (code.len() == CODE_LEN && code.bytes().all(|b| ALPHABET.contains(&b))).then_some(code)
}

/// The code as printed: groups of four joined by dashes.
pub fn display(code: &str) -> String {
    code.as_bytes()
        .chunks(4)
        .map(|g| String::from_utf8_lossy(g).into_owned())
        .collect::<Vec<_>>()
        .join("-")
}

/// The verification page of a code under the site's base URL.
pub fn url(base_url: &str, code: &str) -> String {
    format!("{}/verify/{code}", base_url.trim_end_matches('/'))
}

/// What a verification page says of a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Standing {
    /// The latest version of the document of a project in good standing.
    Valid,
    /// A later version of the document was issued (a completion certificate re-issued after a
    /// payment); this one no longer states the current facts.
    Superseded,
    /// The project was terminated: its award notice and agreement no longer hold.
    Revoked,
}

impl Standing {
    /// A document's standing: revoked with its project terminated, superseded when a later
    /// version exists.
    pub fn of(version: i32, latest_version: i32, project_terminated: bool) -> Standing {
        if project_terminated {
            Standing::Revoked
        } else if version < latest_version {
            Standing::Superseded
        } else {
            Standing::Valid
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Standing::Valid => "valid",
            Standing::Superseded => "superseded",
            Standing::Revoked => "revoked",
        }
    }

    pub fn label_key(self) -> &'static str {
        match self {
            Standing::Valid => "verify.valid",
            Standing::Superseded => "verify.superseded",
            Standing::Revoked => "verify.revoked",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_is_twelve_crockford_characters_read_back_forgivingly() {
        let code = code_from(0x0fed_cba9_8765_4321);
        assert_eq!(code.len(), CODE_LEN);
        assert_eq!(parse(&code).as_deref(), Some(code.as_str()));
        assert_eq!(parse(&display(&code)).as_deref(), Some(code.as_str()));
        assert_eq!(
            parse(&format!(" {} ", display(&code).to_lowercase())).as_deref(),
            Some(code.as_str())
        );
        assert_eq!(display("7KQ2M9XD4HRT"), "7KQ2-M9XD-4HRT");
        assert_eq!(parse("7kq2-m9xd-4hrt").as_deref(), Some("7KQ2M9XD4HRT"));
        assert_eq!(parse("OIL2M9XD4HRT").as_deref(), Some("0112M9XD4HRT"));
        for bad in [
            "",
            "7KQ2M9XD4HR",
            "7KQ2M9XD4HRTX",
            "7KQ2M9XD4HRU",
            "益创益创",
            "../../etc",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
        assert_eq!(parse(&"7".repeat(10_000)), None);
        assert_ne!(new_code(), new_code());
    }

    #[test]
    fn a_terminated_project_revokes_and_a_later_version_supersedes() {
        assert_eq!(Standing::of(1, 1, false), Standing::Valid);
        assert_eq!(Standing::of(1, 2, false), Standing::Superseded);
        assert_eq!(Standing::of(2, 2, true), Standing::Revoked);
        assert_eq!(
            url("https://yc.example/", "ABC"),
            "https://yc.example/verify/ABC"
        );
    }
}
