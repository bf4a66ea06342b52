//! Offline full-text search: the index shards written under `_search/` and the
//! browser assets that query them from `search.html`, over `file://` or HTTP.
//!
//! Matching is exact substring search on normalized text ([`normalize`]): a query
//! term of any length finds exactly the reports whose title or body contains it.
//! The index holds, per document block and key bucket ([`layout`]), unigram counts
//! and bigram positions ([`postings`]); a term of n ≥ 3 characters is checked by
//! the positions of its covering bigrams. Per report, its display text is stored
//! in Huffman-coded chunks for snippets ([`text`]); [`meta`] describes every report.
//! The browser (`themes/default/static/search.js`) loads only
//! the files a query needs, as classic `<script>` tags.

mod codec;
mod index;
mod layout;
mod meta;
mod normalize;
mod postings;
mod prepare;
pub mod reader;
#[cfg(test)]
mod tests;
mod text;

pub use index::{Changes, SearchIndex};
pub use normalize::{normalize_for_match, query_terms};

/// One report, as the core hands it to the indexer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SearchDoc {
    /// Stable id (the report's content path); the sort key.
    pub id: String,
    /// Site-relative URL, already percent-encoded, e.g. "reports/2020/r000001.html".
    pub url: String,
    pub title: String,
    /// The unit's display name.
    pub unit: String,
    /// The unit and its ancestors, root first; filtering by a unit includes its sub-units.
    pub unit_path: Vec<String>,
    /// "YYYY-MM-DD" or "YYYY-MM".
    pub date: String,
    pub year: i32,
    /// The report type (调研报告 …).
    pub kind: String,
    /// Plain text of the body (and summary/tags), paragraphs separated by "\n".
    pub text: String,
}

/// All index files, as (path relative to the output folder, bytes), sorted by path.
/// Paths start with "_search/". The same documents give the same bytes, whatever
/// their order.
pub fn build_index(docs: &[SearchDoc]) -> Vec<(String, Vec<u8>)> {
    // The files as `SearchIndex::build` hands them to `dangan build`'s writer.
    let all = std::sync::Mutex::new(Vec::new());
    let Ok(_) = SearchIndex::build(docs.to_vec(), |files| {
        all.lock().expect("not poisoned").extend_from_slice(files);
        Ok::<(), std::convert::Infallible>(())
    });
    let mut files = all.into_inner().expect("not poisoned");
    files.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    files
}
