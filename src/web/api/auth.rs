use actix_web::{delete, get, post};

use super::*;

#[derive(Deserialize, ToSchema)]
pub struct TokenRequest {
    email: String,
    password: String,
}

#[derive(Serialize, ToSchema)]
pub struct TokenResponse {
    token: String,
    token_type: &'static str,
    /// UTC.
    expires_at: chrono::NaiveDateTime,
}

/// Starts an API session for `user` and answers with its bearer token.
pub(super) async fn issue(
    state: &AppState,
    req: &HttpRequest,
    user: &crate::db::users::UserRow,
) -> Result<HttpResponse, AppError> {
    let issued = crate::auth::sessions::start(state, req, user, SessionKind::Api).await?;
    Ok(HttpResponse::Ok().json(TokenResponse {
        token: issued.token,
        token_type: "Bearer",
        expires_at: issued.expires_at,
    }))
}

/// Exchange email and password for a bearer token.
#[utoipa::path(request_body = TokenRequest, tag = "auth",
    responses((status = 200, body = TokenResponse), (status = 401, description = "wrong email or password"), (status = 429, description = "locked after repeated failures")))]
#[post("/auth/token")]
pub(super) async fn token(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Json<TokenRequest>,
) -> Result<HttpResponse, AppError> {
    let client = crate::web::client_addr(&req, &state.settings);
    let settings = state.settings.clone();
    let b = body.into_inner();
    let user = db::run(&state.pool, move |c| {
        ops::accounts::login(c, &settings, &b.email, &b.password, &client)
    })
    .await?;
    issue(&state, &req, &user).await
}

#[derive(Deserialize, ToSchema)]
pub struct SignupRequest {
    email: String,
    name: String,
    password: String,
    /// `zh-CN` (default) or `en`: the language of emails.
    locale: Option<String>,
}

/// Sign up as an NGO member; a verification link is emailed. The answer is the same whether or
/// not the address already has an account (its owner is emailed instead); limited per client
/// address and per recipient (429 with `Retry-After`).
#[utoipa::path(request_body = SignupRequest, tag = "auth", responses((status = 202), (status = 422), (status = 429)))]
#[post("/auth/signup")]
pub(super) async fn signup(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Json<SignupRequest>,
) -> Result<HttpResponse, AppError> {
    let b = body.into_inner();
    let lang = b
        .locale
        .as_deref()
        .and_then(Lang::parse)
        .unwrap_or_else(|| lang_of(&req));
    let settings = state.settings.clone();
    let client = crate::web::client_addr(&req, &state.settings);
    db::run(&state.pool, move |c| {
        ops::accounts::signup(c, &settings, &b.email, &b.name, &b.password, lang, &client)
    })
    .await?;
    Ok(HttpResponse::Accepted().json(serde_json::json!({ "ok": true })))
}

/// Confirm an email address with the token from the link; returns a bearer token.
#[utoipa::path(request_body = TokenBody, tag = "auth", responses((status = 200, body = TokenResponse), (status = 400)))]
#[post("/auth/verify-email")]
pub(super) async fn verify_email(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Json<TokenBody>,
) -> Result<HttpResponse, AppError> {
    let t = body.into_inner().token;
    let user = db::run(&state.pool, move |c| ops::accounts::verify_email(c, &t)).await?;
    issue(&state, &req, &user).await
}

#[derive(Deserialize, ToSchema)]
pub struct EmailBody {
    email: String,
}

/// Ask for a password-reset link (answers the same whether or not the address has an account;
/// limited per client address and per recipient: 429 with `Retry-After`).
#[utoipa::path(request_body = EmailBody, tag = "auth", responses((status = 202), (status = 429)))]
#[post("/auth/password/forgot")]
pub(super) async fn forgot(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Json<EmailBody>,
) -> Result<HttpResponse, AppError> {
    let settings = state.settings.clone();
    let client = crate::web::client_addr(&req, &state.settings);
    let e = body.into_inner().email;
    db::run(&state.pool, move |c| {
        ops::accounts::request_password_reset(c, &settings, &e, &client)
    })
    .await?;
    Ok(HttpResponse::Accepted().json(serde_json::json!({ "ok": true })))
}

#[derive(Deserialize, ToSchema)]
pub struct ResetBody {
    token: String,
    password: String,
}

/// Set a new password with the token from the reset link.
#[utoipa::path(request_body = ResetBody, tag = "auth", responses((status = 200), (status = 400), (status = 422)))]
#[post("/auth/password/reset")]
pub(super) async fn reset(
    state: web::Data<AppState>,
    body: Json<ResetBody>,
) -> Result<HttpResponse, AppError> {
    let settings = state.settings.clone();
    let b = body.into_inner();
    db::run(&state.pool, move |c| {
        ops::accounts::reset_password(c, &settings, &b.token, &b.password)
    })
    .await?;
    Ok(ok())
}

