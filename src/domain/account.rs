//! Accounts: roles, statuses, and the rules for emails, names and passwords.

use super::limits;
use crate::error::FieldErrors;
use crate::i18n::Msg;

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Officer,
    Ngo,
    Reviewer,
    Evaluator,
    /// A supervisor (督导员) a bureau's officer invited: visits the projects assigned to them
    /// and reads only those.
    Supervisor,
}

impl Role {
    pub const ALL: [Role; 6] = [
        Role::Admin,
        Role::Officer,
        Role::Ngo,
        Role::Reviewer,
        Role::Evaluator,
        Role::Supervisor,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Officer => "officer",
            Role::Ngo => "ngo",
            Role::Reviewer => "reviewer",
            Role::Evaluator => "evaluator",
            Role::Supervisor => "supervisor",
        }
    }
    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s.trim())
    }
    pub fn label_key(self) -> &'static str {
        match self {
            Role::Admin => "role.admin",
            Role::Officer => "role.officer",
            Role::Ngo => "role.ngo",
            Role::Reviewer => "role.reviewer",
            Role::Evaluator => "role.evaluator",
            Role::Supervisor => "role.supervisor",
        }
    }
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum UserStatus {
    /// Signed up or invited; the email link has not been followed yet.
    Pending,
    Active,
    Disabled,
}

