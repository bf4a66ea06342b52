//! Property tests of the whole index: for random reports and random queries, the
//! reference reader finds exactly the reports a brute-force substring scan finds,
//! output is deterministic, and incremental updates equal a fresh build.

use fastrand::Rng;
use std::collections::{BTreeMap, BTreeSet};

use super::layout::{Layout, id_hash};
use super::reader::Reader;
use super::{
    Changes, SearchDoc, SearchIndex, build_index, normalize_for_match, query_terms, texts_of,
};

/// Adds or replaces `d` in an index of `docs` (which already hold `d` as it is now).
fn upsert(index: &mut SearchIndex, docs: &[SearchDoc], d: &SearchDoc) -> Changes {
    let Ok(changes) = index.apply(vec![d.meta()], &[], texts_of(docs));
    changes
}

/// Removes `id` from an index of `docs` (which no longer hold it).
fn remove(index: &mut SearchIndex, docs: &[SearchDoc], id: &str) -> Changes {
    let Ok(changes) = index.apply(Vec::new(), &[id.to_string()], texts_of(docs));
    changes
}

/// Every file of an index of `docs`, computed again.
fn files_of(index: &SearchIndex, docs: &[SearchDoc]) -> Vec<(String, Vec<u8>)> {
    let Ok(files) = index.files(texts_of(docs));
    files
}

/// Few distinct characters, so that bigrams repeat and near-misses abound.
const ALPHABET: &[&str] = &[
    "党", "建", "工", "作", "基", "层", "组", "织", "，", "。", "、", "“", "”", " ", "\n", "a",
    "B", "n", "1", "2", "２", "０", "+", "Ａ", "é", "e\u{301}", "𠀀",
];

fn random_text(r: &mut Rng, len: usize) -> String {
    (0..len).map(|_| *r.choice(ALPHABET).unwrap()).collect()
}

fn random_doc(r: &mut Rng, i: usize) -> SearchDoc {
    let units = [
        vec!["市委"],
        vec!["市委", "区委"],
        vec!["市委", "区委", "街道"],
        vec!["县委"],
    ];
    let up: Vec<String> = r
        .choice(&units)
        .unwrap()
        .iter()
        .map(|s| s.to_string())
        .collect();
    let year = 2015 + r.usize(..6) as i32;
    let tl = 1 + r.usize(..8);
    let bl = r.usize(..300);
    SearchDoc {
        id: format!("content/r{i:05}.md"),
        url: format!("r{i:05}.html"),
        title: random_text(r, tl),
        unit: up.last().cloned().unwrap_or_default(),
        unit_path: up,
        date: format!("{year}-{:02}-{:02}", 1 + r.usize(..12), 1 + r.usize(..28)),
        year,
        kind: r
            .choice(&["调研报告", "工作总结", "讲话稿"])
            .unwrap()
            .to_string(),
        text: random_text(r, bl),
    }
}

fn brute(docs: &[SearchDoc], q: &str) -> BTreeSet<String> {
    let terms = query_terms(q);
    if terms.is_empty() {
        return BTreeSet::new();
    }
    docs.iter()
        .filter(|d| {
            let (t, b) = (normalize_for_match(&d.title), normalize_for_match(&d.text));
            terms
                .iter()
                .all(|x| t.contains(x.as_str()) || b.contains(x.as_str()))
        })
        .map(|d| d.url.clone())
        .collect()
}

fn found(files: &[(String, Vec<u8>)], q: &str) -> BTreeSet<String> {
    let r = Reader::new(files).expect("meta readable");
    let hits = r.search(q).hits;
    let urls: BTreeSet<String> = hits.iter().map(|h| r.url(h.doc).expect("url")).collect();
    assert_eq!(urls.len(), hits.len(), "a report listed twice for {q:?}");
    urls
}

/// Random substrings (of the normalized text, so any length ≥ 1) and random strings.
fn queries(r: &mut Rng, docs: &[SearchDoc], n: usize) -> Vec<String> {
    let mut out = Vec::new();
    for _ in 0..n {
        let d = r.choice(docs).unwrap();
        let src: Vec<char> =
            normalize_for_match(if r.usize(..4) == 0 { &d.title } else { &d.text })
                .chars()
                .collect();
        let q = if src.len() >= 2 && r.usize(..5) > 0 {
            let len = 1 + r.usize(..src.len().min(12));
            let s = r.usize(..src.len() - len + 1);
            src[s..s + len].iter().collect()
        } else {
            let len = 1 + r.usize(..6);
            random_text(r, len)
        };
        out.push(if r.usize(..6) == 0 {
            format!("{q} {}", random_text(r, 2))
        } else {
            q
        });
    }
    out
}

