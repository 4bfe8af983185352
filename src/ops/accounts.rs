//! Accounts: sign-up, email verification, login, password reset, invitations, status.

use chrono::Duration;

use crate::auth::policy::{self, Action, Actor, OrgRef};
use crate::auth::{dummy_hash, hash_password, verify_password};
use crate::config::Settings;
use crate::db::audit::{self, Change};
use crate::db::tokens::{self, Purpose};
use crate::db::users::{self, NewUser, UserRow};
use crate::db::{self, now, orgs, outbox, throttle, DbConn};
use crate::domain::account::{
    check_password, parse_email, parse_name, validate_signup, Role, UserStatus,
};
use crate::domain::org::OrgKind;
use crate::error::{AppError, FieldErrors};
use crate::i18n::{Lang, Msg};
use crate::mail::{self, Recipient};

fn unexpected(e: anyhow::Error) -> AppError {
    AppError::Unexpected(e.to_string())
}

fn recipient(u: &UserRow) -> Recipient {
    Recipient::new(&u.email, &u.name, &u.locale)
}

/// Counts an account email (sign-up, reset, verification resend) asked for by `client` and
/// sent to `to` against the abuse limits; 429 once either is spent.
fn account_mail_limits(
    conn: &mut DbConn,
    s: &Settings,
    client: &str,
    to: &str,
) -> Result<(), AppError> {
    throttle::hit_all(
        conn,
        &[
            (
                format!("account_mail:client:{client}"),
                s.account_mail_limit_per_client,
            ),
            (
                format!("account_mail:to:{}", to.trim().to_lowercase()),
                s.account_mail_limit_per_recipient,
            ),
        ],
        now(),
        s.rate_window(),
    )
}

/// An NGO member signs up; a verification link goes out by email. The answer and the work are
/// the same when the address already has an account: that account's owner gets an email
/// instead (a password-reset link, or a fresh verification link for an unconfirmed sign-up),
/// so sign-up never tells a stranger which addresses are registered.
#[tracing::instrument(skip_all)]
pub fn signup(
    conn: &mut DbConn,
    s: &Settings,
    email: &str,
    name: &str,
    password: &str,
    lang: Lang,
    client: &str,
) -> Result<(), AppError> {
    let words = site_words(conn)?;
    let acct = validate_signup(email, name, password, &words).map_err(AppError::Validation)?;
    account_mail_limits(conn, s, client, &acct.email)?;
    // Hashed either way, so both answers take the same time.
    let hash = hash_password(password).map_err(unexpected)?;
    let existing = users::find_by_email(conn, &acct.email)?;
    db::write_tx(conn, |c| {
        if let Some(user) = existing {
            existing_account_email(c, s, &user)?;
            return audit::append(
                c,
                Change::new(None, "user.signup_repeated", "user", user.id),
            );
        }
        let at = now();
        let id = users::insert(
            c,
            &NewUser {
                email: &acct.email,
                name: &acct.name,
                role: Role::Ngo.as_str(),
                password_hash: Some(&hash),
                status: UserStatus::Pending.as_str(),
                email_verified_at: None,
                token_version: 0,
                must_change_password: false,
                locale: lang.code(),
                org_id: None,
                bureau_id: None,
                created_at: at,
                updated_at: at,
            },
        )?;
        let token = tokens::create(c, Purpose::VerifyEmail, id)?;
        let user = users::find(c, id)?;
        let link = format!("{}/verify-email?token={token}", s.base_url);
        outbox::enqueue(
            c,
            &mail::verify_email(&recipient(&user), &link, &s.base_url),
        )?;
        audit::append(
            c,
            Change::new(None, "user.signed_up", "user", id).after(user.audit_json()),
        )
    })
}

