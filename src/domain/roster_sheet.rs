//! Rosters as spreadsheets: the template an organization downloads (rust_xlsxwriter) and the
//! reading of a filled one (calamine), bounded in size and rows, every row's cells turned
//! into the text [`super::roster::check_lines`] checks so a cell's problem names its row.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};

use super::report::BeneficiaryGroup;
use super::roster::{IdentityRule, RosterInput, RosterRules, MAX_LINES};
use crate::error::FieldErrors;
use crate::i18n::{t, Lang, Msg};

/// The largest roster workbook accepted (a full 5,000-line roster is about 250 KB).
pub const MAX_BYTES: usize = 2 * 1024 * 1024;

/// The columns, in order (locale keys of their headers).
pub const COLUMNS: [&str; 6] = [
    "roster.col_name",
    "roster.col_group",
    "roster.col_id_kind",
    "roster.col_id_number",
    "roster.col_first_served",
    "roster.col_person_times",
];

/// The template: the header row, one example line, and a second sheet explaining the columns
/// and listing the groups. The number column is text, so ID numbers keep all 18 characters.
pub fn template(lang: Lang, rules: &RosterRules) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    let text = Format::new().set_num_format("@");
    let ws = wb.add_worksheet();
    ws.set_name(t(lang, "roster.sheet_name"))?;
    for (c, key) in COLUMNS.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, t(lang, key), &bold)?;
        ws.set_column_width(c as u16, if c == 3 { 24 } else { 14 })?;
    }
    ws.set_column_format(2, &text)?;
    ws.set_column_format(3, &text)?;
    ws.set_column_format(4, &text)?;
    ws.set_freeze_panes(1, 0)?;
    let help = wb.add_worksheet();
    help.set_name(t(lang, "roster.sheet_help"))?;
    help.set_column_width(0, 28)?;
    help.set_column_width(1, 60)?;
    let mut r = 0u32;
    for line in t(lang, "roster.sheet_help_text").lines() {
        help.write_string(r, 0, line)?;
        r += 1;
    }
    let identity = t(lang, rules.identity.label_key());
    help.write_string(r, 0, t(lang, "round.roster_identity"))?;
    help.write_string(r, 1, identity)?;
    if rules.identity != IdentityRule::NoIdentity {
        r += 1;
        help.write_string(r, 0, t(lang, "round.roster_identity_required"))?;
        help.write_string(
            r,
            1,
            t(
                lang,
                if rules.identity_required {
                    "roster.yes"
                } else {
                    "roster.no"
                },
            ),
        )?;
    }
    r += 2;
    help.write_string_with_format(r, 0, t(lang, "roster.col_group"), &bold)?;
    for g in BeneficiaryGroup::ALL {
        r += 1;
        help.write_string(r, 0, t(lang, g.label_key()))?;
        help.write_string(r, 1, g.as_str())?;
    }
    wb.save_to_buffer()
}