#[test]
fn queries_find_exactly_the_reports_containing_them() {
    let mut r = Rng::with_seed(0x2545_F491_4F6C_DD1D);
    let docs: Vec<SearchDoc> = (0..60).map(|i| random_doc(&mut r, i)).collect();
    let files = build_index(&docs);
    let mut nonempty = 0;
    for q in queries(&mut r, &docs, 400) {
        let want = brute(&docs, &q);
        nonempty += usize::from(!want.is_empty());
        assert_eq!(found(&files, &q), want, "query {q:?}");
    }
    assert!(
        nonempty > 200,
        "the generator should mostly produce queries with hits"
    );
}

#[test]
fn many_blocks_and_buckets_behave_like_one() {
    let mut r = Rng::with_seed(0x9E37_79B9_7F4A_7C15);
    let docs: Vec<SearchDoc> = (0..4100).map(|i| random_doc(&mut r, i)).collect();
    let files = build_index(&docs);
    assert!(
        files.iter().any(|(p, _)| p == "_search/p/3/100.js"),
        "4 blocks × 128 buckets"
    );
    for q in queries(&mut r, &docs, 40) {
        assert_eq!(found(&files, &q), brute(&docs, &q), "query {q:?}");
    }
}

#[test]
fn title_matches_rank_first_then_more_occurrences() {
    let mk = |i: usize, title: &str, text: &str| SearchDoc {
        id: format!("{i}"),
        url: format!("{i}.html"),
        title: title.into(),
        unit: "U".into(),
        unit_path: vec!["U".into()],
        date: "2020-01-01".into(),
        year: 2020,
        kind: "K".into(),
        text: text.into(),
    };
    let docs = vec![
        mk(1, "无关", "基层党建"),
        mk(2, "无关", "基层党建，基层党建，基层党建"),
        mk(3, "基层党建调研", "别的"),
        mk(4, "无关", "基层\n党建"),
    ];
    let files = build_index(&docs);
    let r = Reader::new(&files).unwrap();
    let order: Vec<String> = r
        .search("基层党建")
        .hits
        .iter()
        .map(|h| r.url(h.doc).unwrap())
        .collect();
    assert_eq!(order, vec!["3.html", "2.html", "1.html", "4.html"]);
}

#[test]
fn output_does_not_depend_on_input_order() {
    let mut r = Rng::with_seed(77);
    let mut docs: Vec<SearchDoc> = (0..80).map(|i| random_doc(&mut r, i)).collect();
    let a = build_index(&docs);
    docs.reverse();
    docs.swap(3, 40);
    assert_eq!(a, build_index(&docs));
    let paths: Vec<&String> = a.iter().map(|(p, _)| p).collect();
    assert!(paths.windows(2).all(|w| w[0] < w[1]), "sorted by path");
    assert!(paths.iter().all(|p| p.starts_with("_search/")));
}