/// Someone signed up with the address of an existing account: its owner hears about it. An
/// active account gets a password-reset link, an unconfirmed sign-up a fresh verification
/// link, any other (disabled, invitation not accepted) a pointer to the sign-in page.
fn existing_account_email(c: &mut DbConn, s: &Settings, user: &UserRow) -> Result<(), AppError> {
    let to = recipient(user);
    match (user.status, user.password_hash.is_some()) {
        (UserStatus::Pending, true) => {
            let token = tokens::create(c, Purpose::VerifyEmail, user.id)?;
            let link = format!("{}/verify-email?token={token}", s.base_url);
            outbox::enqueue(c, &mail::verify_email(&to, &link, &s.base_url))
        }
        (UserStatus::Active, _) => {
            let token = tokens::create(c, Purpose::ResetPassword, user.id)?;
            let link = format!("{}/password/reset?token={token}", s.base_url);
            outbox::enqueue(c, &mail::account_exists(&to, Some(&link), &s.base_url))
        }
        _ => outbox::enqueue(c, &mail::account_exists(&to, None, &s.base_url)),
    }
}

/// Follows the sign-up link: the account becomes active.
#[tracing::instrument(skip_all)]
pub fn verify_email(conn: &mut DbConn, token: &str) -> Result<UserRow, AppError> {
    db::write_tx(conn, |c| {
        let id = tokens::consume(c, Purpose::VerifyEmail, token)?;
        users::activate(c, id)?;
        let user = users::find(c, id)?;
        audit::append(
            c,
            Change::new(Some(&user.actor()), "user.email_verified", "user", id),
        )?;
        Ok(user)
    })
}

/// Checks credentials with throttling: after `login_max_failures` failures for the account or
/// the client address within the lock period, both are locked for that period.
#[tracing::instrument(skip_all)]
pub fn login(
    conn: &mut DbConn,
    s: &Settings,
    email: &str,
    password: &str,
    client: &str,
) -> Result<UserRow, AppError> {
    let email = email.trim().to_lowercase();
    let acct_key = format!("acct:{email}");
    let ip_key = format!("ip:{client}");
    let keys = [acct_key.clone(), ip_key.clone()];
    if let Some(until) = throttle::locked_until(conn, &keys, now())? {
        return Err(AppError::TooManyAttempts { until });
    }
    let user = users::find_by_email(conn, &email)?;
    let ok = match user.as_ref().and_then(|u| u.password_hash.as_deref()) {
        Some(hash) => verify_password(password, hash),
        None => {
            verify_password(password, dummy_hash());
            false
        }
    };
    if !ok {
        crate::telemetry::record_login_failure();
        let lock = Duration::minutes(s.login_lock_minutes);
        let locked = db::write_tx(conn, |c| {
            let at = now();
            let a = throttle::record_failure(c, &acct_key, at, s.login_max_failures, lock)?;
            let b = throttle::record_failure(c, &ip_key, at, s.login_max_failures, lock)?;
            let locked = a.or(b);
            if let (Some(_), Some(u)) = (locked, user.as_ref()) {
                audit::append(
                    c,
                    Change::new(None, "user.login_locked", "user", u.id).reason(client),
                )?;
            }
            Ok(locked)
        })?;
        return Err(match locked {
            Some(until) => AppError::TooManyAttempts { until },
            None => AppError::InvalidCredentials,
        });
    }
    let user = user.expect("password matched a user");
    match user.status {
        UserStatus::Pending => {
            // The right password of an unconfirmed sign-up: send a fresh link, the old one
            // may be lost or expired (within the account-email limits).
            db::write_tx(conn, |c| {
                account_mail_limits(c, s, client, &user.email)?;
                let token = tokens::create(c, Purpose::VerifyEmail, user.id)?;
                let link = format!("{}/verify-email?token={token}", s.base_url);
                outbox::enqueue(
                    c,
                    &mail::verify_email(&recipient(&user), &link, &s.base_url),
                )
            })?;
            return Err(AppError::conflict("error.email_not_verified"));
        }
        UserStatus::Disabled => return Err(AppError::conflict("error.account_disabled")),
        UserStatus::Active => {}
    }
    throttle::clear(conn, &acct_key)?;
    Ok(user)
}

