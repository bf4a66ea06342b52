//! dangan (档案): a static-site generator for archives of internal reports.
//!
//! The data flows one way: `load` (discover files, parse front matter) ->
//! `model` (the site and its indexes) -> `render` (pages via the theme) ->
//! `output` (the only writer). `build` runs that pipeline; `cli` and `cmd`
//! are the command line over it.

// Diagnostics are returned by value on purpose: they are rare and carry the whole message.
#![allow(clippy::result_large_err)]

pub mod addresses;
pub(crate) mod attach;
pub mod build;
pub mod cache;
pub mod cli;
pub(crate) mod cmd;
pub(crate) mod config;
pub mod diag;
pub(crate) mod human;
pub mod import;
pub(crate) mod load;
pub mod manifest;
pub mod markdown;
pub(crate) mod model;
pub mod output;
pub(crate) mod output_names;
pub mod paths;
pub mod publish;
pub(crate) mod render;
pub mod search;
pub(crate) mod serve;
pub(crate) mod text;
pub(crate) mod timing;
pub(crate) mod watch;