impl UserStatus {
    pub const ALL: [UserStatus; 3] = [
        UserStatus::Pending,
        UserStatus::Active,
        UserStatus::Disabled,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            UserStatus::Pending => "pending",
            UserStatus::Active => "active",
            UserStatus::Disabled => "disabled",
        }
    }
    pub fn parse(s: &str) -> Option<UserStatus> {
        match s.trim() {
            "pending" => Some(UserStatus::Pending),
            "active" => Some(UserStatus::Active),
            "disabled" => Some(UserStatus::Disabled),
            _ => None,
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::fmt::Display for UserStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A normalised (trimmed, lower-cased) email address.
pub fn parse_email(input: &str) -> Result<String, Msg> {
    let s = input.trim().to_lowercase();
    if s.is_empty() {
        return Err(Msg::new("field.required"));
    }
    if s.len() > limits::EMAIL || !email_address::EmailAddress::is_valid(&s) || !s.contains('.') {
        return Err(Msg::new("field.email_invalid"));
    }
    Ok(s)
}

/// A display name: 1–60 characters after trimming.
pub fn parse_name(input: &str) -> Result<String, Msg> {
    let s = input.trim();
    if s.is_empty() {
        return Err(Msg::new("field.required"));
    }
    if limits::char_len(s) > limits::PERSON_NAME {
        return Err(limits::too_long(limits::PERSON_NAME));
    }
    Ok(s.to_string())
}

pub const MIN_PASSWORD_CHARS: usize = 10;

/// Words anyone can guess about this site: the product's name in both scripts and what it
/// is. Every password check counts them as known words, with the bureau names of the
/// installation and the person's own email (and its local part) and name.
pub const SITE_WORDS: &[&str] = &[
    "益创",
    "yichuang",
    "Yichuang",
    "公益创投",
    "gongyichuangtou",
    "公益",
    "创投",
];

/// Password rule: at least 10 characters, at most 128, and not guessable (zxcvbn score ≥ 3,
/// counting `SITE_WORDS` and `known` — the person's email and name, the bureau names — as
/// known words; an email also lends its local part).
pub fn check_password(password: &str, known: &[&str]) -> Result<(), Msg> {
    let n = password.chars().count();
    if n < MIN_PASSWORD_CHARS {
        return Err(Msg::new("field.password_short").arg("min", MIN_PASSWORD_CHARS));
    }
    if n > 128 {
        return Err(Msg::new("field.too_long").arg("max", 128));
    }
    let mut inputs: Vec<&str> = SITE_WORDS.to_vec();
    for word in known.iter().map(|w| w.trim()).filter(|w| !w.is_empty()) {
        inputs.push(word);
        if let Some((local, _)) = word.split_once('@') {
            inputs.push(local);
        }
    }
    let score = zxcvbn::zxcvbn(password, &inputs).score();
    if (score as u8) < 3 || only_known_words(password, &inputs) {
        return Err(Msg::new("field.password_weak"));
    }
    Ok(())
}

/// The password is nothing but known words (any case, repeated) with digits and punctuation,
/// like `益创益创2026!!`: it holds a known word, and no letter of its own is left once the
/// words are taken out.
fn only_known_words(password: &str, words: &[&str]) -> bool {
    let mut words: Vec<String> = words
        .iter()
        .map(|w| w.to_lowercase())
        .filter(|w| w.chars().count() >= 2)
        .collect();
    words.sort_by_key(|w| std::cmp::Reverse(w.len()));
    let lower = password.to_lowercase();
    let mut rest = lower.clone();
    for w in &words {
        rest = rest.replace(w.as_str(), "");
    }
    rest != lower && !rest.chars().any(char::is_alphabetic)
}

/// Validated sign-up / invitation-acceptance input.
pub struct NewAccount {
    pub email: String,
    pub name: String,
}

/// `site_words`: the installation's own words (bureau names) for the password check.
pub fn validate_signup(
    email: &str,
    name: &str,
    password: &str,
    site_words: &[String],
) -> Result<NewAccount, FieldErrors> {
    let mut errors = FieldErrors::new();
    let email = parse_email(email).map_err(|m| errors.add("email", m)).ok();
    let name = parse_name(name).map_err(|m| errors.add("name", m)).ok();
    let mut known = vec![
        email.as_deref().unwrap_or(""),
        name.as_deref().unwrap_or(""),
    ];
    known.extend(site_words.iter().map(String::as_str));
    if let Err(m) = check_password(password, &known) {
        errors.add("password", m);
    }
    match (email, name) {
        (Some(email), Some(name)) if errors.is_empty() => Ok(NewAccount { email, name }),
        _ => Err(errors),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(
            parse_email("  Li.Ming@Example.ORG ").unwrap(),
            "li.ming@example.org"
        );
        assert!(parse_email("not-an-email").is_err());
        assert!(parse_email("a@b").is_err());
        assert!(parse_email("").is_err());
    }

    #[test]
    fn weak_passwords_are_refused() {
        assert!(check_password("short", &[]).is_err());
        assert!(check_password("password123", &[]).is_err());
        assert!(check_password("liming@example.org", &["liming@example.org"]).is_err());
        assert!(check_password("湖畔-sunrise-Teapot-42", &[]).is_ok());
    }

    #[test]
    fn the_site_and_the_person_are_known_words() {
        for weak in [
            "Yichuang2026!",
            "yichuang@2026",
            "YICHUANG-2026",
            "益创益创2026!!",
            "公益创投2026!!",
            "gongyichuangtou2026",
        ] {
            assert!(check_password(weak, &[]).is_err(), "{weak}");
        }
        let bureau = "姑苏区民政局";
        assert!(check_password("姑苏区民政局2026", &[bureau]).is_err());
        assert!(check_password("Qorvexlintu#2026", &[]).is_ok());
        assert!(check_password("Qorvexlintu#2026", &["qorvexlintu@example.org"]).is_err());
        assert!(check_password("Qorvexlintu#2026", &["Qorvexlintu"]).is_err());
        assert!(check_password("8273649182736451", &[]).is_ok());
        assert!(check_password("湖畔-sunrise-Teapot-42", &[bureau, "li@example.org"]).is_ok());
    }

    #[test]
    fn signup_reports_every_field() {
        let e = validate_signup("bad", "", "123", &[]).err().unwrap();
        assert!(e.has("email") && e.has("name") && e.has("password"));
    }

    #[test]
    fn roles_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        assert_eq!(Role::parse("root"), None);
    }
}
