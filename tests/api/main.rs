//! Integration tests: the whole app over HTTP, once on SQLite and once on PostgreSQL.

mod helpers;

mod abuse;
mod accounts;
mod award;
mod browser;
mod cli;
mod documents;
mod evaluation;
mod evaluation_rules;
mod execution;
mod exports;
mod forms;
mod input;
mod languages;
mod limits;
mod line;
mod openapi;
mod ops_metrics;
mod orgs;
mod paging;
mod phone;
mod platform;
mod project_view;
mod proposals;
mod public_cache;
mod reviews;
mod rounds;
mod schedule;
mod schema;
mod screening;
mod sessions;
mod tasks;
mod terms;
mod verify;
