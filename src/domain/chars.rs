//! Characters no text input may carry: NUL and the other C0 control characters. PostgreSQL
//! cannot store U+0000 in text at all, and the others have no business in a name, a title
//! or a search. Tab, line feed and carriage return stay allowed (browsers send textareas
//! with CRLF line ends).

use crate::error::FieldErrors;
use crate::i18n::Msg;

/// The character is a C0 control other than tab, line feed and carriage return.
pub fn forbidden(c: char) -> bool {
    c < ' ' && !matches!(c, '\t' | '\n' | '\r')
}

/// The text holds a forbidden control character.
pub fn has_forbidden(s: &str) -> bool {
    s.chars().any(forbidden)
}

/// A field name fit to show back: its forbidden characters replaced by U+FFFD.
pub fn printable(field: &str) -> String {
    field
        .chars()
        .map(|c| if forbidden(c) { '\u{fffd}' } else { c })
        .collect()
}

/// Adds the field error for `field` when `value` (or the field's own name) holds a forbidden
/// character; each field is named once.
pub fn check(e: &mut FieldErrors, field: &str, value: &str) {
    if has_forbidden(value) || has_forbidden(field) {
        let field = printable(field);
        if !e.has(&field) {
            e.add(field, Msg::new("field.control_chars"));
        }
    }
}

/// Checks every string of a JSON document, naming each by its path (`content.budget[0].item`).
pub fn check_json(e: &mut FieldErrors, value: &serde_json::Value) {
    walk(e, &mut String::new(), value);
}

fn walk(e: &mut FieldErrors, path: &mut String, value: &serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::String(s) => check(e, path, s),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                walk(e, path, item);
                path.truncate(len);
            }
        }
        Value::Object(map) => {
            for (k, v) in map {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(k);
                if has_forbidden(k) {
                    check(e, path, "");
                } else {
                    walk(e, path, v);
                }
                path.truncate(len);
            }
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn refuses_nul_and_c0_but_keeps_line_ends_and_tabs() {
        assert!(has_forbidden("a\0b"));
        assert!(has_forbidden("\u{1b}[31m"));
        assert!(has_forbidden("\u{7}"));
        assert!(!has_forbidden("第一行\r\n第二行\tend"));
        assert!(!has_forbidden("益创 café ✓"));
    }

    #[test]
    fn json_strings_are_named_by_path() {
        let v = serde_json::json!({
            "version": 1,
            "content": {"title": "a\u{0}b", "budget": [{"item": "ok"}, {"item": "x\u{1}"}]},
            "ok": ["fine\n"]
        });
        let mut e = FieldErrors::new();
        check_json(&mut e, &v);
        let mut fields: Vec<_> = e.0.iter().map(|f| f.field.as_str()).collect();
        fields.sort();
        assert_eq!(fields, vec!["content.budget[1].item", "content.title"]);
    }

    #[test]
    fn a_bad_key_is_named_printably() {
        let mut e = FieldErrors::new();
        check_json(&mut e, &serde_json::json!({"na\u{0}me": "x"}));
        assert_eq!(e.0[0].field, "na\u{fffd}me");
    }

    proptest! {
        #[test]
        fn only_c0_other_than_tab_lf_cr_is_refused(s in "\\PC*", c in 0u32..0x20) {
            prop_assert!(!has_forbidden(&s));
            let c = char::from_u32(c).unwrap();
            let t = format!("{s}{c}");
            prop_assert_eq!(has_forbidden(&t), !matches!(c, '\t' | '\n' | '\r'));
        }
    }
}
