//! PDF documents (award notices, agreements, ranking tables) are built with printpdf in the
//! round and award modules; this module will hold the shared font handling.
