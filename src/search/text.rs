//! Text files (`t/<aa>/<hash>`): each report's display text in pieces, loaded
//! for the results shown (their snippets, and the check that a longer term
//! really occurs). A piece stands alone, so that an edit rewrites only the
//! pieces whose text changed and no other report's:
//!
//! `DANGAN_SEARCH_SHARD("t/<aa>/<hash>", {title, url, date, unit, kind, own}, "<text of the piece>")`
//!
//! `title` is the title's display text (as searched), `unit` and `kind` the
//! names shown with the result, `own` the length in
//! UTF-16 units of the piece's own text: what follows is repeated from the
//! next piece, so that a match starting in this piece is whole in it. A
//! report's text is its own, then each attachment's after a line break; a
//! piece holding attachment text has `parts`: `[[at, name], …]`, where in
//! the piece (UTF-16 units, 0 for one begun in an earlier piece) each
//! attachment's text starts, for the snippet to name it (issue #18).
//!
//! The text is a JavaScript string in a UTF-16 file: two bytes a Chinese
//! character, nothing to decode in the browser.

use serde_json::json;

use super::codec::{JsFile, Named};
use super::normalize::display_text;
use super::prepare::{Body, Prepared};

/// The files of a report's pieces, in order.
pub(crate) fn text_files(p: &Prepared, body: &Body) -> Vec<Named> {
    let title = display_text(&p.meta.title);
    body.chunks
        .iter()
        .zip(&body.cuts)
        .zip(&body.parts)
        .map(|((chunk, &cut), parts)| {
            let own = chunk[..cut as usize].encode_utf16().count();
            let mut fields = json!({
                "title": title,
                "url": p.meta.url,
                "date": p.meta.date,
                "unit": p.meta.unit,
                "kind": p.meta.kind,
                "own": own,
            });
            if !parts.is_empty() {
                fields["parts"] = json!(parts);
            }
            let mut args = JsFile::args();
            args.json(&fields).raw(",").string(chunk);
            Named::new(
                |h| {
                    let n = super::codec::hash_name(h);
                    format!("t/{}/{}", &n[..2], &n[2..])
                },
                args,
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::SearchDoc;
    use crate::search::reader::shard_args;

    #[test]
    fn pieces_hold_the_display_text_and_are_named_by_it() {
        let doc = SearchDoc {
            id: "a".into(),
            url: "a.html".into(),
            title: "标题\"".into(),
            unit: "u".into(),
            unit_path: vec![],
            date: "2020".into(),
            year: 2020,
            kind: "k".into(),
            text: "党建\n工作，abc𠀀 \"\\".into(),
        };
        let (p, body, _) = crate::search::prepare::prepare(&doc.meta(), &doc.text());
        let files = text_files(&p, &body);
        assert_eq!(files.len(), 1);
        let args = shard_args(&files[0].bytes).unwrap();
        assert_eq!(args[0], files[0].name.as_str());
        assert_eq!(args[1]["title"], "标题\"");
        assert_eq!(
            args[2], "党建工作，abc𠀀\"\\",
            "no space beside a wide character"
        );
        let mut other = doc.clone();
        other.text.push('。');
        let (p2, body2, _) = crate::search::prepare::prepare(&other.meta(), &other.text());
        assert_ne!(text_files(&p2, &body2)[0].name, files[0].name);
        assert_eq!(text_files(&p, &body)[0].bytes, files[0].bytes);
    }
}