/// Sends a reset link if the address belongs to an active account; says nothing otherwise.
/// Either way the same single transaction runs (the abuse limits of `client` and of the
/// address are counted in it), so neither the answer nor its timing tells whether the
/// address has an account.
#[tracing::instrument(skip_all)]
pub fn request_password_reset(
    conn: &mut DbConn,
    s: &Settings,
    email: &str,
    client: &str,
) -> Result<(), AppError> {
    let email = parse_email(email).map_err(|m| {
        let mut e = FieldErrors::new();
        e.add("email", m);
        AppError::Validation(e)
    })?;
    let user = users::find_by_email(conn, &email)?;
    db::write_tx(conn, |c| {
        account_mail_limits(c, s, client, &email)?;
        let Some(user) = user.filter(|u| u.status == UserStatus::Active) else {
            return Ok(());
        };
        let token = tokens::create(c, Purpose::ResetPassword, user.id)?;
        let link = format!("{}/password/reset?token={token}", s.base_url);
        outbox::enqueue(
            c,
            &mail::reset_password(&recipient(&user), &link, &s.base_url),
        )?;
        audit::append(
            c,
            Change::new(None, "user.password_reset_requested", "user", user.id),
        )
    })
}

/// The installation's own words a password must not be built from: the bureau names (the
/// product's name is in `domain::account::SITE_WORDS`).
fn site_words(conn: &mut DbConn) -> Result<Vec<String>, AppError> {
    Ok(users::bureaus(conn)?.into_iter().map(|b| b.name).collect())
}

/// The strength check for `user`'s new password, naming `field`; the current password may
/// not be chosen again.
fn password_errors(
    conn: &mut DbConn,
    password: &str,
    user: &UserRow,
    field: &str,
) -> Result<(), AppError> {
    if user
        .password_hash
        .as_deref()
        .is_some_and(|h| verify_password(password, h))
    {
        return Err(FieldErrors::single(field, "field.password_same"));
    }
    let words = site_words(conn)?;
    let mut known = vec![user.email.as_str(), user.name.as_str()];
    known.extend(words.iter().map(String::as_str));
    check_password(password, &known).map_err(|m| {
        let mut e = FieldErrors::new();
        e.add(field, m);
        AppError::Validation(e)
    })
}

/// Sets a new password from a reset link; every earlier session ends.
#[tracing::instrument(skip_all)]
pub fn reset_password(
    conn: &mut DbConn,
    s: &Settings,
    token: &str,
    password: &str,
) -> Result<UserRow, AppError> {
    let id = tokens::peek(conn, Purpose::ResetPassword, token)?;
    let user = users::find(conn, id)?;
    password_errors(conn, password, &user, "password")?;
    let hash = hash_password(password).map_err(unexpected)?;
    db::write_tx(conn, |c| {
        let id = tokens::consume(c, Purpose::ResetPassword, token)?;
        users::set_password(c, id, &hash)?;
        throttle::clear(c, &format!("acct:{}", user.email))?;
        outbox::enqueue(c, &mail::password_changed(&recipient(&user), &s.base_url))?;
        audit::append(
            c,
            Change::new(Some(&user.actor()), "user.password_reset", "user", id),
        )?;
        users::find(c, id)
    })
}

/// The person named in an invitation, for the acceptance page.
#[tracing::instrument(skip_all)]
pub fn invitation(conn: &mut DbConn, token: &str) -> Result<UserRow, AppError> {
    let id = tokens::peek(conn, Purpose::Invite, token)?;
    users::find(conn, id)
}