#[test]
fn incremental_updates_equal_a_fresh_build() {
    let mut r = Rng::with_seed(4242);
    let mut current: BTreeMap<String, SearchDoc> = BTreeMap::new();
    for i in 0..30 {
        let d = random_doc(&mut r, i);
        current.insert(d.id.clone(), d);
    }
    let all: Vec<SearchDoc> = current.values().cloned().collect();
    let mut index = SearchIndex::new(&all);
    let mut disk: BTreeMap<String, Vec<u8>> = files_of(&index, &all).into_iter().collect();
    // Enough additions to cross a layout change (41 reports → 2 buckets): three
    // in five steps add a report, one removes one, one replaces one.
    for step in 0..80 {
        let changes = match r.usize(..5) {
            0 if !current.is_empty() => {
                let id = current
                    .keys()
                    .nth(r.usize(..current.len()))
                    .unwrap()
                    .clone();
                current.remove(&id);
                let all: Vec<SearchDoc> = current.values().cloned().collect();
                remove(&mut index, &all, &id)
            }
            1 if !current.is_empty() => {
                let id = current
                    .keys()
                    .nth(r.usize(..current.len()))
                    .unwrap()
                    .clone();
                let mut d = random_doc(&mut r, 0);
                d.id = id.clone();
                d.url = current[&id].url.clone();
                current.insert(id, d.clone());
                let all: Vec<SearchDoc> = current.values().cloned().collect();
                upsert(&mut index, &all, &d)
            }
            _ => {
                let d = random_doc(&mut r, 100 + step);
                current.insert(d.id.clone(), d.clone());
                let all: Vec<SearchDoc> = current.values().cloned().collect();
                upsert(&mut index, &all, &d)
            }
        };
        for p in &changes.removed {
            assert!(
                disk.remove(p).is_some(),
                "removed a file that was not there: {p}"
            );
        }
        for (p, b) in changes.written {
            assert_ne!(disk.get(&p), Some(&b), "reported an unchanged file: {p}");
            disk.insert(p, b);
        }
        let all: Vec<SearchDoc> = current.values().cloned().collect();
        let fresh: BTreeMap<String, Vec<u8>> = build_index(&all).into_iter().collect();
        assert!(
            disk == fresh,
            "step {step}: applied changes differ from a fresh build"
        );
        assert!(
            files_of(&index, &all)
                .into_iter()
                .collect::<BTreeMap<_, _>>()
                == fresh
        );
    }
    assert!(
        current.len() > 41,
        "the sequence should cross a layout change"
    );
}

#[test]
fn editing_one_report_touches_one_block_only() {
    let mut r = Rng::with_seed(99);
    let docs: Vec<SearchDoc> = (0..4100).map(|i| random_doc(&mut r, i)).collect();
    let mut index = SearchIndex::new(&docs);
    let mut d = docs[17].clone();
    d.text.push_str("新增的一句话。");
    let mut edited = docs.clone();
    edited[17] = d.clone();
    let changes = upsert(&mut index, &edited, &d);
    assert!(changes.removed.is_empty());
    let blocks: BTreeSet<&str> = changes
        .written
        .iter()
        .filter_map(|(p, _)| p.strip_prefix("_search/p/"))
        .map(|p| p.split('/').next().unwrap())
        .collect();
    assert_eq!(blocks.len(), 1, "postings of one block only");
    let layout = Layout::for_count(docs.len());
    let block = layout.block_of(id_hash(&d.id));
    assert_eq!(blocks.first().map(|b| b.parse().unwrap()), Some(block));
    let in_block = docs
        .iter()
        .filter(|x| layout.block_of(id_hash(&x.id)) == block)
        .count();
    let texts = changes
        .written
        .iter()
        .filter(|(p, _)| p.starts_with("_search/t/"))
        .count();
    assert!(
        texts <= in_block + 1,
        "{texts} text files for {in_block} reports in the block"
    );
    assert!(
        upsert(&mut index, &edited, &d).is_empty(),
        "the same report again changes nothing"
    );
}

#[test]
fn frequent_bigrams_get_files_of_their_own_and_are_found_the_same() {
    let mut r = Rng::with_seed(0x0005_DEEC_E66D);
    // 45 reports and the big one: removing it keeps the layout (2 buckets), so
    // the updates below take the incremental path, not a rebuild of everything.
    let mut docs: Vec<SearchDoc> = (0..45).map(|i| random_doc(&mut r, i)).collect();
    let mut big = random_doc(&mut r, 45);
    big.text = "党建工作".repeat(12_000);
    docs.push(big.clone());
    let files = build_index(&docs);
    let own = format!("_search/p/0/k{:x}-{:x}.js", '党' as u32, '建' as u32);
    assert!(
        files.iter().any(|(p, _)| *p == own),
        "党建 occurs 12,000 times: it should have {own}"
    );
    let meta = &files
        .iter()
        .find(|(p, _)| p == "_search/meta.js")
        .unwrap()
        .1;
    let meta = String::from_utf16(&super::codec::utf16_units(meta)).unwrap();
    assert!(meta.contains("党建"), "meta lists the heavy keys");
    for q in ["党建", "党建工作", "建工", "作党建工", "工作 党建", "党"] {
        assert_eq!(found(&files, q), brute(&docs, q), "query {q:?}");
    }
    for q in queries(&mut r, &docs, 200) {
        assert_eq!(found(&files, &q), brute(&docs, &q), "query {q:?}");
    }

    // Without the big report the heavy files go; with it again they come back.
    // The changes, applied to the files on disk, give a fresh build's files.
    assert_eq!(Layout::for_count(45), Layout::for_count(46));
    let mut index = SearchIndex::new(&docs);
    let mut disk: BTreeMap<String, Vec<u8>> = files.into_iter().collect();
    let apply = |disk: &mut BTreeMap<String, Vec<u8>>, changes: super::Changes| {
        for p in &changes.removed {
            disk.remove(p);
        }
        disk.extend(changes.written);
    };
    let rest: Vec<SearchDoc> = docs[..45].to_vec();
    let changes = remove(&mut index, &rest, &big.id);
    assert!(
        changes.removed.contains(&own),
        "{own} removed with its report"
    );
    apply(&mut disk, changes);
    assert!(disk == build_index(&rest).into_iter().collect());
    let changes = upsert(&mut index, &docs, &big);
    assert!(changes.written.iter().any(|(p, _)| *p == own));
    apply(&mut disk, changes);
    assert!(disk == build_index(&docs).into_iter().collect());
}

