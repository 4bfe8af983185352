//! The read side: one function per screen or resource, returning plain data with the policy
//! applied once (who may see what, which parts apply in which state), used by both the pages
//! and the API. No rendering and no language here: messages stay [`crate::i18n::Msg`] and
//! labels stay keys, translated by the caller in `web`.

pub mod proposals;