/// Accepts an invitation: sets name and password; the account becomes active.
#[tracing::instrument(skip_all)]
pub fn accept_invite(
    conn: &mut DbConn,
    s: &Settings,
    token: &str,
    name: &str,
    password: &str,
) -> Result<UserRow, AppError> {
    let user = invitation(conn, token)?;
    let mut errors = FieldErrors::new();
    let name = parse_name(name).map_err(|m| errors.add("name", m)).ok();
    let words = site_words(conn)?;
    let mut known = vec![user.email.as_str(), name.as_deref().unwrap_or("")];
    known.extend(words.iter().map(String::as_str));
    if let Err(m) = check_password(password, &known) {
        errors.add("password", m);
    }
    errors.into_result()?;
    let name = name.expect("validated");
    let hash = hash_password(password).map_err(unexpected)?;
    let _ = s;
    db::write_tx(conn, |c| {
        let id = tokens::consume(c, Purpose::Invite, token)?;
        users::set_password(c, id, &hash)?;
        users::set_name(c, id, &name)?;
        users::activate(c, id)?;
        let after = users::find(c, id)?;
        audit::append(
            c,
            Change::new(Some(&after.actor()), "user.invitation_accepted", "user", id)
                .after(after.audit_json()),
        )?;
        Ok(after)
    })
}

/// A signed-in person changes their password; other sessions end.
#[tracing::instrument(skip_all, fields(user = actor.id))]
pub fn change_password(
    conn: &mut DbConn,
    s: &Settings,
    actor: &Actor,
    current: &str,
    new: &str,
) -> Result<UserRow, AppError> {
    let user = users::find(conn, actor.id)?;
    if !user
        .password_hash
        .as_deref()
        .is_some_and(|h| verify_password(current, h))
    {
        return Err(FieldErrors::single(
            "current_password",
            "field.password_wrong",
        ));
    }
    password_errors(conn, new, &user, "new_password")?;
    let hash = hash_password(new).map_err(unexpected)?;
    db::write_tx(conn, |c| {
        users::set_password(c, user.id, &hash)?;
        outbox::enqueue(c, &mail::password_changed(&recipient(&user), &s.base_url))?;
        audit::append(
            c,
            Change::new(Some(actor), "user.password_changed", "user", user.id),
        )?;
        users::find(c, user.id)
    })
}

/// What an invitation form or API call sends.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct InviteInput {
    pub email: String,
    pub name: String,
    /// `officer`, `reviewer`, `evaluator`, `supervisor` or `admin` (staff invitations); ignored for
    /// invitations into an organization.
    pub role: String,
    /// The bureau of an officer (or of a supervisor an admin invites; an officer's
    /// supervisors join the officer's bureau).
    pub bureau_id: Option<i64>,
    /// The agency of an evaluator.
    pub org_id: Option<i64>,
}

