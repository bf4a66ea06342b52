//! Integration tests: fixture archives built by the real binary, checked the
//! way a user would notice (pages, links, messages, bytes on disk).

mod support;

mod build;
mod commands;
mod errors;
mod incremental;
mod output;
mod search;
mod serve;
mod theme;
