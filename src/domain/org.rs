//! Organizations (社会组织 and 第三方评估机构): kinds, registration types, statuses, and the
//! validation of a registration.

use chrono::{Datelike, NaiveDate};

use super::limits;
use super::uscc::{Uscc, UsccError};
use crate::error::FieldErrors;
use crate::i18n::Msg;

str_enum!(
    /// What an uploaded document of an organization or a proposal is (labels: `doc_kind.*`).
    DocKind {
        RegistrationCertificate = "registration_certificate",
        AnnualInspection = "annual_inspection",
        GradeCertificate = "grade_certificate",
        PriorResults = "prior_results",
        Other = "other",
    }
);

str_enum!(
    /// An NGO applying for grants, or a third-party evaluation agency.
    OrgKind { Ngo = "ngo", Agency = "agency" }
);
str_enum!(
    /// 登记类型.
    RegType {
        SocialGroup = "social_group",
        SocialService = "social_service",
        Foundation = "foundation",
        CommunityFiled = "community_filed",
        Enterprise = "enterprise",
    }
);
str_enum!(
    OrgStatus { Pending = "pending", Verified = "verified", Rejected = "rejected" }
);
str_enum!(
    /// 社会组织等级评估.
    Grade { A1 = "1A", A2 = "2A", A3 = "3A", A4 = "4A", A5 = "5A" }
);
str_enum!(
    /// 年检 / 年报 result.
    Inspection {
        Qualified = "qualified",
        BasicallyQualified = "basically_qualified",
        Unqualified = "unqualified",
        NotInspected = "not_inspected",
    }
);

impl RegType {
    /// The type character (position 2) a civil-affairs USCC carries for this type.
    pub fn uscc_type_char(self) -> Option<char> {
        match self {
            RegType::SocialGroup => Some('1'),
            RegType::SocialService => Some('2'),
            RegType::Foundation => Some('3'),
            _ => None,
        }
    }
    pub fn allowed_for(self, kind: OrgKind) -> bool {
        match kind {
            OrgKind::Ngo => self != RegType::Enterprise,
            OrgKind::Agency => self != RegType::CommunityFiled,
        }
    }
}

/// What a person typed into the registration form (or sent as JSON).
#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize, utoipa::ToSchema)]
#[serde(default)]
pub struct OrgInput {
    pub name: String,
    pub reg_type: String,
    pub uscc: String,
    /// The applicant asks an officer to check a code that fails the check character.
    pub uscc_manual_check: bool,
    pub sponsor_org: String,
    /// `YYYY-MM-DD`.
    pub registered_on: String,
    pub reg_authority: String,
    pub legal_rep: String,
    pub contact_name: String,
    pub contact_phone: String,
    pub contact_email: String,
    pub address: String,
    pub district: String,
    pub street: String,
    /// `1A`…`5A` or empty.
    pub grade: String,
    pub grade_date: String,
    pub bank_name: String,
    pub bank_account_name: String,
    pub bank_account_no: String,
    /// Annual inspection results by year.
    pub inspections: Vec<InspectionInput>,
}

#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize, utoipa::ToSchema)]
pub struct InspectionInput {
    pub year: i32,
    pub result: String,
}

/// A registration that passed every rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidOrg {
    pub name: String,
    pub reg_type: RegType,
    pub uscc: Option<String>,
    pub uscc_check_failed: bool,
    pub sponsor_org: Option<String>,
    pub registered_on: Option<NaiveDate>,
    pub reg_authority: String,
    pub legal_rep: String,
    pub contact_name: String,
    pub contact_phone: String,
    pub contact_email: String,
    pub address: String,
    pub district: String,
    pub street: String,
    pub grade: Option<Grade>,
    pub grade_date: Option<NaiveDate>,
    pub bank_name: String,
    pub bank_account_name: String,
    pub bank_account_no: String,
    pub inspections: Vec<(i32, Inspection)>,
}

