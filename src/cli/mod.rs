//! Code only the `yichuang` command runs, kept out of the library.

pub mod demo;
pub mod scale;
