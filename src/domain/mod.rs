//! Pure domain rules: no HTTP, no SQL.

pub mod account;
pub mod org;
pub mod uscc;
