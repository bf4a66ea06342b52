//! Property tests of the whole index: for random reports and random queries, the
//! reference reader finds exactly the reports a brute-force substring scan finds,
//! output is deterministic, and incremental updates equal a fresh build.

use fastrand::Rng;
use std::collections::{BTreeMap, BTreeSet};

use super::layout::Layout;
use super::reader::Reader;
use super::{
    Changes, SearchDoc, SearchIndex, build_index, normalize_for_match, query_terms, texts_of,
};

/// Adds or replaces `d` in an index of `docs` (which already hold `d` as it is now).
fn upsert(index: &mut SearchIndex, docs: &[SearchDoc], d: &SearchDoc) -> Changes {
    index.apply(vec![d.meta()], &[], texts_of(docs)).unwrap()
}

/// Removes `id` from an index of `docs` (which no longer hold it).
fn remove(index: &mut SearchIndex, docs: &[SearchDoc], id: &str) -> Changes {
    index
        .apply(Vec::new(), &[id.to_string()], texts_of(docs))
        .unwrap()
}

/// Every file of an index of `docs`, computed again.
fn files_of(index: &SearchIndex, docs: &[SearchDoc]) -> Vec<(String, Vec<u8>)> {
    index.files(texts_of(docs)).unwrap()
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
    let r = Reader::new(files).expect("entry readable");
    let out = r.search(q);
    let urls: BTreeSet<String> = out.hits.iter().map(|h| h.url.clone()).collect();
    assert_eq!(
        urls.len(),
        out.hits.len(),
        "a report listed twice for {q:?}"
    );
    assert!(out.first.is_subset(&out.exact), "{q:?}");
    assert!(
        !out.first.iter().any(|f| f.starts_with("_search/f/")),
        "the first page of {q:?} needs no facet file"
    );
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
    let mut docs: Vec<SearchDoc> = (0..60).map(|i| random_doc(&mut r, i)).collect();
    // Reports longer than a text piece: matches near and across piece ends.
    for d in docs.iter_mut().take(3) {
        d.text = random_text(&mut r, 20_000);
    }
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
    let docs: Vec<SearchDoc> = (0..2100).map(|i| random_doc(&mut r, i)).collect();
    let files = build_index(&docs);
    let l = Layout::for_count(docs.len());
    assert!(l.blocks(docs.len()) > 100 && l.d_buckets > 1000, "{l:?}");
    for q in queries(&mut r, &docs, 40) {
        assert_eq!(found(&files, &q), brute(&docs, &q), "query {q:?}");
    }
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

/// Applies an update's changes to the files on disk, checking that it writes
/// only new or changed files and removes only files that are there.
fn apply_changes(disk: &mut BTreeMap<String, Vec<u8>>, changes: Changes, what: &str) {
    for p in &changes.removed {
        assert!(
            disk.remove(p).is_some(),
            "{what}: removed a file that was not there: {p}"
        );
    }
    for (p, b) in changes.written {
        assert_ne!(
            disk.get(&p),
            Some(&b),
            "{what}: reported an unchanged file: {p}"
        );
        disk.insert(p, b);
    }
}

#[test]
fn incremental_updates_equal_a_fresh_build() {
    let mut r = Rng::with_seed(4242);
    let mut current: BTreeMap<String, SearchDoc> = BTreeMap::new();
    for i in 0..120 {
        let d = random_doc(&mut r, i);
        current.insert(d.id.clone(), d);
    }
    let all: Vec<SearchDoc> = current.values().cloned().collect();
    let mut index = SearchIndex::new(&all);
    let mut disk: BTreeMap<String, Vec<u8>> = files_of(&index, &all).into_iter().collect();
    // Enough additions to cross a layout change (129 reports → more list
    // buckets): three in five steps add a report, one removes one, one replaces one.
    for step in 0..45 {
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
                let d = random_doc(&mut r, 1000 + step);
                current.insert(d.id.clone(), d.clone());
                let all: Vec<SearchDoc> = current.values().cloned().collect();
                upsert(&mut index, &all, &d)
            }
        };
        apply_changes(&mut disk, changes, &format!("step {step}"));
        let all: Vec<SearchDoc> = current.values().cloned().collect();
        let fresh: BTreeMap<String, Vec<u8>> = build_index(&all).into_iter().collect();
        assert!(
            disk == fresh,
            "step {step}: applied changes differ from a fresh build"
        );
        // Computing every file again from the kept state gives the same (every
        // tenth step: it costs as much as a fresh build).
        assert!(
            step % 10 != 9
                || files_of(&index, &all)
                    .into_iter()
                    .collect::<BTreeMap<_, _>>()
                    == fresh
        );
        let paths: Vec<&str> = index.paths().collect();
        assert!(paths.iter().copied().eq(fresh.keys().map(String::as_str)));
    }
    assert!(
        Layout::for_count(current.len()) != Layout::for_count(120),
        "the sequence should cross a layout change"
    );
}

