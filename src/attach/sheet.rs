//! Spreadsheet text (XLSX) through calamine: each sheet's name, then its
//! cells row by row. Cells are streamed (`worksheet_cells_reader`), never laid
//! out as a whole range: a sheet with one cell at A1 and one at XFD1048576
//! would otherwise ask for seventeen billion cells.

use std::io::Cursor;

use calamine::{DataRef, Reader, Xlsx};

use super::{Text, Unreadable};

pub(super) fn read(bytes: &[u8], out: &mut Text) -> Result<(), Unreadable> {
    let damaged = |e: calamine::XlsxError| Unreadable::damaged("an Excel workbook (.xlsx)", e);
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(damaged)?;
    for name in book.sheet_names() {
        if !out.push(&name) {
            return Ok(());
        }
        out.newline();
        let mut cells = book.worksheet_cells_reader(&name).map_err(damaged)?;
        let mut row = None;
        while let Some(cell) = cells.next_cell().map_err(damaged)? {
            if !out.go_on() {
                return Ok(());
            }
            let text = cell_text(cell.get_value());
            if text.is_empty() {
                continue;
            }
            let r = cell.get_position().0;
            if row.is_some_and(|prev| prev != r) {
                out.newline();
            } else if row.is_some() {
                out.push("\t");
            }
            row = Some(r);
            if !out.push(&text) {
                return Ok(());
            }
        }
        out.newline();
    }
    Ok(())
}

/// A cell as the sheet shows it, as far as that is known without its number format.
fn cell_text(v: &DataRef<'_>) -> String {
    match v {
        DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => s.clone(),
        DataRef::SharedString(s) => (*s).to_string(),
        DataRef::Int(i) => i.to_string(),
        DataRef::Float(f) => f.to_string(),
        DataRef::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
        DataRef::DateTime(d) if d.is_datetime() => {
            let (y, mo, day, h, mi, s, _) = d.to_ymd_hms_milli();
            if (h, mi, s) == (0, 0, 0) {
                format!("{y:04}-{mo:02}-{day:02}")
            } else {
                format!("{y:04}-{mo:02}-{day:02} {h:02}:{mi:02}")
            }
        }
        DataRef::DateTime(d) => d.to_string(),
        DataRef::Error(_) | DataRef::Empty => String::new(),
    }
}