fn required(errors: &mut FieldErrors, field: &str, value: &str, max: usize) -> String {
    let v = value.trim();
    if v.is_empty() {
        errors.add(field, Msg::new("field.required"));
    } else if limits::char_len(v) > max {
        errors.add(field, limits::too_long(max));
    }
    v.to_string()
}

fn optional(errors: &mut FieldErrors, field: &str, value: &str, max: usize) -> String {
    let v = value.trim();
    if limits::char_len(v) > max {
        errors.add(field, limits::too_long(max));
    }
    v.to_string()
}

fn date(
    errors: &mut FieldErrors,
    field: &str,
    value: &str,
    today: NaiveDate,
    required: bool,
) -> Option<NaiveDate> {
    let v = value.trim();
    if v.is_empty() {
        if required {
            errors.add(field, Msg::new("field.required"));
        }
        return None;
    }
    match NaiveDate::parse_from_str(v, "%Y-%m-%d") {
        Ok(d) if d > today => {
            errors.add(field, Msg::new("field.date_future"));
            None
        }
        Ok(d) => Some(d),
        Err(_) => {
            errors.add(field, Msg::new("field.date_invalid"));
            None
        }
    }
}

/// Mainland mobile (11 digits from 1) or a landline with area code (digits and dashes).
pub fn valid_phone(s: &str) -> bool {
    let digits: String = s.chars().filter(|c| c.is_ascii_digit()).collect();
    let allowed = s
        .chars()
        .all(|c| c.is_ascii_digit() || c == '-' || c == ' ' || c == '+');
    allowed && (7..=15).contains(&digits.len())
}