#[test]
fn editing_one_report_rewrites_its_block_and_the_lists_it_changed() {
    let mut r = Rng::with_seed(99);
    let docs: Vec<SearchDoc> = (0..4100).map(|i| random_doc(&mut r, i)).collect();
    let mut index = SearchIndex::new(&docs);
    let before: BTreeSet<String> = index.paths().map(String::from).collect();
    let mut d = docs[17].clone();
    d.text.push_str("新增的一句话。");
    let mut edited = docs.clone();
    edited[17] = d.clone();
    let changes = upsert(&mut index, &edited, &d);
    let texts = changes
        .written
        .iter()
        .filter(|(p, _)| p.starts_with("_search/t/"))
        .count();
    assert_eq!(texts, 1, "the edited report's one text piece");
    let lists = changes
        .written
        .iter()
        .filter(|(p, _)| p.starts_with("_search/d/") || p.starts_with("_search/k/"))
        .count();
    assert!(
        (1..=28).contains(&lists),
        "{lists} lists for one added sentence (7 characters, and 7 each of 2, 3 and 4, all new)"
    );
    let share = changes.written.len() as f64 / before.len() as f64;
    assert!(
        share < 0.01,
        "{} of {} files",
        changes.written.len(),
        before.len()
    );
    assert!(
        upsert(&mut index, &edited, &d).is_empty(),
        "the same report again changes nothing"
    );
}

