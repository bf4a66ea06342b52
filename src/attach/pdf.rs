//! A PDF's text layer: the strings its pages draw, in drawing order, decoded
//! through each font's ToUnicode map where it has one. That is how Word, WPS
//! and browsers write Chinese (CID fonts, Identity-H encoding, a ToUnicode
//! map), and how Chromium writes its Type 3 fonts.
//!
//! lopdf parses the file (within a bound on every stream it unpacks); the
//! walk over the pages' drawing operations is here because lopdf's own
//! `extract_text` decodes a font by its /Encoding before its /ToUnicode map
//! (which garbles Type 3 fonts), skips text inside form XObjects, knows none
//! of the GB encodings of older Chinese PDFs, and cannot stop at a deadline.

use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use encoding_rs::{BIG5, Encoding as TextEncoding, GB18030, UTF_16BE};
use lopdf::content::Content;
use lopdf::{Dictionary, Document, Encoding, LoadOptions, Object, ObjectId};

use super::{Limits, Text, Unreadable};

/// Forms inside forms inside a page: deeper nesting is not followed.
const MAX_DEPTH: usize = 8;

pub(super) fn read(bytes: &[u8], limits: &Limits, out: &mut Text) -> Result<(), Unreadable> {
    let unpacked = usize::try_from(limits.unpacked).unwrap_or(usize::MAX);
    let options = LoadOptions {
        max_decompressed_size: Some(unpacked),
        filter: Some(drop_images),
        ..LoadOptions::default()
    };
    let doc = Document::load_mem_with_options(bytes, options).map_err(|e| match e {
        lopdf::Error::Decryption(_)
        | lopdf::Error::UnsupportedSecurityHandler(_)
        | lopdf::Error::InvalidPassword => encrypted(),
        e => Unreadable::damaged("a PDF", e),
    })?;
    if doc.is_encrypted() {
        return Err(encrypted());
    }
    let mut walk = Walk {
        doc: &doc,
        unpacked,
        decoders: HashMap::new(),
        out,
    };
    for (_, page) in doc.get_pages() {
        if !walk.out.go_on() {
            break;
        }
        // A page that cannot be read is skipped: the others may be fine.
        let _ = walk.page(page);
        walk.out.newline();
    }
    Ok(())
}

fn encrypted() -> Unreadable {
    Unreadable::new(
        "is password-protected (encrypted); its text is not searched",
        "save a copy without the password (in the PDF reader: Print, Save as PDF), and attach that",
    )
}

/// Images hold no text: their bytes are dropped as the file is read, so a
/// 500-page scan costs no more memory than its file.
fn drop_images(id: ObjectId, object: &mut Object) -> Option<(ObjectId, Object)> {
    if let Object::Stream(s) = object
        && s.dict.get(b"Subtype").and_then(Object::as_name).ok() == Some(b"Image")
    {
        s.content = Vec::new();
    }
    // lopdf 0.47 keeps the object it passed (changed in place) and looks at
    // the answer only for `None`; the tests fail if that changes.
    Some((id, Object::Null))
}

/// How a font's string bytes become text.
enum Decoder<'d> {
    /// A simple font's encoding, or a ToUnicode map (through lopdf).
    Lopdf(Encoding<'d>),
    /// A CID font with one of the predefined CMaps of Chinese text.
    Cmap(&'static TextEncoding),
    /// A CID font without a ToUnicode map (Identity-H): glyph numbers, not characters.
    None,
}

struct Walk<'d, 't> {
    doc: &'d Document,
    unpacked: usize,
    /// Per font dictionary (by address: the document does not change).
    decoders: HashMap<*const Dictionary, Rc<Decoder<'d>>>,
    out: &'t mut Text,
}

/// Where the drawing is: the fonts and forms it may name.
#[derive(Default)]
struct Resources<'d> {
    fonts: HashMap<Vec<u8>, &'d Dictionary>,
    forms: HashMap<Vec<u8>, ObjectId>,
}

