//! Typed columns: the domain's closed sets stored as `Text`, and JSON documents stored as
//! `Text`, both refusing to read a value they do not know instead of guessing a default.
//!
//! The impls are generic over the backend (anything whose `String` reads and `str` writes
//! `Text`), so they serve SQLite, PostgreSQL and the `MultiBackend` of [`super::DbConn`] alike.

use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql, Queryable};
use diesel::expression::AsExpression;
use diesel::serialize::{self, Output, ToSql};
use diesel::sql_types::{Nullable, SingleValue, Text};

/// Makes a `str_enum!`-style type (with `as_str` and `parse`) a `Text` column type: written as
/// its string, read back only if the string is one of its values (an unknown one is a
/// deserialization error naming the type and the value).
macro_rules! text_enum {
    ($($t:ty),+ $(,)?) => {$(
        impl<DB> FromSql<Text, DB> for $t
        where
            DB: Backend,
            String: FromSql<Text, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
                let s = <String as FromSql<Text, DB>>::from_sql(bytes)?;
                <$t>::parse(&s).ok_or_else(|| unknown(stringify!($t), &s))
            }
        }

        impl<DB> ToSql<Text, DB> for $t
        where
            DB: Backend,
            str: ToSql<Text, DB>,
        {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, DB>) -> serialize::Result {
                <str as ToSql<Text, DB>>::to_sql(self.as_str(), out)
            }
        }

        impl<DB, ST> Queryable<ST, DB> for $t
        where
            DB: Backend,
            ST: SingleValue,
            Self: FromSql<ST, DB>,
        {
            type Row = Self;
            fn build(row: Self) -> deserialize::Result<Self> {
                Ok(row)
            }
        }

        impl AsExpression<Text> for $t {
            type Expression = <&'static str as AsExpression<Text>>::Expression;
            fn as_expression(self) -> Self::Expression {
                <&'static str as AsExpression<Text>>::as_expression(self.as_str())
            }
        }
        impl AsExpression<Text> for &$t {
            type Expression = <&'static str as AsExpression<Text>>::Expression;
            fn as_expression(self) -> Self::Expression {
                <&'static str as AsExpression<Text>>::as_expression(self.as_str())
            }
        }
        impl AsExpression<Nullable<Text>> for $t {
            type Expression = <&'static str as AsExpression<Nullable<Text>>>::Expression;
            fn as_expression(self) -> Self::Expression {
                <&'static str as AsExpression<Nullable<Text>>>::as_expression(self.as_str())
            }
        }
        impl AsExpression<Nullable<Text>> for &$t {
            type Expression = <&'static str as AsExpression<Nullable<Text>>>::Expression;
            fn as_expression(self) -> Self::Expression {
                <&'static str as AsExpression<Nullable<Text>>>::as_expression(self.as_str())
            }
        }
    )+};
}

fn unknown(type_name: &str, value: &str) -> Box<dyn std::error::Error + Send + Sync> {
    format!("unknown {type_name} {value:?} stored").into()
}

use crate::domain::{
    account, assignment, award, change, evaluation, org, outbox, project, proposal, report, review,
    round, session, visit,
};

text_enum!(
    account::Role,
    account::UserStatus,
    change::ChangeKind,
    change::ChangeStatus,
    assignment::ReviewStatus,
    assignment::Recommendation,
    award::AwardState,
    award::ObjectionStatus,
    evaluation::Stage,
    evaluation::EvaluationStatus,
    evaluation::Recommendation,
    evaluation::Consequence,
    evaluation::Renewal,
    org::OrgKind,
    org::RegType,
    org::OrgStatus,
    org::Grade,
    org::Inspection,
    org::DocKind,
    outbox::MailKind,
    outbox::OutboxStatus,
    project::ProjectStatus,
    project::RefundKind,
    project::ProjectFileKind,
    project::DocumentKind,
    proposal::ProposalStatus,
    proposal::BudgetCategory,
    proposal::FundingSource,
    review::LineOverride,
    report::BeneficiaryGroup,
    report::ReportKind,
    report::ReportStatus,
    report::TrancheStatus,
    round::RoundStatus,
    round::Aggregation,
    round::TrancheCondition,
    session::SessionKind,
    visit::VisitStatus,
    visit::ChecklistItem,
    visit::CheckResult,
    visit::VisitRating,
    visit::FindingStatus,
);

