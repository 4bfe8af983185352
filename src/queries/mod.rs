//! The read side (DESIGN §3): one function per screen or resource, returning plain data with
//! the access policy applied once, so that a page and the API showing the same thing read it
//! through the same function and cannot disagree.
//!
//! A query checks who may read (and what part), loads what the screen needs in a bounded
//! number of queries, and derives the figures (totals, plan against actual, overdue) from
//! the domain rules. It renders nothing and speaks no language: messages stay
//! [`crate::i18n::Msg`], labels stay keys, and charts and number formats belong to the page or
//! the API that shows the data. The types are what the API serializes and what the templates
//! draw from, and they never embed database rows. All of it is blocking; handlers call it
//! through `db::run` and render after the connection is back in the pool.

pub mod audit;
pub mod cache;
pub mod changes;
pub mod dashboard;
pub mod decision;
pub mod evaluations;
pub mod messages;
pub mod notice;
pub mod orgs;
pub mod projects;
pub mod proposals;
pub mod reviews;
pub mod rosters;
pub mod rounds;
pub mod tasks;
pub mod verify;
pub mod visits;
