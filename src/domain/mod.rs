//! Pure domain rules: no HTTP, no SQL.

pub mod account;
pub mod money;
pub mod org;
pub mod proposal;
pub mod round;
pub mod uscc;