/// A JSON document in a `Text` column, decoded when the row is read: a document that does not
/// decode as `T` is a deserialization error naming `T`, never a default.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Json<T>(pub T);

impl<T> std::ops::Deref for Json<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> Json<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

/// Decodes a stored document as `T`, with an error naming `T` and serde's reason.
pub fn decode_json<T: serde::de::DeserializeOwned>(
    text: &str,
) -> Result<T, Box<dyn std::error::Error + Send + Sync>> {
    serde_json::from_str(text).map_err(|e| {
        format!(
            "stored JSON is not a valid {}: {e}",
            std::any::type_name::<T>()
        )
        .into()
    })
}

impl<T, DB> FromSql<Text, DB> for Json<T>
where
    DB: Backend,
    String: FromSql<Text, DB>,
    T: serde::de::DeserializeOwned,
{
    fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
        let s = <String as FromSql<Text, DB>>::from_sql(bytes)?;
        decode_json(&s).map(Json)
    }
}

impl<T, DB, ST> Queryable<ST, DB> for Json<T>
where
    DB: Backend,
    ST: SingleValue,
    Self: FromSql<ST, DB>,
{
    type Row = Self;
    fn build(row: Self) -> deserialize::Result<Self> {
        Ok(row)
    }
}

impl<T: serde::Serialize> serde::Serialize for Json<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

#[cfg(test)]
mod tests {
    use diesel::prelude::*;
    use diesel::sql_types::Text;
    use serde_json::Value;

    use super::*;
    use crate::db::DbConn;
    use crate::domain::{account::Role, project::ProjectStatus, round::RoundStatus};

    /// A connection of the app's own type (so the `MultiBackend` impls are the ones tested).
    fn conn() -> DbConn {
        DbConn::Sqlite(diesel::SqliteConnection::establish(":memory:").unwrap())
    }

    fn stored<T>(c: &mut DbConn, text: &str) -> QueryResult<T>
    where
        T: Queryable<Text, crate::db::MultiBackend> + 'static,
        T: diesel::deserialize::FromSqlRow<Text, crate::db::MultiBackend>,
    {
        diesel::select(
            diesel::dsl::sql::<Text>("CAST(")
                .bind::<Text, _>(text.to_string())
                .sql(" AS TEXT)"),
        )
        .get_result::<T>(c)
    }

    macro_rules! round_trips {
        ($c:expr, $($t:ty),+) => {$(
            for &v in <$t>::ALL {
                let written: String = diesel::select(
                    diesel::dsl::sql::<Text>("CAST(").bind::<Text, _>(v).sql(" AS TEXT)"),
                )
                .get_result($c)
                .unwrap();
                assert_eq!(written, v.as_str());
                assert_eq!(stored::<$t>($c, v.as_str()).unwrap(), v);
            }
        )+};
    }

    #[test]
    fn every_value_is_written_as_its_string_and_read_back() {
        let c = &mut conn();
        round_trips!(
            c,
            RoundStatus,
            ProjectStatus,
            crate::domain::proposal::ProposalStatus,
            crate::domain::assignment::ReviewStatus,
            crate::domain::evaluation::EvaluationStatus,
            crate::domain::org::OrgStatus,
            crate::domain::session::SessionKind,
            crate::domain::org::DocKind,
            crate::domain::project::ProjectFileKind,
            crate::domain::outbox::MailKind
        );
        for &r in Role::ALL.iter() {
            assert_eq!(stored::<Role>(c, r.as_str()).unwrap(), r);
        }
        let none: Option<RoundStatus> = diesel::select(diesel::dsl::sql::<
            diesel::sql_types::Nullable<Text>,
        >("NULL"))
        .get_result(c)
        .unwrap();
        assert_eq!(none, None);
    }