/// Invites a person. Staff invitations take a role; `into_org` invites a colleague into an
/// organization with the role its members have.
#[tracing::instrument(skip_all, fields(user = actor.id))]
pub fn invite(
    conn: &mut DbConn,
    s: &Settings,
    actor: &Actor,
    input: &InviteInput,
    into_org: Option<i64>,
) -> Result<i64, AppError> {
    let mut errors = FieldErrors::new();
    let email = parse_email(&input.email)
        .map_err(|m| errors.add("email", m))
        .ok();
    let name = parse_name(&input.name)
        .map_err(|m| errors.add("name", m))
        .ok();
    let (role, org, bureau_id) = match into_org {
        Some(org_id) => {
            let org = orgs::find(conn, org_id)?;
            policy::require(actor, Action::InviteToOrg(org.as_ref()))?;
            let role = if org.kind == OrgKind::Ngo {
                Role::Ngo
            } else {
                Role::Evaluator
            };
            (role, Some(org), None)
        }
        None => {
            let Some(role) = Role::parse(&input.role) else {
                errors.add("role", Msg::new("field.required"));
                return Err(AppError::Validation(errors));
            };
            policy::require(actor, Action::InviteUser(role))?;
            let mut org = None;
            let mut bureau = None;
            match role {
                // An officer's supervisors join the officer's own bureau.
                Role::Supervisor if actor.role == Role::Officer => match actor.bureau_id {
                    Some(b) => bureau = Some(b),
                    None => errors.add("bureau_id", Msg::new("field.bureau_required")),
                },
                Role::Officer | Role::Supervisor => match input.bureau_id {
                    Some(b) if users::bureaus(conn)?.iter().any(|x| x.id == b) => bureau = Some(b),
                    _ => errors.add("bureau_id", Msg::new("field.bureau_required")),
                },
                Role::Evaluator => match input.org_id.map(|id| orgs::find(conn, id)).transpose() {
                    Ok(Some(o)) if o.kind == OrgKind::Agency => {
                        policy::require(
                            actor,
                            Action::InviteToOrg(OrgRef {
                                id: o.id,
                                kind: OrgKind::Agency,
                            }),
                        )?;
                        org = Some(o)
                    }
                    Ok(_) | Err(AppError::NotFound) => {
                        errors.add("org_id", Msg::new("field.agency_required"))
                    }
                    Err(e) => return Err(e),
                },
                _ => {}
            }
            (role, org, bureau)
        }
    };
    if let Some(email) = &email {
        if users::email_taken(conn, email)? {
            errors.add("email", Msg::new("field.email_taken"));
        }
    }
    errors.into_result()?;
    let (email, name) = (email.expect("validated"), name.expect("validated"));
    db::write_tx(conn, |c| {
        let at = now();
        let id = users::insert(
            c,
            &NewUser {
                email: &email,
                name: &name,
                role: role.as_str(),
                password_hash: None,
                status: UserStatus::Pending.as_str(),
                email_verified_at: None,
                token_version: 0,
                must_change_password: false,
                locale: &actor.locale,
                org_id: org.as_ref().map(|o| o.id),
                bureau_id,
                created_at: at,
                updated_at: at,
            },
        )?;
        let token = tokens::create(c, Purpose::Invite, id)?;
        let user = users::find(c, id)?;
        let link = format!("{}/invite/accept?token={token}", s.base_url);
        let msg = mail::invite(
            &recipient(&user),
            &actor.name,
            role.label_key(),
            org.as_ref().map(|o| o.name.as_str()),
            &link,
            &s.base_url,
        );
        outbox::enqueue(c, &msg)?;
        audit::append(
            c,
            Change::new(Some(actor), "user.invited", "user", id).after(user.audit_json()),
        )?;
        if let Some(o) = &org {
            audit::append(
                c,
                Change::new(Some(actor), "org.member_invited", "organization", o.id)
                    .after(serde_json::json!({"user_id": id, "email": email})),
            )?;
        }
        Ok(id)
    })
}

/// Disables or re-enables an account (admin). Disabling ends every session at once.
#[tracing::instrument(skip_all, fields(user = actor.id, id))]
pub fn set_status(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
    status: UserStatus,
) -> Result<(), AppError> {
    policy::require(actor, Action::ManageUsers)?;
    if id == actor.id {
        return Err(AppError::conflict("error.cannot_disable_self"));
    }
    let before = users::find(conn, id)?;
    if status == UserStatus::Active && before.password_hash.is_none() {
        return Err(AppError::conflict("error.invite_not_accepted"));
    }
    db::write_tx(conn, |c| {
        if status == UserStatus::Disabled {
            // Every session of the account ends with it (the token version bump below
            // would refuse them too; the rows say so plainly, for the list and the audit).
            let ended = crate::db::sessions::revoke_all(c, id, None, now())?;
            audit::append(
                c,
                Change::new(Some(actor), "user.sessions_ended", "user", id)
                    .reason("reason.account_disabled")
                    .after(serde_json::json!({ "ended": ended })),
            )?;
        }
        users::set_status(c, id, status)?;
        let after = users::find(c, id)?;
        let action = if status == UserStatus::Disabled {
            "user.disabled"
        } else {
            "user.enabled"
        };
        audit::append(
            c,
            Change::new(Some(actor), action, "user", id)
                .before(before.audit_json())
                .after(after.audit_json()),
        )
    })
}

