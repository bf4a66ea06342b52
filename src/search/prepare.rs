//! Per-report preparation: the normalized stream the postings are built from, the
//! fields the filters need, and the display text cut into snippet chunks.

use super::layout::{CHUNK_CHARS, CHUNK_OVERLAP};
use super::normalize::{display_text, normalize_chars, push_cluster};
use super::{SearchMeta, SearchText};

/// What the index keeps of one report between runs; a pure function of its
/// [`SearchMeta`] and text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Prepared {
    pub meta: SearchMeta,
    /// Sort key of the date: (month, day), 0 when unknown; the year is in `meta`.
    pub month: u32,
    pub day: u32,
    /// The unit and its ancestors, root first (never empty).
    pub unit_path: Vec<String>,
    /// Length of the normalized stream ([`stream`]): title, one boundary, body.
    pub stream_len: u32,
    /// Length of the title part including the boundary: positions below are title hits.
    pub title_len: u32,
    /// Length of the attachments' part at the end of the stream (each
    /// attachment's text after a boundary): positions there are attachment hits.
    pub attach_len: u32,
}

/// A report's text as the index shows it, asked for again whenever its block
/// is built and dropped after.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Body {
    /// Display text of the body, in chunks of [`CHUNK_CHARS`] normalized characters
    /// (chunk k starts at body position k × CHUNK_CHARS), each followed by an overlap.
    pub chunks: Vec<String>,
    /// Per chunk, the byte length of its part before the overlap: the body is the
    /// concatenation of these parts.
    pub cuts: Vec<u32>,
    /// Per chunk, the attachments whose text is in it: where in the chunk
    /// each starts (UTF-16 units; 0 for one that began in an earlier chunk)
    /// and its name. Text before the first is the report's own.
    pub parts: Vec<Vec<(u32, String)>>,
}

/// Normalized title, one boundary, normalized body, then each attachment's
/// normalized text after a boundary ([`super::normalize`]);
/// positions in the index count characters of this stream. Not kept per report
/// (it is four bytes a character): recomputed from the display text when a
/// block is built again.
#[cfg(test)]
pub(crate) fn stream(p: &Prepared, body: &Body) -> Vec<char> {
    let mut s = Vec::with_capacity(p.stream_len as usize);
    title_stream(&p.meta.title, &mut s);
    for (chunk, &cut) in body.chunks.iter().zip(&body.cuts) {
        normalize_chars(&chunk[..cut as usize], &mut s);
    }
    debug_assert_eq!(s.len(), p.stream_len as usize);
    s
}

fn title_stream(title: &str, stream: &mut Vec<char>) {
    normalize_chars(&display_text(title), stream);
    stream.push(' ');
}

/// The report prepared, with its display text and normalized stream ([`stream`]).
pub(crate) fn prepare(doc: &SearchMeta, text: &SearchText) -> (Prepared, Body, Vec<char>) {
    let own = text.own();
    let mut stream = Vec::with_capacity(own.len() / 2 + doc.title.len());
    title_stream(&doc.title, &mut stream);
    let title_len = stream.len() as u32;

    // The display body: the report's own text, then each attachment's after a
    // line break (a boundary: no match runs from one into the next).
    let mut body = display_text(own);
    let mut part_at: Vec<(usize, &str)> = Vec::new();
    for part in text.parts.iter().filter(|p| !p.name.is_empty()) {
        let shown = display_text(&part.text);
        if shown.is_empty() {
            continue;
        }
        body.push('\n');
        part_at.push((body.len(), part.name.as_str()));
        body.push_str(&shown);
    }
    let own_end = part_at.first().map_or(body.len(), |&(at, _)| at - 1);
    let mut own_stream_end = None;
    // Chunk starts (byte offsets in `body`) and, per chunk, where its overlap ends.
    let mut starts = vec![0usize];
    let mut overlap_end: Vec<Option<usize>> = vec![None];
    let mut since_cut = 0usize;
    let mut at = 0;
    while at < body.len() {
        let pos = stream.len() - title_len as usize;
        // At or past (a cluster may start before and run over) each start.
        if at >= own_end && own_stream_end.is_none() {
            own_stream_end = Some(stream.len());
        }
        if pos >= CHUNK_CHARS * starts.len() {
            starts.push(at);
            overlap_end.push(None);
            since_cut = 0;
        }
        if starts.len() > 1 && since_cut == CHUNK_OVERLAP {
            overlap_end[starts.len() - 2] = Some(at);
        }
        since_cut += 1;
        at = push_cluster(&body, at, &mut stream);
    }
    let ends: Vec<usize> = (0..starts.len())
        .map(|k| match k + 1 < starts.len() {
            true => overlap_end[k].unwrap_or(body.len()),
            false => body.len(),
        })
        .collect();
    let chunks = (0..starts.len())
        .map(|k| body[starts[k]..ends[k]].to_string())
        .collect();
    let parts = (0..starts.len())
        .map(|k| {
            let (from, to) = (starts[k], ends[k]);
            // The part the chunk starts in, then those starting inside it.
            let covering = part_at.iter().rposition(|&(p, _)| p <= from);
            part_at
                .iter()
                .enumerate()
                .filter(|&(i, &(p, _))| Some(i) == covering || (p > from && p < to))
                .map(|(_, &(p, name))| {
                    let at = body[from..p.max(from)].encode_utf16().count();
                    (at as u32, name.to_string())
                })
                .collect()
        })
        .collect();
    let cuts = (0..starts.len())
        .map(|k| (starts.get(k + 1).copied().unwrap_or(body.len()) - starts[k]) as u32)
        .collect();

    let mut p = Prepared::of_meta(doc.clone());
    p.stream_len = stream.len() as u32;
    p.title_len = title_len;
    p.attach_len = (stream.len() - own_stream_end.unwrap_or(stream.len())) as u32;
    (
        p,
        Body {
            chunks,
            cuts,
            parts,
        },
        stream,
    )
}

