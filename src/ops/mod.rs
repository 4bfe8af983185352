//! One function per state change, shared by the pages and the API: validate, ask the
//! policy, then one transaction holding the change, its audit entry and its emails.
//! All of it is blocking; handlers call it through `db::run`.

pub mod accounts;
pub mod award;
pub mod dashboard;
pub mod decision;
pub mod evaluation;
pub mod execution;
pub mod orgs;
pub mod proposals;
pub mod renewal;
pub mod reviews;
pub mod rounds;
pub mod screening;
