//! Integration tests: fixture archives built by the real binary, checked the
//! way a user would notice (pages, links, messages, bytes on disk).

mod support;

mod attachments;
mod build;
mod build_cache;
mod commands;
mod compilation;
mod drafts;
mod errors;
mod hostile;
mod hostile_property;
mod import;
mod incremental;
mod manifest;
mod output;
mod property;
mod publish;
mod redirect;
mod search;
mod serve;
mod snapshots;
mod theme;
