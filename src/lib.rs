//! 益创 yichuang — public-benefit venture grant management (公益创投资助管理系统).

pub mod app;
pub mod auth;
pub mod charts;
pub mod clock;
pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod i18n;
pub mod jobs;
pub mod mail;
pub mod ops;
pub mod pdf;
pub mod pii;
pub mod queries;
pub mod telemetry;
pub mod web;