#[test]
fn frequent_keys_get_files_of_their_own_and_are_found_the_same() {
    let mut r = Rng::with_seed(0x0005_DEEC_E66D);
    let mut docs: Vec<SearchDoc> = (0..450).map(|i| random_doc(&mut r, i)).collect();
    let mut big = random_doc(&mut r, 450);
    big.text = "党建工作".repeat(12_000);
    docs.push(big.clone());
    // 党建 in 401 reports: its list passes the limit of 451 reports (1,024 bits).
    for (i, d) in docs.iter_mut().take(400).enumerate() {
        d.text.push_str(&"党建".repeat(1 + i % 9));
    }
    let files = build_index(&docs);
    let own = format!("_search/k/{:x}-{:x}.", '党' as u32, '建' as u32);
    assert!(
        files.iter().any(|(p, _)| p.starts_with(&own)),
        "党建 should have a list file of its own, {own}…"
    );
    for q in ["党建", "党建工作", "建工", "作党建工", "工作 党建", "党"] {
        assert_eq!(found(&files, q), brute(&docs, q), "query {q:?}");
    }
    for q in queries(&mut r, &docs, 100) {
        assert_eq!(found(&files, &q), brute(&docs, &q), "query {q:?}");
    }

    // Without the reports holding 党建 the file goes; with them it comes back.
    let mut index = SearchIndex::new(&docs);
    let mut disk: BTreeMap<String, Vec<u8>> = files.into_iter().collect();
    let rest: Vec<SearchDoc> = docs[400..450].to_vec();
    let gone: Vec<String> = docs[..400]
        .iter()
        .map(|d| d.id.clone())
        .chain([big.id.clone()])
        .collect();
    let changes = index.apply(Vec::new(), &gone, texts_of(&rest)).unwrap();
    assert!(changes.removed.iter().any(|p| p.starts_with(&own)));
    apply_changes(&mut disk, changes, "removed");
    assert!(disk == build_index(&rest).into_iter().collect());
    let metas = docs[..400]
        .iter()
        .chain([&big])
        .map(SearchDoc::meta)
        .collect();
    let changes = index.apply(metas, &[], texts_of(&docs)).unwrap();
    assert!(changes.written.iter().any(|(p, _)| p.starts_with(&own)));
    apply_changes(&mut disk, changes, "added back");
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
    SearchIndex::build(
        metas,
        |id: &str| Ok::<_, super::SpillError>(by_id[id].clone()),
        |files| {
            all.lock().unwrap().extend_from_slice(files);
            Ok(())
        },
    )
    .unwrap();
    let files = all.into_inner().unwrap();
    let r = Reader::new(&files).unwrap();
    for q in ["预备党员", "预备党员名单"] {
        let found = r.search(q);
        let order: Vec<&str> = found.hits.iter().map(|h| h.url.as_str()).collect();
        let want = match q {
            "预备党员" => vec!["2.html", "1.html", "4.html"],
            _ => vec!["1.html"],
        };
        assert_eq!(order, want, "{q}");
        let own: Vec<u32> = found.hits.iter().map(|h| h.own_terms).collect();
        assert_eq!(own[0], u32::from(q == "预备党员"), "{q}");
        assert!(own[1..].iter().all(|&o| o == 0));
    }
    // 4's text file says where each attachment starts: "别的", a line
    // break, "无", a line break, then the second attachment.
    let text = files
        .iter()
        .filter(|(p, _)| p.starts_with("_search/t/"))
        .map(|(_, b)| String::from_utf16(&super::codec::utf16_units(b)).unwrap())
        .find(|t| t.contains(r#""url":"4.html""#))
        .unwrap();
    assert!(
        text.contains(r#""parts":[[3,"附件1.pdf"],[5,"附件2.txt"]]"#),
        "{text}"
    );
    assert!(r.search("预备党员数").hits.is_empty());
    assert!(r.search("别的无").hits.is_empty());
}

/// Issue #14's ranking, shown on three reports: a title match first; then a
/// short report about the phrase above a long one that mentions it in passing
/// (length-normalised, as BM25); and of two otherwise equal reports, the newer.
#[test]
fn ranking_puts_titles_first_then_short_reports_about_the_phrase_then_newer() {
    let mk = |id: &str, title: &str, text: String, date: &str| SearchDoc {
        id: id.into(),
        url: format!("{id}.html"),
        title: title.into(),
        unit: "U".into(),
        unit_path: vec!["U".into()],
        date: date.into(),
        year: date[..4].parse().unwrap(),
        kind: "K".into(),
        text,
    };
    let filler = |n: usize| "会议听取了各部门的情况汇报，研究部署下一阶段的重点任务。".repeat(n);
    let long = format!(
        "{}推进基层党建。{}基层党建。{}基层党建。",
        filler(70),
        filler(70),
        filler(70)
    );
    let docs = vec![
        // Long: 6,000 characters that mention the phrase three times in passing.
        mk("long", "年度工作总结", long.clone(), "2023-05-01"),
        // Short, and about the phrase: twice in 150 characters (the same
        // class of count as three times), and older.
        mk(
            "short",
            "某街道工作情况",
            format!("基层党建是重点。{}基层党建要深化。", filler(4)),
            "2021-03-01",
        ),
        // The phrase in the title, once in a long text.
        mk(
            "title",
            "关于基层党建的调研报告",
            format!("{}基层党建。", filler(200)),
            "2019-01-01",
        ),
        // The same as "long", but newer: ahead of it.
        mk("newer", "年度工作总结", long, "2024-05-01"),
        mk("none", "无关的报告", filler(10), "2024-06-01"),
    ];
    let files = build_index(&docs);
    let r = Reader::new(&files).unwrap();
    for q in ["基层党建", "基层党建 推进"] {
        let order: Vec<String> = r.search(q).hits.iter().map(|h| h.url.clone()).collect();
        let want: Vec<&str> = match q {
            "基层党建" => vec!["title.html", "short.html", "newer.html", "long.html"],
            // Only the two equal reports hold 推进.
            _ => vec!["newer.html", "long.html"],
        };
        assert_eq!(order, want, "{q}");
    }
    // A title holding one term of two ranks below one holding both.
    let order: Vec<String> = r
        .search("党建 调研")
        .hits
        .iter()
        .map(|h| h.url.clone())
        .collect();
    assert_eq!(order.first().map(String::as_str), Some("title.html"));
}

/// Issue #15: an index saved as the build cache keeps it and read back (as
/// a new process does, every other step) updates exactly as the one kept
/// in memory, the segments of the lists it puts together again taken from
/// their files on disk. Fails if a segment or a hash is not kept, or if a
/// list file changed on disk is trusted (the index must say it is lost).
#[test]
fn an_index_read_back_from_the_build_cache_updates_as_a_fresh_build() {
    let mut r = Rng::with_seed(1515);
    let mut current: BTreeMap<String, SearchDoc> = BTreeMap::new();
    for i in 0..100 {
        let d = random_doc(&mut r, i);
        current.insert(d.id.clone(), d);
    }
    let all: Vec<SearchDoc> = current.values().cloned().collect();
    let mut index = SearchIndex::new(&all);
    let mut disk: BTreeMap<String, Vec<u8>> = files_of(&index, &all).into_iter().collect();
    let read_back = |index: &mut SearchIndex| SearchIndex::load(&index.save().unwrap()).unwrap();
    for step in 0..24 {
        if step % 2 == 0 {
            index = read_back(&mut index);
        }
        let pick = |r: &mut Rng, current: &BTreeMap<String, SearchDoc>| {
            current
                .keys()
                .nth(r.usize(..current.len()))
                .unwrap()
                .clone()
        };
        let (upserts, removals) = match r.usize(..4) {
            0 => {
                let id = pick(&mut r, &current);
                current.remove(&id);
                (Vec::new(), vec![id])
            }
            1 => {
                let d = random_doc(&mut r, 1000 + step);
                current.insert(d.id.clone(), d.clone());
                (vec![d.meta()], Vec::new())
            }
            _ => {
                let id = pick(&mut r, &current);
                let mut d = current[&id].clone();
                d.text.push_str(&random_text(&mut r, 20));
                current.insert(id, d.clone());
                (vec![d.meta()], Vec::new())
            }
        };
        let all: Vec<SearchDoc> = current.values().cloned().collect();
        let old = disk.clone();
        let changes = index
            .apply_from(upserts, &removals, texts_of(&all), |p| old.get(p).cloned())
            .unwrap();
        assert!(!index.lost(), "step {step}");
        apply_changes(&mut disk, changes, &format!("step {step}"));
        let fresh: BTreeMap<String, Vec<u8>> = build_index(&all).into_iter().collect();
        assert!(disk == fresh, "step {step}: differs from a fresh build");
    }
    // Every list file changed on disk (a byte of its bits): read back, the
    // index updates nothing from them, and says so.
    let mut index = read_back(&mut index);
    for (path, bytes) in disk.iter_mut() {
        if path.starts_with("_search/d/") || path.starts_with("_search/k/") {
            let at = bytes.len() - 10;
            bytes[at] ^= 1;
        }
    }
    let id = current.keys().next().unwrap().clone();
    let mut d = current[&id].clone();
    d.text = random_text(&mut r, 200);
    current.insert(id, d.clone());
    let all: Vec<SearchDoc> = current.values().cloned().collect();
    index
        .apply_from(vec![d.meta()], &[], texts_of(&all), |p| {
            disk.get(p).cloned()
        })
        .unwrap();
    assert!(index.lost(), "a changed list file was trusted");
}
