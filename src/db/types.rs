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
    account, assignment, award, evaluation, org, project, proposal, report, round, session,
};

text_enum!(
    account::Role,
    account::UserStatus,
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
    project::ProjectStatus,
    proposal::ProposalStatus,
    proposal::BudgetCategory,
    proposal::FundingSource,
    report::BeneficiaryGroup,
    report::ReportKind,
    report::ReportStatus,
    report::TrancheStatus,
    round::RoundStatus,
    round::Aggregation,
    round::TrancheCondition,
    session::SessionKind,
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