#[tracing::instrument(skip_all, fields(user = actor.id))]
pub fn create_bureau(conn: &mut DbConn, actor: &Actor, name: &str) -> Result<i64, AppError> {
    policy::require(actor, Action::ManageUsers)?;
    let name = parse_name(name).map_err(|m| {
        let mut e = FieldErrors::new();
        e.add("name", m);
        AppError::Validation(e)
    })?;
    db::write_tx(conn, |c| {
        let id = users::insert_bureau(c, &name)?;
        audit::append(
            c,
            Change::new(Some(actor), "bureau.created", "bureau", id)
                .after(serde_json::json!({"name": name})),
        )?;
        Ok(id)
    })
}

/// An account created from the command line (or the first admin): active, with a one-time
/// password that must be changed at first sign-in. Returns the password.
#[tracing::instrument(skip_all)]
pub fn create_with_password(
    conn: &mut DbConn,
    role: Role,
    email: &str,
    name: &str,
    bureau: Option<&str>,
) -> Result<String, AppError> {
    let email = parse_email(email).map_err(|m| {
        let mut e = FieldErrors::new();
        e.add("email", m);
        AppError::Validation(e)
    })?;
    let password = crate::auth::one_time_password();
    let hash = hash_password(&password).map_err(unexpected)?;
    db::write_tx(conn, |c| {
        let bureau_id = match bureau {
            Some(b) => Some(match users::bureaus(c)?.into_iter().find(|x| x.name == b) {
                Some(x) => x.id,
                None => users::insert_bureau(c, b)?,
            }),
            None => None,
        };
        let at = now();
        let id = users::insert(
            c,
            &NewUser {
                email: &email,
                name,
                role: role.as_str(),
                password_hash: Some(&hash),
                status: UserStatus::Active.as_str(),
                email_verified_at: Some(at),
                token_version: 0,
                must_change_password: true,
                locale: Lang::Zh.code(),
                org_id: None,
                bureau_id,
                created_at: at,
                updated_at: at,
            },
        )?;
        let user = users::find(c, id)?;
        audit::append(
            c,
            Change::new(None, "user.created", "user", id)
                .reason("reason.command_line")
                .after(user.audit_json()),
        )?;
        Ok(password)
    })
}

/// On an empty database, creates the first admin and returns its login.
#[tracing::instrument(skip_all)]
pub fn bootstrap_admin(conn: &mut DbConn) -> Result<Option<(String, String)>, AppError> {
    if users::count(conn)? > 0 {
        return Ok(None);
    }
    let email = "admin@yichuang.localhost";
    let password = create_with_password(conn, Role::Admin, email, "系统管理员", None)?;
    Ok(Some((email.to_string(), password)))
}

/// Remembers the language a person chose.
#[tracing::instrument(skip_all, fields(user = actor.id))]
pub fn set_locale(conn: &mut DbConn, actor: &Actor, lang: Lang) -> Result<(), AppError> {
    users::set_locale(conn, actor.id, lang.code())
}

/// The admin replaces the working-day calendar with the pasted text; every bad line is named.
#[tracing::instrument(skip_all, fields(user = actor.id))]
pub fn save_calendar(conn: &mut DbConn, actor: &Actor, text: &str) -> Result<usize, AppError> {
    policy::require(actor, Action::ManageUsers)?;
    crate::domain::limits::within("calendar", text, crate::domain::limits::CALENDAR_TEXT)?;
    let entries = crate::domain::calendar::parse_entries(text).map_err(|errs| {
        let mut e = FieldErrors::new();
        for err in errs {
            e.add("calendar", err.msg());
        }
        AppError::Validation(e)
    })?;
    db::write_tx(conn, |c| {
        crate::db::calendar::replace(c, &entries)?;
        audit::append(
            c,
            Change::new(Some(actor), "calendar.saved", "calendar", 1)
                .after(serde_json::json!({"days": entries.len()})),
        )?;
        Ok(entries.len())
    })
}
