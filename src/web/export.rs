//! Files people download: export tables (xlsx and CSV with typed cells) and the one
//! `Content-Disposition` every download is sent with.
//!
//! An export is a [`Table`]: a header and rows of [`Cell`]s that know what they hold, so the
//! xlsx writes money as a number of yuan formatted `¥#,##0.00`, scores as numbers with one
//! decimal and ranks and counts as integers (Excel can sum and sort them), while the CSV
//! writes the same values as plain text.

use actix_web::http::header;
use actix_web::HttpResponse;

use crate::error::AppError;

/// One value of an export.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    /// Money in fen, written as yuan.
    Money(i64),
    /// A score in tenths of a point, written with one decimal.
    Tenths(i32),
    /// A rank, a count.
    Int(i64),
    Empty,
}

impl Cell {
    pub fn text(s: impl Into<String>) -> Cell {
        Cell::Text(s.into())
    }

    /// The value as CSV writes it (no grouping, no currency sign: spreadsheets parse it).
    pub fn plain(&self) -> String {
        match self {
            Cell::Text(s) => s.clone(),
            Cell::Money(fen) => crate::domain::money::Fen(*fen).yuan_input(),
            Cell::Tenths(t) => crate::domain::review::tenths_text(*t),
            Cell::Int(n) => n.to_string(),
            Cell::Empty => String::new(),
        }
    }
}

impl From<String> for Cell {
    fn from(s: String) -> Cell {
        Cell::Text(s)
    }
}

/// A header and its rows.
#[derive(Debug, Clone, Default)]
pub struct Table {
    pub header: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
    /// Lines written after the rows and an empty line, outside the filter (the rule the
    /// table was drawn by, …).
    pub notes: Vec<Vec<String>>,
}

impl Table {
    /// The rows as text (for a PDF table).
    pub fn plain_rows(&self) -> Vec<Vec<String>> {
        self.rows
            .iter()
            .map(|r| r.iter().map(Cell::plain).collect())
            .collect()
    }
}

fn unexpected(e: impl std::fmt::Display) -> AppError {
    AppError::Unexpected(e.to_string())
}

/// The table as CSV with a BOM (so that spreadsheet programs read Chinese text as UTF-8).
pub fn to_csv(table: &Table) -> Result<Vec<u8>, AppError> {
    let mut out = vec![0xEF, 0xBB, 0xBF];
    {
        // Notes may have fewer fields than the rows.
        let mut w = csv::WriterBuilder::new()
            .flexible(true)
            .from_writer(&mut out);
        w.write_record(&table.header).map_err(unexpected)?;
        for r in &table.rows {
            w.write_record(r.iter().map(Cell::plain))
                .map_err(unexpected)?;
        }
        if !table.notes.is_empty() {
            w.write_record([""]).map_err(unexpected)?;
        }
        for n in &table.notes {
            w.write_record(n).map_err(unexpected)?;
        }
        w.flush().map_err(unexpected)?;
    }
    Ok(out)
}

/// The number format of money cells.
pub const MONEY_FORMAT: &str = "¥#,##0.00";

