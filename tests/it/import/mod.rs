//! `dangan import`: the three real samples, made-up fixtures (encodings, line
//! ends, DOCX), cleaning rules on boilerplate from other sources, safety, and
//! the no-text-lost property.

mod cleaning;
mod common;
mod fixtures;
mod property;
mod safety;
mod samples;
