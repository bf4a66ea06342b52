//! Offline full-text search: the index files written under `_search/` and the
//! browser assets that query them from `search.html`, over `file://` or HTTP.
//!
//! Matching is exact substring search on normalized text ([`normalize`]): a query
//! term of any length finds exactly the reports whose title, body or attachment
//! text contains it. The index holds document lists ([`lists`], built block by
//! block by [`ngrams`]): for every string of one to four characters, the
//! reports holding it, with a class of its count, and whether in the title or
//! only in an attachment. A term of up to four characters is one list; a
//! longer one's candidates hold each of its 4-grams and are checked on their
//! text, which is stored per report in pieces ([`text`]). Small per-range
//! files give length classes, facets and text names ([`shards`]); ranking is
//! BM25-like in integers ([`rank`]). Every file but the entry
//! (`_search/index.js`) is named by the hash of its bytes ([`manifest`]), so
//! an edit adds new files and never changes one a reader may be using.
//! The browser (`themes/default/static/search.js`) loads only the files a
//! query needs, as classic `<script>` tags; [`reader`] does the same in Rust.

mod codec;
mod index;
mod layout;
mod lists;
mod manifest;
mod ngrams;
mod normalize;
mod prepare;
pub mod rank;
pub mod reader;
mod shards;
mod spill;
#[cfg(test)]
mod tests;
mod text;

pub use index::{Changes, SearchIndex};
/// The file the search page loads first, which names the rest of the index.
pub(crate) use layout::ENTRY_PATH;
pub use normalize::{normalize_for_match, query_terms};
pub use spill::SpillError;

/// What the index keeps of a report between runs: everything but its text,
/// which it asks for block by block ([`SearchIndex::build`]) and drops after.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct SearchMeta {
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
}

/// A report's searchable text, in named parts: the report itself first (name
/// ""), then whatever else belongs to it (an attachment's text, named after the
/// attachment). No match crosses from one part into the next.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SearchText {
    pub parts: Vec<TextPart>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TextPart {
    /// "" for the report itself, else e.g. "附件1-党员名册.docx".
    pub name: String,
    /// Plain text, paragraphs separated by "\n".
    pub text: String,
}

impl SearchText {
    /// The report's own text, as its only part.
    pub fn body(text: String) -> SearchText {
        SearchText {
            parts: vec![TextPart {
                name: String::new(),
                text,
            }],
        }
    }

    /// The text of the report itself (part "").
    pub(crate) fn own(&self) -> &str {
        self.parts
            .iter()
            .find(|p| p.name.is_empty())
            .map_or("", |p| p.text.as_str())
    }
}

/// One report with its text: a [`SearchMeta`] and the body of its [`SearchText`]
/// in one value, as tests and benchmarks write them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SearchDoc {
    pub id: String,
    pub url: String,
    pub title: String,
    pub unit: String,
    pub unit_path: Vec<String>,
    pub date: String,
    pub year: i32,
    pub kind: String,
    /// Plain text of the body (and summary/tags), paragraphs separated by "\n".
    pub text: String,
}

impl SearchDoc {
    pub fn meta(&self) -> SearchMeta {
        SearchMeta {
            id: self.id.clone(),
            url: self.url.clone(),
            title: self.title.clone(),
            unit: self.unit.clone(),
            unit_path: self.unit_path.clone(),
            date: self.date.clone(),
            year: self.year,
            kind: self.kind.clone(),
        }
    }

    pub fn text(&self) -> SearchText {
        SearchText::body(self.text.clone())
    }
}

/// A text loader over reports held in memory: the first of `docs` with each
/// id. It never fails; its error is the index's own ([`SpillError`]).
pub fn texts_of(docs: &[SearchDoc]) -> impl Fn(&str) -> Result<SearchText, SpillError> + Sync + '_ {
    let mut by_id: std::collections::HashMap<&str, &SearchDoc> = std::collections::HashMap::new();
    for d in docs {
        by_id.entry(d.id.as_str()).or_insert(d);
    }
    move |id| Ok(by_id.get(id).map(|d| d.text()).unwrap_or_default())
}

/// All index files, as (path relative to the output folder, bytes), sorted by path.
/// Paths start with "_search/". The same documents give the same bytes, whatever
/// their order.
pub fn build_index(docs: &[SearchDoc]) -> Vec<(String, Vec<u8>)> {
    // The files as `SearchIndex::build` hands them to `dangan build`'s writer.
    let all = std::sync::Mutex::new(Vec::new());
    let metas = docs.iter().map(SearchDoc::meta).collect();
    SearchIndex::build(metas, texts_of(docs), |files| {
        all.lock().expect("not poisoned").extend_from_slice(files);
        Ok(())
    })
    .expect("the temporary file read back");
    let mut files = all.into_inner().expect("not poisoned");
    files.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    files
}