impl Prepared {
    /// What the index keeps of a report whose text is yet to be read (its
    /// lengths are 0 until then).
    pub(crate) fn of_meta(meta: SearchMeta) -> Prepared {
        let unit_path = if meta.unit_path.is_empty() {
            vec![meta.unit.clone()]
        } else {
            meta.unit_path.clone()
        };
        let (month, day) = parse_month_day(&meta.date);
        Prepared {
            month,
            day,
            unit_path,
            stream_len: 0,
            title_len: 0,
            attach_len: 0,
            meta,
        }
    }
}

/// "YYYY-MM-DD" or "YYYY-MM" → (month, day), 0 for a missing or unreadable part.
fn parse_month_day(date: &str) -> (u32, u32) {
    let mut parts = date
        .split('-')
        .skip(1)
        .map(|p| p.trim().parse::<u32>().ok());
    let month = parts.next().flatten().filter(|m| *m <= 12).unwrap_or(0);
    let day = parts.next().flatten().filter(|d| *d <= 31).unwrap_or(0);
    (month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(title: &str, text: &str) -> (SearchMeta, SearchText) {
        let d = crate::search::SearchDoc {
            id: "a.md".into(),
            url: "a.html".into(),
            title: title.into(),
            unit: "U".into(),
            unit_path: vec![],
            date: "2020-05".into(),
            year: 2020,
            kind: "K".into(),
            text: text.into(),
        };
        (d.meta(), d.text())
    }

    #[test]
    fn stream_is_title_boundary_body() {
        let (m, t) = doc("标题Ａ", "正文\n第二段 x y");
        let (p, body, st) = prepare(&m, &t);
        assert_eq!(stream(&p, &body), st);
        let s: String = st.iter().collect();
        assert_eq!(s, "标题a 正文第二段x y");
        assert_eq!(p.title_len, 4);
        assert_eq!(body.chunks, vec!["正文第二段x y".to_string()]);
        assert_eq!((p.month, p.day), (5, 0));
        assert_eq!(p.unit_path, vec!["U".to_string()]);
    }

    #[test]
    fn long_bodies_are_chunked_at_fixed_positions_with_overlap() {
        let text: String = "一二三四五六七八九十".repeat(2000); // 20,000 characters
        let (m, t) = doc("t", &text);
        let (p, body, st) = prepare(&m, &t);
        assert_eq!(stream(&p, &body), st);
        assert_eq!(body.chunks.len(), 3);
        let c: Vec<usize> = body.chunks.iter().map(|c| c.chars().count()).collect();
        assert_eq!(
            c,
            vec![
                CHUNK_CHARS + CHUNK_OVERLAP,
                CHUNK_CHARS + CHUNK_OVERLAP,
                20_000 - 2 * CHUNK_CHARS
            ]
        );
        let chars: Vec<char> = text.chars().collect();
        let second: String = chars[CHUNK_CHARS..2 * CHUNK_CHARS + CHUNK_OVERLAP]
            .iter()
            .collect();
        assert_eq!(body.chunks[1], second);
    }
}