/// The table as one xlsx sheet: typed cells, a bold header row that stays in view when
/// scrolling, and the autofilter over the header.
pub fn to_xlsx(sheet_name: &str, table: &Table) -> Result<Vec<u8>, AppError> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name(sheet_name.chars().take(31).collect::<String>())
        .map_err(unexpected)?;
    let bold = Format::new().set_bold();
    let money = Format::new().set_num_format(MONEY_FORMAT);
    let tenths = Format::new().set_num_format("0.0");
    let int = Format::new().set_num_format("0");
    for (c, h) in table.header.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, h, &bold)
            .map_err(unexpected)?;
    }
    for (r, row) in table.rows.iter().enumerate() {
        let r = r as u32 + 1;
        for (c, v) in row.iter().enumerate() {
            let c = c as u16;
            match v {
                Cell::Text(s) => ws.write_string(r, c, s).map(|_| ()),
                Cell::Money(fen) => ws
                    .write_number_with_format(r, c, *fen as f64 / 100.0, &money)
                    .map(|_| ()),
                Cell::Tenths(t) => ws
                    .write_number_with_format(r, c, f64::from(*t) / 10.0, &tenths)
                    .map(|_| ()),
                Cell::Int(n) => ws
                    .write_number_with_format(r, c, *n as f64, &int)
                    .map(|_| ()),
                Cell::Empty => Ok(()),
            }
            .map_err(unexpected)?;
        }
    }
    let notes_from = table.rows.len() as u32 + 2;
    for (r, note) in table.notes.iter().enumerate() {
        for (c, v) in note.iter().enumerate() {
            ws.write_string(notes_from + r as u32, c as u16, v)
                .map_err(unexpected)?;
        }
    }
    if !table.header.is_empty() {
        ws.set_freeze_panes(1, 0).map_err(unexpected)?;
        let last_row = table.rows.len() as u32;
        ws.autofilter(0, 0, last_row, table.header.len() as u16 - 1)
            .map_err(unexpected)?;
    }
    ws.autofit();
    wb.save_to_buffer().map_err(unexpected)
}

pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
pub const CSV: &str = "text/csv; charset=utf-8";
pub const PDF: &str = "application/pdf";

/// A file name safe in every file system: path separators and the characters Windows
/// refuses become `_`, control characters go.
fn safe_name(name: &str) -> String {
    name.chars()
        .filter(|c| !c.is_control())
        .map(|c| match c {
            '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|' => '_',
            c => c,
        })
        .collect::<String>()
        .trim()
        .to_string()
}

/// The `Content-Disposition` value of a download named `filename` (any script), with
/// `fallback` (ASCII) for clients that do not read RFC 6266's `filename*`.
pub fn content_disposition(fallback: &str, filename: &str) -> String {
    let fallback: String = fallback
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let name = safe_name(filename);
    let name = if name.is_empty() {
        fallback.clone()
    } else {
        name
    };
    let encoded = url::form_urlencoded::byte_serialize(name.as_bytes())
        .collect::<String>()
        .replace('+', "%20");
    format!("attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}

/// Every download (exports, PDFs, stored files) goes out through this.
pub fn download(
    bytes: Vec<u8>,
    content_type: &str,
    fallback: &str,
    filename: &str,
) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(content_type.to_string())
        .insert_header((
            header::CONTENT_DISPOSITION,
            content_disposition(fallback, filename),
        ))
        .body(bytes)
}

/// The name of a download: `<subject>-<what>.<ext>` (`2027年姑苏区公益创投大赛-排名.xlsx`).
pub fn file_name(subject: &str, what: &str, ext: &str) -> String {
    format!("{subject}-{what}.{ext}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_disposition_carries_both_names() {
        let d = content_disposition("ranking-3.xlsx", "2027年 姑苏/区-排名.xlsx");
        assert_eq!(
            d,
            "attachment; filename=\"ranking-3.xlsx\"; \
             filename*=UTF-8''2027%E5%B9%B4%20%E5%A7%91%E8%8B%8F_%E5%8C%BA-%E6%8E%92%E5%90%8D.xlsx"
        );
        // A fallback is never anything but ASCII without quotes.
        let d = content_disposition("a\"b 名.pdf", "");
        assert!(d.starts_with("attachment; filename=\"a_b__.pdf\""), "{d}");
    }

    #[test]
    fn csv_writes_the_plain_values() {
        let t = Table {
            header: vec!["a".into(), "b".into(), "c".into(), "d".into()],
            rows: vec![vec![
                Cell::Money(123_456),
                Cell::Tenths(517),
                Cell::Int(3),
                Cell::text("x"),
            ]],
            notes: vec![vec!["rule".into(), "all".into()]],
        };
        let bytes = to_csv(&t).unwrap();
        let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
        assert_eq!(text, "a,b,c,d\n1234.56,51.7,3,x\n\"\"\nrule,all\n");
    }
}