/// Issue #18: an attachment's text is found, ranked below the report's own
/// text, never joined to the text before it, and named in the text files.
#[test]
fn attachment_text_is_found_below_the_reports_own() {
    use super::{SearchText, TextPart};
    let mk = |i: usize, own: &str, parts: &[(&str, &str)]| {
        let doc = SearchDoc {
            id: format!("{i}"),
            url: format!("{i}.html"),
            title: "无关".into(),
            unit: "U".into(),
            unit_path: vec!["U".into()],
            date: format!("2020-01-{:02}", 10 - i),
            year: 2020,
            kind: "K".into(),
            text: own.into(),
        };
        let mut text = SearchText::body(own.into());
        text.parts.extend(parts.iter().map(|(n, t)| TextPart {
            name: n.to_string(),
            text: t.to_string(),
        }));
        (doc, text)
    };
    let docs = [
        // Only an attachment says it, three times (and it is the newest).
        mk(
            1,
            "别的",
            &[("附件1-党员名册.docx", "预备党员名单：预备党员，预备党员")],
        ),
        // The report itself says it once.
        mk(2, "其中预备党员三名", &[]),
        // Split between the report and its attachment: no match.
        mk(3, "名单中的预备", &[("附件2.xlsx", "党员数")]),
        mk(
            4,
            "别的",
            &[("附件1.pdf", "无"), ("附件2.txt", "第一预备党员支部")],
        ),
    ];
    let metas = docs.iter().map(|(d, _)| d.meta()).collect();
    let by_id: BTreeMap<String, SearchText> = docs
        .iter()
        .map(|(d, t)| (d.id.clone(), t.clone()))
        .collect();
    let all = std::sync::Mutex::new(Vec::new());
    let Ok(_) = SearchIndex::build(
        metas,
        |id: &str| Ok::<_, std::convert::Infallible>(by_id[id].clone()),
        |files| {
            all.lock().unwrap().extend_from_slice(files);
            Ok(())
        },
    );
    let files = all.into_inner().unwrap();
    let r = Reader::new(&files).unwrap();
    let found = r.search("预备党员");
    let order: Vec<String> = found.hits.iter().map(|h| r.url(h.doc).unwrap()).collect();
    assert_eq!(order, vec!["2.html", "1.html", "4.html"]);
    // The snippet of 4 is in its second attachment, which its text files name.
    let h4 = &found.hits[2];
    assert_eq!(h4.own_terms, 0);
    let text = files
        .iter()
        .find(|(p, _)| *p == r.snippet_file(h4))
        .map(|(_, b)| String::from_utf16(&super::codec::utf16_units(b)).unwrap())
        .unwrap();
    assert!(
        text.contains(r#""parts":[[3,"附件1.pdf"],[5,"附件2.txt"]]"#),
        "{text}"
    );
    // "别的" + boundary + "无" + boundary: the second attachment starts at 5.
    assert_eq!(h4.first_body_pos, Some(7));
    assert!(r.search("预备党员数").hits.is_empty());
    assert!(r.search("别的无").hits.is_empty());
}