/// A cell as the text a person would have typed.
fn cell_text(d: &Data) -> String {
    match d {
        Data::Empty | Data::Error(_) => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.trim().to_string(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(dt) => excel_date(dt.as_f64())
            .map(|d| d.to_string())
            .unwrap_or_default(),
    }
}

/// An Excel serial date (1900 system, days since 1899-12-30 for every date after
/// February 1900).
fn excel_date(serial: f64) -> Option<chrono::NaiveDate> {
    if !(1.0..2_958_466.0).contains(&serial) {
        return None;
    }
    chrono::NaiveDate::from_ymd_opt(1899, 12, 30)?
        .checked_add_days(chrono::Days::new(serial.floor() as u64))
}

/// Reads a filled template: the first sheet, the header row skipped, one input line per
/// row (blank rows kept as blank inputs, so field errors keep their row numbers: input `i` is
/// sheet row `i + 2`). Refused whole when it is not an xlsx workbook, too large, or too long.
pub fn read(bytes: &[u8]) -> Result<Vec<RosterInput>, FieldErrors> {
    let refuse = |key: &'static str| {
        let mut e = FieldErrors::new();
        e.add(
            "file",
            Msg::new(key)
                .arg("max", MAX_LINES)
                .arg("mb", MAX_BYTES / 1024 / 1024),
        );
        e
    };
    if bytes.is_empty() {
        return Err(refuse("field.file_required"));
    }
    if bytes.len() > MAX_BYTES {
        return Err(refuse("roster.sheet_too_large"));
    }
    let mut wb: Xlsx<_> =
        Xlsx::new(Cursor::new(bytes)).map_err(|_| refuse("roster.sheet_unreadable"))?;
    let range = match wb.worksheet_range_at(0) {
        Some(Ok(r)) => r,
        _ => return Err(refuse("roster.sheet_unreadable")),
    };
    // Rows are counted from the sheet's first row (A1), whatever the first used cell is.
    let (first_row, first_col) = range.start().unwrap_or((0, 0));
    if range.height() + first_row as usize > MAX_LINES + 1 {
        return Err(refuse("roster.too_many_lines"));
    }
    let mut out: Vec<RosterInput> = Vec::new();
    for (i, row) in range.rows().enumerate() {
        let sheet_row = first_row as usize + i;
        if sheet_row == 0 {
            continue;
        }
        let cell = |c: usize| -> String {
            let idx = c.checked_sub(first_col as usize);
            idx.and_then(|i| row.get(i))
                .map(cell_text)
                .unwrap_or_default()
        };
        while out.len() + 1 < sheet_row {
            out.push(RosterInput::default());
        }
        out.push(RosterInput {
            name: cell(0),
            group: cell(1),
            id_kind: cell(2),
            id_number: cell(3),
            first_served: cell(4),
            person_times: cell(5),
            keep: None,
        });
    }
    while out.last().is_some_and(RosterInput::is_blank) {
        out.pop();
    }
    if out.iter().all(RosterInput::is_blank) {
        return Err(refuse("roster.sheet_empty"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::roster::{check_lines, RosterFrame};

    fn sheet(rows: &[[&str; 6]]) -> Vec<u8> {
        let mut wb = rust_xlsxwriter::Workbook::new();
        let ws = wb.add_worksheet();
        for (r, row) in rows.iter().enumerate() {
            for (c, v) in row.iter().enumerate() {
                if v.is_empty() {
                    continue;
                }
                match v.parse::<f64>() {
                    Ok(n) if c != 3 || v.len() < 15 => {
                        ws.write_number(r as u32, c as u16, n).unwrap();
                    }
                    _ => {
                        ws.write_string(r as u32, c as u16, *v).unwrap();
                    }
                }
            }
        }
        wb.save_to_buffer().unwrap()
    }

    #[test]
    fn the_template_reads_back_as_an_empty_roster() {
        let bytes = template(Lang::Zh, &RosterRules::default()).unwrap();
        let e = read(&bytes).unwrap_err();
        assert_eq!(e.0[0].msg.key, "roster.sheet_empty");
    }

    #[test]
    fn rows_become_lines_and_bad_cells_name_their_sheet_row() {
        let bytes = sheet(&[
            [
                "姓名",
                "类别",
                "证件类型",
                "号码",
                "首次服务日期",
                "服务人次",
            ],
            ["张三", "老年人", "", "13812345678", "2027-03-02", "3"],
            ["", "", "", "", "", ""],
            [
                "李四",
                "elderly",
                "身份证",
                "11010519491231002X",
                "2027/03/05",
                "2",
            ],
            ["王五", "elderly", "", "1381234567", "2027-03-05", "1"],
        ]);
        let lines = read(&bytes).unwrap();
        assert_eq!(lines.len(), 4);
        assert_eq!(
            lines[0].id_number, "13812345678",
            "a number cell reads as digits"
        );
        assert!(lines[1].is_blank());
        let rules = RosterRules::default();
        let frame = RosterFrame {
            rules: &rules,
            earliest: "2027-03-01".parse().unwrap(),
            latest: "2027-06-30".parse().unwrap(),
            first_row: 2,
        };
        let e = check_lines(&lines, frame, &[]).unwrap_err();
        assert_eq!(e.0.len(), 1);
        assert_eq!(e.0[0].field, "roster.3.id_number");
        assert_eq!(
            e.0[0].msg.render(Lang::Zh),
            "第 5 行：手机号码格式不正确，应为 11 位数字，如 13812345678。"
        );
        assert_eq!(check_lines(&lines[..3], frame, &[]).unwrap().len(), 2);
    }

    #[test]
    fn what_is_not_a_workbook_or_too_long_is_refused() {
        assert_eq!(
            read(b"name,group\n").unwrap_err().0[0].msg.key,
            "roster.sheet_unreadable"
        );
        assert_eq!(read(b"").unwrap_err().0[0].msg.key, "field.file_required");
        let mut rows = vec![["张三", "elderly", "", "", "2027-03-02", "1"]; MAX_LINES + 1];
        rows.insert(0, ["h"; 6]);
        assert_eq!(
            read(&sheet(&rows)).unwrap_err().0[0].msg.key,
            "roster.too_many_lines"
        );
    }

    #[test]
    fn excel_dates_are_calendar_dates() {
        assert_eq!(excel_date(46_082.0), "2026-03-01".parse().ok());
        assert_eq!(excel_date(0.0), None);
    }
}
