//! Queries of the user aggregate (accounts, bureaus).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{bureaus, organizations, users};
use super::{now, DbConn, PageReq, Paged};
use crate::auth::policy::Actor;
use crate::domain::account::{Role, UserStatus};
use crate::error::AppError;

#[derive(Debug, Clone, Queryable, Selectable, serde::Serialize)]
#[diesel(table_name = users)]
pub struct UserRow {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub role: Role,
    #[serde(skip)]
    pub password_hash: Option<String>,
    pub status: UserStatus,
    pub email_verified_at: Option<NaiveDateTime>,
    #[serde(skip)]
    pub token_version: i32,
    pub must_change_password: bool,
    pub locale: String,
    pub org_id: Option<i64>,
    pub bureau_id: Option<i64>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// In-app messages (站内消息) not read yet.
    #[serde(skip)]
    pub unread_messages: i32,
}

impl UserRow {
    pub fn actor(&self) -> Actor {
        Actor {
            id: self.id,
            email: self.email.clone(),
            name: self.name.clone(),
            role: self.role,
            org_id: self.org_id,
            bureau_id: self.bureau_id,
            locale: self.locale.clone(),
        }
    }
    /// What the audit log keeps of a user (no hash, no token version).
    pub fn audit_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or_default()
    }
}

#[derive(Debug, Insertable)]
#[diesel(table_name = users)]
pub struct NewUser<'a> {
    pub email: &'a str,
    pub name: &'a str,
    pub role: &'a str,
    pub password_hash: Option<&'a str>,
    pub status: &'a str,
    pub email_verified_at: Option<NaiveDateTime>,
    pub token_version: i32,
    pub must_change_password: bool,
    pub locale: &'a str,
    pub org_id: Option<i64>,
    pub bureau_id: Option<i64>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

pub fn insert(conn: &mut DbConn, new: &NewUser) -> Result<i64, AppError> {
    if email_taken(conn, new.email)? {
        return Err(crate::error::FieldErrors::single(
            "email",
            "field.email_taken",
        ));
    }
    Ok(diesel::insert_into(users::table)
        .values(new)
        .returning(users::id)
        .get_result(conn)?)
}