    /// The error as the app logs it: with its causes (diesel keeps the type and the value in
    /// the cause of "Error deserializing field").
    fn with_causes(e: &diesel::result::Error) -> String {
        crate::error::AppError::unexpected("database", e).to_string()
    }

    #[test]
    fn an_unknown_stored_value_is_an_error_naming_type_and_value() {
        let c = &mut conn();
        let err = with_causes(&stored::<RoundStatus>(c, "opne").map(|_| ()).unwrap_err());
        assert!(err.contains("RoundStatus") && err.contains("opne"), "{err}");
        // An unknown role is not silently an NGO member.
        let err = with_causes(&stored::<Role>(c, "root").map(|_| ()).unwrap_err());
        assert!(err.contains("Role") && err.contains("root"), "{err}");
        let err = with_causes(
            &stored::<crate::domain::outbox::MailKind>(c, "newsletter")
                .map(|_| ())
                .unwrap_err(),
        );
        assert!(
            err.contains("MailKind") && err.contains("newsletter"),
            "{err}"
        );
        let err = with_causes(
            &stored::<Json<crate::domain::round::RoundRules>>(c, "{\"tranches\": 3}")
                .map(|_| ())
                .unwrap_err(),
        );
        assert!(err.contains("RoundRules"), "{err}");
    }

    /// Every key and value of `frozen` is in `now` (new fields may be added, none renamed,
    /// removed or retyped).
    fn keeps(frozen: &Value, now: &Value, path: &str) {
        match (frozen, now) {
            (Value::Object(f), Value::Object(n)) => {
                for (k, v) in f {
                    let got = n.get(k).unwrap_or_else(|| panic!("{path}.{k} is gone"));
                    keeps(v, got, &format!("{path}.{k}"));
                }
            }
            (Value::Array(f), Value::Array(n)) => {
                assert_eq!(f.len(), n.len(), "{path} length");
                for (i, (a, b)) in f.iter().zip(n).enumerate() {
                    keeps(a, b, &format!("{path}[{i}]"));
                }
            }
            _ => assert_eq!(frozen, now, "{path}"),
        }
    }

    fn frozen<T: serde::de::DeserializeOwned + serde::Serialize>(name: &str, text: &str) {
        let decoded: T = decode_json(text).unwrap_or_else(|e| panic!("{name}: {e}"));
        let frozen: Value = serde_json::from_str(text).unwrap();
        keeps(&frozen, &serde_json::to_value(&decoded).unwrap(), name);
    }

    #[test]
    fn the_stored_shapes_of_today_still_decode_whole() {
        use crate::domain::{assignment, evaluation, proposal, report, round};
        frozen::<round::RoundRules>(
            "round_rules",
            include_str!("../../tests/fixtures/json/round_rules.json"),
        );
        frozen::<proposal::ProposalContent>(
            "proposal_content",
            include_str!("../../tests/fixtures/json/proposal_content.json"),
        );
        frozen::<Vec<assignment::CriterionScore>>(
            "review_scores",
            include_str!("../../tests/fixtures/json/review_scores.json"),
        );
        frozen::<Vec<assignment::Affiliation>>(
            "affiliations",
            include_str!("../../tests/fixtures/json/affiliations.json"),
        );
        frozen::<report::ReportContent>(
            "report_content",
            include_str!("../../tests/fixtures/json/report_content.json"),
        );
        frozen::<evaluation::EvaluationContent>(
            "evaluation_content",
            include_str!("../../tests/fixtures/json/evaluation_content.json"),
        );
    }

    #[test]
    fn a_field_missing_from_stored_rules_takes_its_default_and_keeps_the_rest() {
        let rules: crate::domain::round::RoundRules =
            decode_json("{\"reviewers_per_proposal\": 3}").unwrap();
        let defaults = crate::domain::round::RoundRules::default();
        assert_eq!(rules.reviewers_per_proposal, 3);
        assert_eq!(rules.review_criteria, defaults.review_criteria);
        assert_eq!(rules.grade_bands, defaults.grade_bands);
    }
}
