//! Authentication: password hashes, session tokens, one-time email tokens, CSRF, and the
//! policy that decides who may do what.

pub mod csrf;
pub mod extract;
pub mod policy;
pub mod session_cache;
pub mod sessions;

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::Argon2;
use chrono::NaiveDateTime;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::domain::account::Role;

/// 32 random bytes, URL-safe base64: for email links, CSRF tokens and generated secrets.
pub fn random_token() -> String {
    use base64::Engine;
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Tokens are stored only as their SHA-256, so a database leak does not leak live links.
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// An argon2id PHC string.
pub fn hash_password(password: &str) -> anyhow::Result<String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("hashing failed: {e}"))
}

pub fn verify_password(password: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// A hash to verify against when the account does not exist, so that timing does not tell
/// which emails have accounts.
pub fn dummy_hash() -> &'static str {
    static H: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    H.get_or_init(|| hash_password("not-a-real-password-0").expect("argon2 works"))
}

/// A one-time password printed for the first admin.
pub fn one_time_password() -> String {
    let t = random_token();
    format!("yc-{}", &t[..20])
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Claims {
    /// User id.
    pub sub: String,
    /// The user's token version when issued; bumping it revokes the token.
    pub ver: i32,
    pub role: Role,
    pub iat: i64,
    pub exp: i64,
    /// The server-side session this token belongs to (`sessions.id`).
    pub jti: String,
}

pub struct Jwt {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    pub ttl_secs: i64,
}

impl Jwt {
    pub fn new(secret: &str, ttl_hours: i64) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        // The library would check `exp` against the system time; `verify` checks it against
        // the app's clock instead.
        validation.validate_exp = false;
        validation.leeway = 0;
        validation.set_required_spec_claims(&["exp", "sub"]);
        Jwt {
            encoding: EncodingKey::from_secret(secret.as_bytes()),
            decoding: DecodingKey::from_secret(secret.as_bytes()),
            validation,
            ttl_secs: ttl_hours * 3600,
        }
    }

    /// Signs a token for the session `jti`, issued at `now` (UTC); returns it with its expiry.
    pub fn issue(
        &self,
        user_id: i64,
        ver: i32,
        role: Role,
        jti: &str,
        now: NaiveDateTime,
    ) -> anyhow::Result<(String, NaiveDateTime)> {
        let now = now.and_utc().timestamp();
        let claims = Claims {
            sub: user_id.to_string(),
            ver,
            role,
            iat: now,
            exp: now + self.ttl_secs,
            jti: jti.to_string(),
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)?;
        let exp = chrono::DateTime::from_timestamp(claims.exp, 0)
            .expect("valid time")
            .naive_utc();
        Ok((token, exp))
    }

    /// The claims of a well-signed HS256 token that has not expired at `now` (UTC); anything
    /// else is `None`.
    pub fn verify(&self, token: &str, now: NaiveDateTime) -> Option<Claims> {
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .ok()
            .map(|d| d.claims)
            .filter(|c| now.and_utc().timestamp() < c.exp)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use chrono::Utc;

    fn now() -> NaiveDateTime {
        Utc::now().naive_utc()
    }

    const SECRET: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn passwords_hash_and_verify() {
        let h = hash_password("湖畔-sunrise-Teapot-42").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("湖畔-sunrise-Teapot-42", &h));
        assert!(!verify_password("wrong", &h));
        assert!(!verify_password("x", "not a hash"));
    }

    #[test]
    fn tokens_round_trip() {
        let jwt = Jwt::new(SECRET, 1);
        let (t, _) = jwt.issue(7, 3, Role::Ngo, "session-1", now()).unwrap();
        let c = jwt.verify(&t, now()).unwrap();
        assert_eq!(
            (c.sub.as_str(), c.ver, c.role, c.jti.as_str()),
            ("7", 3, Role::Ngo, "session-1")
        );
    }

    #[test]
    fn a_token_expires_by_the_time_it_is_verified_at() {
        let jwt = Jwt::new(SECRET, 1);
        let issued = now();
        let (t, exp) = jwt.issue(7, 3, Role::Ngo, "s", issued).unwrap();
        assert!(jwt.verify(&t, exp - chrono::Duration::seconds(1)).is_some());
        assert!(jwt.verify(&t, exp).is_none(), "expired at its expiry");
        assert!(jwt
            .verify(&t, issued + chrono::Duration::days(11))
            .is_none());
    }

    #[test]
    fn wrong_key_expired_and_unsigned_tokens_are_refused() {
        let jwt = Jwt::new(SECRET, 1);
        let (t, _) = Jwt::new("another-secret-another-secret-xx", 1)
            .issue(7, 0, Role::Admin, "s", now())
            .unwrap();
        assert!(jwt.verify(&t, now()).is_none(), "wrong key");

        let expired = Jwt {
            ttl_secs: -1,
            ..Jwt::new(SECRET, 1)
        };
        let (t, _) = expired.issue(7, 0, Role::Admin, "s", now()).unwrap();
        assert!(
            jwt.verify(&t, now()).is_none(),
            "expired by one second, no leeway"
        );

        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let header = b64.encode(r#"{"alg":"none","typ":"JWT"}"#);
        let exp = Utc::now().timestamp() + 3600;
        let body = b64.encode(format!(
            r#"{{"sub":"1","ver":0,"role":"admin","iat":0,"exp":{exp},"jti":"s"}}"#
        ));
        assert!(
            jwt.verify(&format!("{header}.{body}."), now()).is_none(),
            "alg none"
        );

        let (t, _) = jwt.issue(7, 0, Role::Ngo, "s", now()).unwrap();
        let parts: Vec<&str> = t.split('.').collect();
        let forged = b64.encode(format!(
            r#"{{"sub":"7","ver":0,"role":"admin","iat":0,"exp":{exp},"jti":"s"}}"#
        ));
        assert!(
            jwt.verify(&format!("{}.{}.{}", parts[0], forged, parts[2]), now())
                .is_none(),
            "tampered body"
        );
    }

    #[test]
    fn token_hashes_are_stable_hex() {
        assert_eq!(hash_token("abc").len(), 64);
        assert_ne!(random_token(), random_token());
    }
}