pub fn email_taken(conn: &mut DbConn, email: &str) -> Result<bool, AppError> {
    let n: i64 = users::table
        .filter(users::email.eq(email))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

pub fn find(conn: &mut DbConn, id: i64) -> Result<UserRow, AppError> {
    Ok(users::table
        .find(id)
        .select(UserRow::as_select())
        .first(conn)?)
}

pub fn find_by_email(conn: &mut DbConn, email: &str) -> Result<Option<UserRow>, AppError> {
    Ok(users::table
        .filter(users::email.eq(email))
        .select(UserRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn count(conn: &mut DbConn) -> Result<i64, AppError> {
    Ok(users::table.count().get_result(conn)?)
}

/// Sets a new password and revokes every token and session issued before (the caller starts
/// a fresh session for the device that made the change).
pub fn set_password(conn: &mut DbConn, id: i64, hash: &str) -> Result<(), AppError> {
    diesel::update(users::table.find(id))
        .set((
            users::password_hash.eq(Some(hash)),
            users::token_version.eq(users::token_version + 1),
            users::must_change_password.eq(false),
            users::updated_at.eq(now()),
        ))
        .execute(conn)?;
    super::sessions::revoke_all(conn, id, None, now())?;
    Ok(())
}

/// Marks the email as verified and the account active.
pub fn activate(conn: &mut DbConn, id: i64) -> Result<(), AppError> {
    diesel::update(users::table.find(id))
        .set((
            users::status.eq(UserStatus::Active.as_str()),
            users::email_verified_at.eq(Some(now())),
            users::updated_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// Changes the status; disabling also revokes every token.
pub fn set_status(conn: &mut DbConn, id: i64, status: UserStatus) -> Result<(), AppError> {
    diesel::update(users::table.find(id))
        .set((
            users::status.eq(status.as_str()),
            users::token_version.eq(users::token_version + 1),
            users::updated_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn set_locale(conn: &mut DbConn, id: i64, locale: &str) -> Result<(), AppError> {
    diesel::update(users::table.find(id))
        .set(users::locale.eq(locale))
        .execute(conn)?;
    Ok(())
}

pub fn set_org(conn: &mut DbConn, id: i64, org_id: i64) -> Result<(), AppError> {
    diesel::update(users::table.find(id))
        .set((users::org_id.eq(Some(org_id)), users::updated_at.eq(now())))
        .execute(conn)?;
    Ok(())
}

/// A row of the admin's user list, with the names of the user's org and bureau.
#[derive(Debug, Clone, Queryable, serde::Serialize, utoipa::ToSchema)]
pub struct UserListItem {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub status: UserStatus,
    pub org_name: Option<String>,
    pub bureau_name: Option<String>,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserFilter {
    pub role: Option<String>,
    pub status: Option<String>,
    /// Part of the email or name.
    pub q: Option<String>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

pub fn list(conn: &mut DbConn, f: &UserFilter) -> Result<Paged<UserListItem>, AppError> {
    let page = PageReq::new(f.page, f.per_page);
    let build = || {
        let mut q = users::table
            .left_join(organizations::table)
            .left_join(bureaus::table)
            .into_boxed();
        if let Some(r) = f.role.as_deref().filter(|s| !s.is_empty()) {
            q = q.filter(users::role.eq(r.to_string()));
        }
        if let Some(s) = f.status.as_deref().filter(|s| !s.is_empty()) {
            q = q.filter(users::status.eq(s.to_string()));
        }
        if let Some(pat) = super::contains_pattern(f.q.as_deref()) {
            q = q.filter(
                users::email
                    .like(pat.clone())
                    .escape('\\')
                    .or(super::lower(users::name).like(pat).escape('\\')),
            );
        }
        q
    };
    let total: i64 = build().count().get_result(conn)?;
    let items = build()
        .select((
            users::id,
            users::email,
            users::name,
            users::role,
            users::status,
            organizations::name.nullable(),
            bureaus::name.nullable(),
            users::created_at,
        ))
        .order(users::id.desc())
        .limit(page.per_page)
        .offset(page.offset())
        .load::<UserListItem>(conn)?;
    Ok(Paged {
        items,
        total,
        page: page.page,
        per_page: page.per_page,
    })
}

/// Members of an organization.
pub fn members(conn: &mut DbConn, org_id: i64) -> Result<Vec<UserRow>, AppError> {
    Ok(users::table
        .filter(users::org_id.eq(org_id))
        .select(UserRow::as_select())
        .order(users::id)
        .load(conn)?)
}

/// Active users of a role (e.g. the officers to notify).
pub fn active_with_role(conn: &mut DbConn, role: Role) -> Result<Vec<UserRow>, AppError> {
    Ok(users::table
        .filter(users::role.eq(role.as_str()))
        .filter(users::status.eq(UserStatus::Active.as_str()))
        .select(UserRow::as_select())
        .load(conn)?)
}

/// Active members of verified NGOs (who hear about new calls).
pub fn verified_ngo_members(conn: &mut DbConn) -> Result<Vec<UserRow>, AppError> {
    Ok(users::table
        .inner_join(organizations::table)
        .filter(organizations::kind.eq("ngo"))
        .filter(organizations::status.eq("verified"))
        .filter(users::status.eq(UserStatus::Active.as_str()))
        .select(UserRow::as_select())
        .load(conn)?)
}

#[derive(Debug, Clone, Queryable, serde::Serialize, utoipa::ToSchema)]
pub struct Bureau {
    pub id: i64,
    pub name: String,
    pub created_at: NaiveDateTime,
}

pub fn bureaus(conn: &mut DbConn) -> Result<Vec<Bureau>, AppError> {
    Ok(bureaus::table
        .select((bureaus::id, bureaus::name, bureaus::created_at))
        .order(bureaus::id)
        .load(conn)?)
}

pub fn insert_bureau(conn: &mut DbConn, name: &str) -> Result<i64, AppError> {
    let taken: i64 = bureaus::table
        .filter(bureaus::name.eq(name))
        .count()
        .get_result(conn)?;
    if taken > 0 {
        return Err(crate::error::FieldErrors::single(
            "name",
            "field.name_taken",
        ));
    }
    Ok(diesel::insert_into(bureaus::table)
        .values((bureaus::name.eq(name), bureaus::created_at.eq(now())))
        .returning(bureaus::id)
        .get_result(conn)?)
}

pub fn set_name(conn: &mut DbConn, id: i64, name: &str) -> Result<(), AppError> {
    diesel::update(users::table.find(id))
        .set((users::name.eq(name), users::updated_at.eq(now())))
        .execute(conn)?;
    Ok(())
}

/// Names of the given users.
pub fn names(conn: &mut DbConn, ids: &[i64]) -> Result<Vec<(i64, String)>, AppError> {
    Ok(users::table
        .filter(users::id.eq_any(ids))
        .select((users::id, users::name))
        .load(conn)?)
}

/// Active officers of a bureau (who hear about objections).
pub fn bureau_officers(conn: &mut DbConn, bureau_id: i64) -> Result<Vec<UserRow>, AppError> {
    Ok(users::table
        .filter(users::role.eq(Role::Officer.as_str()))
        .filter(users::bureau_id.eq(bureau_id))
        .filter(users::status.eq(UserStatus::Active.as_str()))
        .select(UserRow::as_select())
        .order(users::id)
        .load(conn)?)
}
