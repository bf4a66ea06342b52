//! Small bar charts as inline SVG, drawn at build time: no script, no chart
//! library. Every bar carries its number as text (readable without colour and
//! in print) and a `<title>` for screen readers. Horizontal positions are
//! percentages, so a chart fills any width without shrinking its text.

use std::fmt::Write;

/// One bar: its label, its value, and where it links to (if anywhere).
pub struct Bar {
    pub label: String,
    pub value: usize,
    pub url: Option<String>,
}

const ROW: usize = 24;
const COLUMN_AREA: usize = 110;

/// Horizontal bars, one per row: label on the left, bar, number after the bar.
/// Suits years, types and units: works for any number of bars at any width.
/// `label_share` is the percentage of the width given to the labels.
pub fn rows(id: &str, title: &str, unit: &str, bars: &[Bar], label_share: u32) -> String {
    let max = bars.iter().map(|b| b.value).max().unwrap_or(0).max(1);
    let height = bars.len() * ROW + 4;
    // What is left after the labels, less room for the number after the longest bar.
    let span = 89.0 - f64::from(label_share);
    let mut s = open(id, title, "rows", height);
    for (i, b) in bars.iter().enumerate() {
        let y = i * ROW + 2;
        let w = span * b.value as f64 / max as f64;
        let x = label_share as f64 + 1.0;
        bar_open(&mut s, b, unit);
        let _ = write!(
            s,
            r#"<text class="label" x="{lx}%" y="{ty}" text-anchor="end">{label}</text><rect x="{x}%" y="{ry}" width="{w:.2}%" height="{rh}"/><text class="value" x="{vx:.2}%" y="{ty}">{v}</text>"#,
            lx = label_share,
            ty = y + 16,
            label = esc(&b.label),
            ry = y + 4,
            rh = ROW - 8,
            vx = x + w + 1.0,
            v = b.value,
        );
        bar_close(&mut s, b);
    }
    s.push_str("</svg>");
    s
}

/// Vertical columns, for a fixed short series such as the twelve months.
pub fn columns(id: &str, title: &str, unit: &str, bars: &[Bar]) -> String {
    let max = bars.iter().map(|b| b.value).max().unwrap_or(0).max(1);
    let n = bars.len().max(1) as f64;
    let top = 20; // room for the number above the tallest column
    let height = top + COLUMN_AREA + 22;
    let mut s = open(id, title, "columns", height);
    let base = top + COLUMN_AREA;
    let _ = write!(
        s,
        r#"<line class="axis" x1="0" x2="100%" y1="{base}.5" y2="{base}.5"/>"#
    );
    for (i, b) in bars.iter().enumerate() {
        let h = COLUMN_AREA * b.value / max;
        let cx = (i as f64 + 0.5) * 100.0 / n;
        let x = (i as f64 + 0.18) * 100.0 / n;
        let w = 0.64 * 100.0 / n;
        bar_open(&mut s, b, unit);
        let _ = write!(
            s,
            r#"<rect x="{x:.2}%" y="{y}" width="{w:.2}%" height="{h}"/><text class="value" x="{cx:.2}%" y="{vy}" text-anchor="middle">{v}</text><text class="label" x="{cx:.2}%" y="{ly}" text-anchor="middle">{label}</text>"#,
            y = base - h,
            vy = base - h - 5,
            v = b.value,
            ly = base + 17,
            label = esc(&b.label),
        );
        bar_close(&mut s, b);
    }
    s.push_str("</svg>");
    s
}

fn open(id: &str, title: &str, kind: &str, height: usize) -> String {
    format!(
        r#"<svg class="chart chart-{kind}" id="{id}" width="100%" height="{height}" role="img" aria-labelledby="{id}-t"><title id="{id}-t">{t}</title>"#,
        t = esc(title)
    )
}

fn bar_open(s: &mut String, b: &Bar, unit: &str) {
    if let Some(url) = &b.url {
        let _ = write!(s, r#"<a href="{}">"#, esc(url));
    }
    let _ = write!(
        s,
        r#"<g class="bar" data-label="{l}" data-value="{v}"><title>{l}：{v} {unit}</title>"#,
        l = esc(&b.label),
        v = b.value,
    );
}

fn bar_close(s: &mut String, b: &Bar) {
    s.push_str("</g>");
    if b.url.is_some() {
        s.push_str("</a>");
    }
}

/// Escapes text for XML (SVG and Atom).
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Taken out at load already; kept out here too, as one would make
            // a feed or an SVG unreadable XML.
            c if crate::text::is_unwanted(c) => {}
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bars(values: &[usize]) -> Vec<Bar> {
        values
            .iter()
            .enumerate()
            .map(|(i, &v)| Bar {
                label: format!("{}年", 2020 + i),
                value: v,
                url: None,
            })
            .collect()
    }

    #[test]
    fn every_bar_shows_its_number_and_title() {
        let svg = rows("c", "各年报告数", "篇", &bars(&[3, 0, 12]), 20);
        assert!(svg.contains(r#"data-label="2022年" data-value="12""#));
        assert!(svg.contains("<title>2020年：3 篇</title>"));
        assert!(svg.contains(r#">12</text>"#));
        assert!(svg.contains(r#"<title id="c-t">各年报告数</title>"#));
        let svg = columns("m", "各月", "篇", &bars(&[1, 5]));
        assert_eq!(svg.matches("<g class=\"bar\"").count(), 2);
        assert!(svg.contains(">5</text>"));
    }

    #[test]
    fn labels_are_escaped() {
        let b = [Bar {
            label: "<a&b>".into(),
            value: 1,
            url: Some("x.html?a=1&b=2".into()),
        }];
        let svg = rows("c", "t", "篇", &b, 30);
        assert!(svg.contains("&lt;a&amp;b&gt;"));
        assert!(svg.contains(r#"href="x.html?a=1&amp;b=2""#));
    }
}
