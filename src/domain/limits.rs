//! How long each text a person types may be, in characters (not bytes). Each limit is one
//! constant, used by the validation (a field-level 422 naming the field) and by the page
//! (`maxlength` and a visible hint beside the field), so the two cannot drift.
//!
//! The urlencoded form body limit ([`FORM_BODY_MAX_BYTES`]) sits well above the sum of any
//! form's field limits, so only abuse meets it.

use crate::error::{AppError, FieldErrors};
use crate::i18n::Msg;

/// A person's name (account, invitation, objection, project lead, contacts).
pub const PERSON_NAME: usize = 60;
/// An email address.
pub const EMAIL: usize = 254;
/// A phone number.
pub const PHONE: usize = 40;
/// Titles of proposals and rounds.
pub const TITLE: usize = 100;
/// An organization's or bureau's name, and other names of institutions.
pub const ORG_NAME: usize = 100;
/// A postal address.
pub const ADDRESS: usize = 200;
/// A district or street.
pub const PLACE: usize = 60;
/// A proposal's summary.
pub const SUMMARY: usize = 2000;
/// The long parts of a proposal (need analysis, activities).
pub const PROPOSAL_NARRATIVE: usize = 10_000;
/// A proposal's team.
pub const TEAM: usize = 5000;
/// Shorter descriptions (target group, service area, indirect beneficiaries).
pub const DESCRIPTION: usize = 2000;
/// One cell of a table row (budget item, milestone, beneficiary group, affiliation).
pub const ROW_TEXT: usize = 200;
/// A round's description and other long texts written by staff.
pub const LONG_TEXT: usize = 20_000;
/// A report's narrative and an evaluation's findings.
pub const REPORT_NARRATIVE: usize = 20_000;
/// The lines of a round's lists (categories, criteria, grade bands), as typed.
pub const RULE_LINES: usize = 5000;
/// Reasons, notes and short comments given with a decision.
pub const REASON: usize = 1000;
/// A reviewer's comments.
pub const REVIEW_COMMENT: usize = 2000;
/// An objection's reasons.
pub const OBJECTION_REASON: usize = 4000;
/// A payment voucher number.
pub const VOUCHER_NO: usize = 60;
/// A search box.
pub const SEARCH: usize = 100;
/// The holiday calendar, as typed by an administrator.
pub const CALENDAR_TEXT: usize = 20_000;

/// The largest urlencoded form body. A character takes at most 9 bytes urlencoded (a
/// three-byte UTF-8 character as `%XX%XX%XX`; `maxlength` counts a four-byte one as two),
/// so even the largest form at its limits stays well under this.
pub const FORM_BODY_MAX_BYTES: usize = 1024 * 1024;
/// The largest JSON body of the API.
pub const JSON_BODY_MAX_BYTES: usize = 1024 * 1024;

/// The length as the limits count it: characters, with a typed line break (`\r\n`, as
/// browsers send it) counted once, as `maxlength` counts it.
pub fn char_len(s: &str) -> usize {
    s.chars().count() - s.matches("\r\n").count()
}

/// The "too long" message for a limit.
pub fn too_long(max: usize) -> Msg {
    Msg::new("field.too_long").arg("max", max)
}

/// Adds a field error when `value` is longer than `max`.
pub fn check(e: &mut FieldErrors, field: &str, value: &str, max: usize) {
    if char_len(value) > max {
        e.add(field, too_long(max));
    }
}

/// A field error (422) when `value` is longer than `max`.
pub fn within(field: &str, value: &str, max: usize) -> Result<(), AppError> {
    let mut e = FieldErrors::new();
    check(&mut e, field, value, max);
    e.into_result()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_counts_characters_and_a_line_break_once() {
        assert_eq!(char_len("益创"), 2);
        assert_eq!(char_len("a\r\nb"), 3);
        assert_eq!(char_len("a\nb"), 3);
        let mut e = FieldErrors::new();
        check(&mut e, "title", &"字".repeat(TITLE), TITLE);
        assert!(e.is_empty());
        check(&mut e, "title", &"字".repeat(TITLE + 1), TITLE);
        assert!(e.has("title"));
    }

    /// Every form at its field limits fits in the form body limit, with room to spare.
    #[test]
    fn the_largest_forms_fit_in_the_body_limit() {
        let forms: [(&str, usize); 5] = [
            // A round: title, description, the rule lists (categories, two criteria, bands),
            // tie break and a few numbers.
            ("round", TITLE + LONG_TEXT + 4 * RULE_LINES + REASON + 400),
            // A proposal's longest section: need analysis, target group, service area.
            ("need", PROPOSAL_NARRATIVE + 2 * DESCRIPTION),
            // A budget of 200 lines.
            ("budget", 200 * (ROW_TEXT + 40)),
            // A report: narrative, and a spending line with its reason per budget line.
            ("report", REPORT_NARRATIVE + 200 * (ROW_TEXT + 40) + 200),
            ("calendar", CALENDAR_TEXT),
        ];
        for (name, chars) in forms {
            assert!(
                chars * 9 <= FORM_BODY_MAX_BYTES * 3 / 4,
                "{name}: {chars} characters may not fit"
            );
        }
    }
}
