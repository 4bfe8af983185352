//! One-time email tokens (verify email, accept invitation, reset password). Only hashes
//! are stored.

use chrono::Duration;
use diesel::prelude::*;

use super::schema::tokens;
use super::{now, DbConn};
use crate::auth::{hash_token, random_token};
use crate::error::AppError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    VerifyEmail,
    Invite,
    ResetPassword,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::VerifyEmail => "verify_email",
            Purpose::Invite => "invite",
            Purpose::ResetPassword => "reset_password",
        }
    }
    pub fn ttl(self) -> Duration {
        match self {
            Purpose::VerifyEmail => Duration::days(3),
            Purpose::Invite => Duration::days(7),
            Purpose::ResetPassword => Duration::hours(2),
        }
    }
}

/// Creates a token (voiding the user's earlier unused ones of the same purpose) and returns
/// the raw value for the email link.
pub fn create(conn: &mut DbConn, purpose: Purpose, user_id: i64) -> Result<String, AppError> {
    let at = now();
    diesel::update(
        tokens::table
            .filter(tokens::user_id.eq(user_id))
            .filter(tokens::purpose.eq(purpose.as_str()))
            .filter(tokens::used_at.is_null()),
    )
    .set(tokens::used_at.eq(Some(at)))
    .execute(conn)?;
    let raw = random_token();
    diesel::insert_into(tokens::table)
        .values((
            tokens::purpose.eq(purpose.as_str()),
            tokens::token_hash.eq(hash_token(&raw)),
            tokens::user_id.eq(user_id),
            tokens::expires_at.eq(at + purpose.ttl()),
            tokens::created_at.eq(at),
        ))
        .execute(conn)?;
    Ok(raw)
}

/// The user a live token belongs to, without using it up.
pub fn peek(conn: &mut DbConn, purpose: Purpose, raw: &str) -> Result<i64, AppError> {
    let row: Option<(i64, i64)> = tokens::table
        .filter(tokens::token_hash.eq(hash_token(raw.trim())))
        .filter(tokens::purpose.eq(purpose.as_str()))
        .filter(tokens::used_at.is_null())
        .filter(tokens::expires_at.gt(now()))
        .select((tokens::id, tokens::user_id))
        .first(conn)
        .optional()?;
    row.map(|(_, user)| user)
        .ok_or_else(|| AppError::bad_request("error.token_invalid"))
}

/// Uses the token up and returns its user; an unknown, used or expired token is a 400.
pub fn consume(conn: &mut DbConn, purpose: Purpose, raw: &str) -> Result<i64, AppError> {
    let user = peek(conn, purpose, raw)?;
    diesel::update(tokens::table.filter(tokens::token_hash.eq(hash_token(raw.trim()))))
        .set(tokens::used_at.eq(Some(now())))
        .execute(conn)?;
    Ok(user)
}