/// Checks a registration; every problem is reported, field by field.
pub fn validate(
    kind: OrgKind,
    input: &OrgInput,
    today: NaiveDate,
) -> Result<ValidOrg, FieldErrors> {
    let mut e = FieldErrors::new();
    let name = required(&mut e, "name", &input.name, limits::ORG_NAME);
    let reg_type = match RegType::parse(&input.reg_type) {
        Some(t) if t.allowed_for(kind) => Some(t),
        Some(_) => {
            e.add("reg_type", Msg::new("field.reg_type_not_allowed"));
            None
        }
        None => {
            e.add("reg_type", Msg::new("field.required"));
            None
        }
    };

    let filed = reg_type == Some(RegType::CommunityFiled);
    let mut uscc = None;
    let mut uscc_check_failed = false;
    let code = input.uscc.trim();
    if filed {
        if !code.is_empty() {
            e.add("uscc", Msg::new("field.uscc_not_for_filed"));
        }
    } else if code.is_empty() {
        e.add("uscc", Msg::new("field.required"));
    } else {
        match Uscc::parse_shape(code) {
            Err(err) => e.add("uscc", Msg::new(err.key())),
            Ok(u) => {
                let type_ok = match (kind, reg_type.and_then(|t| t.uscc_type_char())) {
                    (OrgKind::Ngo, Some(tc)) => {
                        u.department() == '5' && u.as_str().as_bytes()[1] as char == tc
                    }
                    _ => true,
                };
                let problem = if !u.check_ok() {
                    Some(UsccError::CheckCharacter.key())
                } else if !type_ok {
                    Some("field.uscc_type_mismatch")
                } else {
                    None
                };
                match problem {
                    Some(_) if input.uscc_manual_check => uscc_check_failed = true,
                    Some(key) => e.add("uscc", Msg::new(key)),
                    None => {}
                }
                uscc = Some(u.as_str().to_string());
            }
        }
    }
    let sponsor_org = if filed {
        Some(required(
            &mut e,
            "sponsor_org",
            &input.sponsor_org,
            limits::ORG_NAME,
        ))
    } else {
        None
    };

    let registered_on = date(&mut e, "registered_on", &input.registered_on, today, !filed);
    let reg_authority = required(
        &mut e,
        "reg_authority",
        &input.reg_authority,
        limits::ORG_NAME,
    );
    let legal_rep = if filed {
        optional(&mut e, "legal_rep", &input.legal_rep, limits::PERSON_NAME)
    } else {
        required(&mut e, "legal_rep", &input.legal_rep, limits::PERSON_NAME)
    };
    let contact_name = required(
        &mut e,
        "contact_name",
        &input.contact_name,
        limits::PERSON_NAME,
    );
    let contact_phone = required(&mut e, "contact_phone", &input.contact_phone, limits::PHONE);
    if !contact_phone.is_empty() && !valid_phone(&contact_phone) {
        e.add("contact_phone", Msg::new("field.phone_invalid"));
    }
    let contact_email = match crate::domain::account::parse_email(&input.contact_email) {
        Ok(m) => m,
        Err(m) => {
            e.add("contact_email", m);
            String::new()
        }
    };
    let address = required(&mut e, "address", &input.address, limits::ADDRESS);
    let district = required(&mut e, "district", &input.district, limits::PLACE);
    let street = optional(&mut e, "street", &input.street, limits::PLACE);

    let grade = match input.grade.trim() {
        "" => None,
        g => match Grade::parse(g) {
            Some(g) => Some(g),
            None => {
                e.add("grade", Msg::new("field.choice_invalid"));
                None
            }
        },
    };
    let grade_date = date(
        &mut e,
        "grade_date",
        &input.grade_date,
        today,
        grade.is_some(),
    );
    if grade.is_none() && grade_date.is_some() {
        e.add("grade", Msg::new("field.required"));
    }

    let bank_name = optional(&mut e, "bank_name", &input.bank_name, limits::ORG_NAME);
    let bank_account_name = optional(
        &mut e,
        "bank_account_name",
        &input.bank_account_name,
        limits::ORG_NAME,
    );
    let bank_account_no: String = input
        .bank_account_no
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    if !bank_account_no.is_empty()
        && (!bank_account_no.chars().all(|c| c.is_ascii_digit())
            || !(8..=32).contains(&bank_account_no.len()))
    {
        e.add("bank_account_no", Msg::new("field.bank_account_invalid"));
    }
    let any_bank =
        !bank_name.is_empty() || !bank_account_name.is_empty() || !bank_account_no.is_empty();
    if any_bank {
        for (f, v) in [
            ("bank_name", &bank_name),
            ("bank_account_name", &bank_account_name),
            ("bank_account_no", &bank_account_no),
        ] {
            if v.is_empty() && !e.has(f) {
                e.add(f, Msg::new("field.bank_incomplete"));
            }
        }
    }

    let mut inspections = Vec::new();
    for (i, row) in input.inspections.iter().enumerate() {
        if row.result.trim().is_empty() {
            continue;
        }
        let field = format!("inspections[{i}]");
        if row.year < 1990 || row.year > today.year() {
            e.add(field, Msg::new("field.year_invalid"));
            continue;
        }
        match Inspection::parse(&row.result) {
            Some(r) if inspections.iter().all(|(y, _)| *y != row.year) => {
                inspections.push((row.year, r))
            }
            Some(_) => e.add(field, Msg::new("field.year_duplicate")),
            None => e.add(field, Msg::new("field.choice_invalid")),
        }
    }
    inspections.sort_by_key(|(y, _)| std::cmp::Reverse(*y));

    if !e.is_empty() {
        return Err(e);
    }
    Ok(ValidOrg {
        name,
        reg_type: reg_type.expect("checked above"),
        uscc,
        uscc_check_failed,
        sponsor_org,
        registered_on,
        reg_authority,
        legal_rep,
        contact_name,
        contact_phone,
        contact_email,
        address,
        district,
        street,
        grade,
        grade_date,
        bank_name,
        bank_account_name,
        bank_account_no,
        inspections,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    pub fn sample() -> OrgInput {
        OrgInput {
            name: "苏州市姑苏区阳光社工服务中心".into(),
            reg_type: "social_service".into(),
            uscc: "52320508MJ5000000X".into(),
            registered_on: "2020-05-01".into(),
            reg_authority: "姑苏区民政局".into(),
            legal_rep: "王芳".into(),
            contact_name: "李明".into(),
            contact_phone: "13800138000".into(),
            contact_email: "liming@example.org".into(),
            address: "苏州市姑苏区人民路100号".into(),
            district: "姑苏区".into(),
            street: "平江街道".into(),
            ..Default::default()
        }
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
    }

    fn with_valid_code(mut i: OrgInput) -> OrgInput {
        let c = crate::domain::uscc::check_char(&i.uscc.as_bytes()[..17]).unwrap();
        i.uscc = format!("{}{c}", &i.uscc[..17]);
        i
    }

    #[test]
    fn a_complete_registration_passes() {
        let v = validate(OrgKind::Ngo, &with_valid_code(sample()), today()).unwrap();
        assert_eq!(v.reg_type, RegType::SocialService);
        assert!(!v.uscc_check_failed);
    }

    #[test]
    fn a_bad_check_character_is_a_field_error_unless_manual_check_is_asked() {
        let mut i = with_valid_code(sample());
        let last = i.uscc.pop().unwrap();
        i.uscc.push(if last == '0' { '1' } else { '0' });
        let e = validate(OrgKind::Ngo, &i, today()).unwrap_err();
        assert_eq!(e.0[0].msg.key, "field.uscc_check");
        i.uscc_manual_check = true;
        assert!(
            validate(OrgKind::Ngo, &i, today())
                .unwrap()
                .uscc_check_failed
        );
    }

    #[test]
    fn the_code_must_match_the_registration_type() {
        let mut i = with_valid_code(sample());
        i.reg_type = "foundation".into();
        let e = validate(OrgKind::Ngo, &i, today()).unwrap_err();
        assert_eq!(e.0[0].msg.key, "field.uscc_type_mismatch");
    }

    #[test]
    fn a_filed_community_group_needs_a_sponsor_and_no_code() {
        let mut i = sample();
        i.reg_type = "community_filed".into();
        let e = validate(OrgKind::Ngo, &i, today()).unwrap_err();
        assert!(e.has("uscc") && e.has("sponsor_org"));
        i.uscc.clear();
        i.sponsor_org = "姑苏区社会组织联合会".into();
        i.legal_rep.clear();
        assert!(validate(OrgKind::Ngo, &i, today()).is_ok());
    }

    #[test]
    fn every_problem_is_listed() {
        let i = OrgInput {
            contact_phone: "abc".into(),
            grade: "6A".into(),
            registered_on: "2099-01-01".into(),
            ..Default::default()
        };
        let e = validate(OrgKind::Ngo, &i, today()).unwrap_err();
        for f in [
            "name",
            "reg_type",
            "uscc",
            "registered_on",
            "reg_authority",
            "legal_rep",
            "contact_phone",
            "contact_email",
            "address",
            "district",
            "grade",
        ] {
            assert!(e.has(f), "{f} not reported: {e:?}");
        }
    }

    #[test]
    fn inspections_are_checked_and_sorted() {
        let mut i = with_valid_code(sample());
        i.inspections = vec![
            InspectionInput {
                year: 2024,
                result: "qualified".into(),
            },
            InspectionInput {
                year: 2025,
                result: "basically_qualified".into(),
            },
            InspectionInput {
                year: 2023,
                result: "".into(),
            },
        ];
        let v = validate(OrgKind::Ngo, &i, today()).unwrap();
        assert_eq!(
            v.inspections,
            vec![
                (2025, Inspection::BasicallyQualified),
                (2024, Inspection::Qualified)
            ]
        );
        i.inspections.push(InspectionInput {
            year: 2024,
            result: "unqualified".into(),
        });
        assert!(validate(OrgKind::Ngo, &i, today())
            .unwrap_err()
            .has("inspections[3]"));
    }
}