#[derive(Deserialize, ToSchema)]
pub struct AcceptBody {
    token: String,
    name: String,
    password: String,
}

/// Accept an invitation: set name and password; returns a bearer token.
#[utoipa::path(request_body = AcceptBody, tag = "auth", responses((status = 200, body = TokenResponse), (status = 400), (status = 422)))]
#[post("/auth/invitations/accept")]
pub(super) async fn accept_invite(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Json<AcceptBody>,
) -> Result<HttpResponse, AppError> {
    let settings = state.settings.clone();
    let b = body.into_inner();
    let user = db::run(&state.pool, move |c| {
        ops::accounts::accept_invite(c, &settings, &b.token, &b.name, &b.password)
    })
    .await?;
    issue(&state, &req, &user).await
}

/// The signed-in account.
#[utoipa::path(tag = "auth", security(("bearer" = [])), responses((status = 200, body = Actor), (status = 401)))]
#[get("/me")]
pub(super) async fn me(user: ApiUser) -> HttpResponse {
    HttpResponse::Ok().json(user.0)
}

#[derive(Deserialize, ToSchema)]
pub struct PasswordBody {
    current_password: String,
    new_password: String,
}

/// Change the password; every earlier token stops working, a new one is returned.
#[utoipa::path(request_body = PasswordBody, tag = "auth", security(("bearer" = [])), responses((status = 200, body = TokenResponse), (status = 422)))]
#[post("/me/password")]
pub(super) async fn change_password(
    req: HttpRequest,
    user: ApiUser,
    state: web::Data<AppState>,
    body: Json<PasswordBody>,
) -> Result<HttpResponse, AppError> {
    let settings = state.settings.clone();
    let b = body.into_inner();
    let u = db::run(&state.pool, move |c| {
        ops::accounts::change_password(c, &settings, &user.0, &b.current_password, &b.new_password)
    })
    .await?;
    issue(&state, &req, &u).await
}

/// Sign out: the bearer token's session ends; the account's other sessions stay.
#[utoipa::path(tag = "auth", security(("bearer" = [])),
    responses((status = 204, description = "signed out"), (status = 401)))]
#[post("/auth/logout")]
pub(super) async fn logout(
    caller: ApiSession,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let c = caller.0;
    db::run(&state.pool, move |conn| {
        ops::sessions::sign_out(conn, &c.actor, &c.session_id)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The account's live sessions (signed-in browsers and API tokens); `current` marks this one.
/// Paged (`page`, `per_page`: 50 by default; a short list, read whole).
#[utoipa::path(params(PageQuery), tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = Vec<SessionInfo>, headers(("X-Total-Count" = i64, description = "Sessions over all pages"), ("Link" = String, description = "RFC 8288 links to the first, previous, next and last pages"))), (status = 401)))]
#[get("/me/sessions")]
pub(super) async fn my_sessions(
    req: HttpRequest,
    caller: ApiSession,
    state: web::Data<AppState>,
    q: Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    let page = q.req()?;
    let c = caller.0;
    let list = db::run(&state.pool, move |conn| {
        ops::sessions::list(conn, &c.actor, Some(&c.session_id))
    })
    .await?;
    Ok(super::super::paging::json_slice(&req, list, page))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EndSessionsQuery {
    /// `true` ends this token's session too; by default it stays signed in.
    #[serde(default)]
    include_current: bool,
}

#[derive(Serialize, ToSchema)]
pub struct EndedSessions {
    /// How many sessions ended.
    ended: usize,
}

/// Sign out everywhere: every other session of the account ends (with `include_current=true`,
/// this one too).
#[utoipa::path(params(EndSessionsQuery), tag = "auth",
    security(("bearer" = [])), responses((status = 200, body = EndedSessions), (status = 401)))]
#[delete("/me/sessions")]
pub(super) async fn end_my_sessions(
    caller: ApiSession,
    state: web::Data<AppState>,
    q: Query<EndSessionsQuery>,
) -> Result<HttpResponse, AppError> {
    let c = caller.0;
    let keep = (!q.include_current).then_some(c.session_id);
    let ended = db::run(&state.pool, move |conn| {
        ops::sessions::end_all(conn, &c.actor, keep.as_deref())
    })
    .await?;
    Ok(HttpResponse::Ok().json(EndedSessions { ended }))
}

/// Sign out one session of the account, e.g. a lost device.
#[utoipa::path(tag = "auth", security(("bearer" = [])),
    params(("id" = String, Path, description = "The session id, from `GET /api/v1/me/sessions`.")),
    responses((status = 204, description = "signed out"), (status = 401), (status = 404, description = "no live session of yours with that id")))]
#[delete("/me/sessions/{id}")]
pub(super) async fn end_my_session(
    caller: ApiSession,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let c = caller.0;
    let id = id.into_inner();
    db::run(&state.pool, move |conn| {
        ops::sessions::end_one(conn, &c.actor, &id)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
