//! The read side: one function per screen or resource, returning plain data with the policy
//! applied once, used by the pages and the API alike. No rendering and no language in here:
//! the types are what the API serializes and what the templates and charts draw from, and
//! they never embed database rows. All of it is blocking; handlers call it through `db::run`
//! and render after the connection is back in the pool.

pub mod dashboard;
pub mod decision;
