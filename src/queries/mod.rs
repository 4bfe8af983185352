//! The read side (DESIGN §3): one function per screen or resource, returning plain data with
//! the access policy applied once, so that a page and the API showing the same thing read it
//! through the same function and cannot disagree.
//!
//! A query checks who may read (and what part), loads what the screen needs in a bounded
//! number of queries, and derives the figures (totals, plan against actual, overdue) from
//! the domain rules. It renders nothing and speaks no language: labels, charts and number
//! formats belong to the page or the API that shows the data, after the connection is back
//! in the pool.

pub mod evaluations;
pub mod projects;