impl<'d> Walk<'d, '_> {
    fn page(&mut self, page: ObjectId) -> lopdf::Result<()> {
        let mut res = Resources::default();
        let (own, inherited) = self.doc.get_page_resources(page)?;
        // Inherited resources first: the page's own win.
        for id in inherited.iter().rev() {
            if let Ok(d) = self.doc.get_dictionary(*id) {
                self.add_resources(&mut res, d);
            }
        }
        if let Some(d) = own {
            self.add_resources(&mut res, d);
        }
        let content = self.doc.get_page_content_with_limit(page, self.unpacked)?;
        let mut seen = HashSet::new();
        self.draw(&content, &res, 0, &mut seen)
    }

    fn add_resources(&self, res: &mut Resources<'d>, dict: &'d Dictionary) {
        let doc = self.doc;
        let entries = |key: &[u8]| {
            dict.get_deref(key, doc)
                .and_then(Object::as_dict)
                .into_iter()
                .flat_map(|d| d.iter())
        };
        for (name, font) in entries(b"Font") {
            if let Ok(f) = doc.dereference(font).and_then(|(_, o)| o.as_dict()) {
                res.fonts.insert(name.clone(), f);
            }
        }
        for (name, x) in entries(b"XObject") {
            if let Ok(id) = x.as_reference() {
                res.forms.insert(name.clone(), id);
            }
        }
    }

    /// Walks one content stream (a page's, or a form's).
    fn draw(
        &mut self,
        content: &[u8],
        res: &Resources<'d>,
        depth: usize,
        seen: &mut HashSet<ObjectId>,
    ) -> lopdf::Result<()> {
        let ops = Content::decode(content)?.operations;
        let mut font: Option<Rc<Decoder<'d>>> = None;
        let mut line_y: Option<f32> = None;
        for op in &ops {
            if !self.out.go_on() {
                return Ok(());
            }
            let num = |i: usize| op.operands.get(i).and_then(|o| o.as_float().ok());
            match op.operator.as_str() {
                "Tf" => {
                    font = op
                        .operands
                        .first()
                        .and_then(|o| o.as_name().ok())
                        .and_then(|n| res.fonts.get(n))
                        .map(|f| self.decoder(f));
                }
                "Tj" => self.show(font.as_deref(), &op.operands),
                "TJ" => {
                    if let Some(Ok(items)) = op.operands.first().map(Object::as_array) {
                        self.show(font.as_deref(), items);
                    }
                }
                "'" => {
                    self.out.newline();
                    self.show(font.as_deref(), &op.operands);
                }
                "\"" => {
                    self.out.newline();
                    self.show(font.as_deref(), op.operands.get(2..).unwrap_or(&[]));
                }
                "ET" | "T*" => self.out.newline(),
                "Td" | "TD" if num(1).is_some_and(|ty| ty != 0.0) => self.out.newline(),
                "Tm" => {
                    // A text matrix on another line starts a new line.
                    let y = num(5);
                    if line_y.is_some() && y != line_y {
                        self.out.newline();
                    }
                    line_y = y;
                }
                "Do" if depth < MAX_DEPTH => {
                    let name = op.operands.first().and_then(|o| o.as_name().ok());
                    if let Some(&id) = name.and_then(|n| res.forms.get(n))
                        && seen.insert(id)
                    {
                        // A form that cannot be read is skipped like a page.
                        let _ = self.form(id, res, depth, seen);
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Walks a form XObject: its content with its own resources, else the caller's.
    fn form(
        &mut self,
        id: ObjectId,
        outer: &Resources<'d>,
        depth: usize,
        seen: &mut HashSet<ObjectId>,
    ) -> lopdf::Result<()> {
        let stream = self.doc.get_object(id)?.as_stream()?;
        if stream.dict.get(b"Subtype").and_then(Object::as_name).ok() != Some(b"Form") {
            return Ok(());
        }
        let content = stream.get_plain_content_with_limit(self.unpacked)?;
        let own = stream
            .dict
            .get_deref(b"Resources", self.doc)
            .and_then(Object::as_dict);
        match own {
            Ok(d) => {
                let mut res = Resources::default();
                self.add_resources(&mut res, d);
                self.draw(&content, &res, depth + 1, seen)
            }
            Err(_) => self.draw(&content, outer, depth + 1, seen),
        }
    }

    /// Shows strings (and, in a TJ array, the spacing between them).
    fn show(&mut self, font: Option<&Decoder<'d>>, items: &[Object]) {
        let Some(font) = font else { return };
        for item in items {
            match item {
                Object::String(bytes, _) => {
                    let text = match font {
                        Decoder::Lopdf(enc) => enc.bytes_to_string(bytes).unwrap_or_default(),
                        Decoder::Cmap(enc) => enc.decode_without_bom_handling(bytes).0.into_owned(),
                        Decoder::None => {
                            self.out.not_decoded(bytes.len().div_ceil(2));
                            continue;
                        }
                    };
                    self.out.push(&text);
                }
                // A gap wider than about a sixth of the font size separates words.
                Object::Integer(_) | Object::Real(_)
                    if item.as_float().is_ok_and(|gap| gap < -150.0) =>
                {
                    self.out.push(" ");
                }
                _ => {}
            }
        }
    }

    fn decoder(&mut self, font: &'d Dictionary) -> Rc<Decoder<'d>> {
        let key = font as *const Dictionary;
        if let Some(d) = self.decoders.get(&key) {
            return d.clone();
        }
        let d = Rc::new(decoder(self.doc, font, self.unpacked));
        self.decoders.insert(key, d.clone());
        d
    }
}

/// A font's decoder: its ToUnicode map first (PDF 32000-1, 9.10.2), then the
/// CMap a CID font names, then a simple font's encoding.
fn decoder<'d>(doc: &'d Document, font: &'d Dictionary, limit: usize) -> Decoder<'d> {
    if font.has(b"ToUnicode") {
        // lopdf reads the ToUnicode map of a font without /Encoding: ask it
        // about the font with only that map.
        let mut only_map = Dictionary::new();
        only_map.set("Type", Object::Name(b"Font".to_vec()));
        if let Ok(m) = font.get(b"ToUnicode") {
            only_map.set("ToUnicode", m.clone());
        }
        if let Ok(Encoding::UnicodeMapEncoding(map)) =
            only_map.get_font_encoding_with_limit(doc, limit)
        {
            return Decoder::Lopdf(Encoding::UnicodeMapEncoding(map));
        }
    }
    let subtype = font.get(b"Subtype").and_then(Object::as_name).ok();
    if subtype == Some(b"Type0") {
        let cmap = font.get(b"Encoding").and_then(Object::as_name).ok();
        return match cmap.and_then(predefined_cmap) {
            Some(enc) => Decoder::Cmap(enc),
            None => Decoder::None,
        };
    }
    match font.get_font_encoding_with_limit(doc, limit) {
        Ok(enc) => Decoder::Lopdf(enc),
        Err(_) => Decoder::None,
    }
}

/// The text encoding behind a predefined CMap of Chinese (PDF 32000-1, table
/// 118): what older Chinese PDFs with fonts that are not embedded use.
fn predefined_cmap(name: &[u8]) -> Option<&'static TextEncoding> {
    let name = std::str::from_utf8(name).ok()?;
    let base = name
        .strip_suffix("-H")
        .or_else(|| name.strip_suffix("-V"))
        .unwrap_or(name);
    match base {
        "GB-EUC" | "GBpc-EUC" | "GBK-EUC" | "GBKp-EUC" | "GBK2K" => Some(GB18030),
        "B5pc" | "ETen-B5" | "HKscs-B5" | "ETenms-B5" => Some(BIG5),
        b if b.starts_with("Uni") && (b.ends_with("UCS2") || b.ends_with("UTF16")) => {
            Some(UTF_16BE)
        }
        _ => None,
    }
}
