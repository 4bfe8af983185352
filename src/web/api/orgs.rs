use actix_web::{get, post, put};

use super::*;

/// Organizations (officers and admins), one page (`page`, `per_page`: 50 by default) with its
/// total; the same `X-Total-Count` and `Link` as every list.
#[utoipa::path(params(OrgFilter), tag = "orgs", security(("bearer" = [])), responses((status = 200, body = Paged<OrgListItem>, headers(("X-Total-Count" = i64, description = "Organizations over all pages"), ("Link" = String, description = "RFC 8288 links to the first, previous, next and last pages")))))]
#[get("/orgs")]
pub(super) async fn list_orgs(
    req: HttpRequest,
    user: ApiUser,
    state: web::Data<AppState>,
    q: Query<OrgFilter>,
) -> Result<HttpResponse, AppError> {
    let f = q.into_inner();
    let list = db::run(&state.pool, move |c| {
        crate::queries::orgs::list(c, &user.0, &f)
    })
    .await?;
    Ok(super::super::paging::json_paged(&req, &list))
}

#[derive(Deserialize, ToSchema)]
pub struct OrgCreate {
    /// `ngo` (default; registered by an NGO member) or `agency` (by staff).
    #[serde(default)]
    kind: Option<OrgKind>,
    #[serde(flatten)]
    org: OrgInput,
}

/// Register an organization; an NGO's registration awaits verification by an officer.
#[utoipa::path(request_body = OrgCreate, tag = "orgs", security(("bearer" = [])), responses((status = 201), (status = 403), (status = 422)))]
#[post("/orgs")]
pub(super) async fn create_org(
    user: ApiUser,
    state: web::Data<AppState>,
    body: Json<OrgCreate>,
) -> Result<HttpResponse, AppError> {
    let settings = state.settings.clone();
    let b = body.into_inner();
    let kind = b.kind.unwrap_or(OrgKind::Ngo);
    let id = db::run(&state.pool, move |c| {
        ops::orgs::register(c, &settings, &user.0, kind, &b.org)
    })
    .await?;
    Ok(created(id))
}

#[derive(Serialize, ToSchema)]
pub struct OrgDetail {
    org: crate::queries::orgs::OrgItem,
    inspections: Vec<(i32, String)>,
    documents: Vec<DocumentMeta>,
    members: Vec<crate::queries::orgs::Member>,
    /// Bars in force (the organization may not apply to that bureau's rounds until then).
    bars: Vec<crate::db::orgs::Bar>,
}

#[utoipa::path(params(("id" = i64, Path, description = "Id of the organization")), tag = "orgs", security(("bearer" = [])), responses((status = 200, body = OrgDetail), (status = 403), (status = 404)))]
#[get("/orgs/{id}")]
pub(super) async fn get_org(
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let v = db::run(&state.pool, move |c| {
        crate::queries::orgs::org(c, &user.0, id)
    })
    .await?;
    Ok(HttpResponse::Ok().json(OrgDetail {
        org: (&v.org).into(),
        inspections: v.inspections,
        documents: v.documents,
        members: v.members,
        bars: v.bars,
    }))
}

#[derive(Deserialize, ToSchema)]
pub struct OrgUpdate {
    /// The `version` read with the organization; a newer one on the server is a 409.
    version: i32,
    #[serde(flatten)]
    org: OrgInput,
}

/// Edit the registration (the whole of it); an NGO's edit goes back for verification.
#[utoipa::path(params(("id" = i64, Path, description = "Id of the organization")), request_body = OrgUpdate, tag = "orgs", security(("bearer" = [])), responses((status = 200), (status = 409), (status = 422)))]
#[put("/orgs/{id}")]
pub(super) async fn update_org(
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: Json<OrgUpdate>,
) -> Result<HttpResponse, AppError> {
    let settings = state.settings.clone();
    let (id, b) = (id.into_inner(), body.into_inner());
    db::run(&state.pool, move |c| {
        ops::orgs::update(c, &settings, &user.0, id, b.version, &b.org)
    })
    .await?;
    Ok(ok())
}

#[utoipa::path(params(("id" = i64, Path, description = "Id of the organization")), tag = "orgs", security(("bearer" = [])), responses((status = 200), (status = 409)))]
#[post("/orgs/{id}/verify")]
pub(super) async fn verify_org(
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let settings = state.settings.clone();
    let id = id.into_inner();
    db::run(&state.pool, move |c| {
        ops::orgs::verify(c, &settings, &user.0, id)
    })
    .await?;
    Ok(ok())
}

#[derive(Deserialize, ToSchema)]
pub struct ReasonBody {
    reason: String,
}

#[utoipa::path(params(("id" = i64, Path, description = "Id of the organization")), request_body = ReasonBody, tag = "orgs", security(("bearer" = [])), responses((status = 200), (status = 409), (status = 422)))]
#[post("/orgs/{id}/reject")]
pub(super) async fn reject_org(
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: Json<ReasonBody>,
) -> Result<HttpResponse, AppError> {
    let settings = state.settings.clone();
    let (id, reason) = (id.into_inner(), body.into_inner().reason);
    db::run(&state.pool, move |c| {
        ops::orgs::reject(c, &settings, &user.0, id, &reason)
    })
    .await?;
    Ok(ok())
}

#[derive(Deserialize, ToSchema)]
pub struct NoteBody {
    note: String,
}

/// Accept a code that fails the check character, after seeing the certificate.
#[utoipa::path(params(("id" = i64, Path, description = "Id of the organization")), request_body = NoteBody, tag = "orgs", security(("bearer" = [])), responses((status = 200), (status = 409), (status = 422)))]
#[post("/orgs/{id}/accept-uscc")]
pub(super) async fn accept_uscc(
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: Json<NoteBody>,
) -> Result<HttpResponse, AppError> {
    let (id, note) = (id.into_inner(), body.into_inner().note);
    db::run(&state.pool, move |c| {
        ops::orgs::accept_uscc(c, &user.0, id, &note)
    })
    .await?;
    Ok(ok())
}

#[derive(Deserialize, ToSchema)]
pub struct CreditBody {
    credit_flag_org: bool,
    credit_flag_legal_rep: bool,
    #[serde(default)]
    note: String,
}

#[utoipa::path(params(("id" = i64, Path, description = "Id of the organization")), request_body = CreditBody, tag = "orgs", security(("bearer" = [])), responses((status = 200), (status = 422)))]
#[post("/orgs/{id}/credit")]
pub(super) async fn set_credit(
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: Json<CreditBody>,
) -> Result<HttpResponse, AppError> {
    let (id, b) = (id.into_inner(), body.into_inner());
    db::run(&state.pool, move |c| {
        ops::orgs::set_credit(
            c,
            &user.0,
            id,
            b.credit_flag_org,
            b.credit_flag_legal_rep,
            &b.note,
        )
    })
    .await?;
    Ok(ok())
}

#[derive(Deserialize, ToSchema)]
pub struct BarBody {
    until: chrono::NaiveDate,
    reason: String,
}

/// Bar the organization from the officer's bureau's rounds until a date, with a reason.
#[utoipa::path(params(("id" = i64, Path, description = "Id of the organization")), request_body = BarBody, tag = "orgs", security(("bearer" = [])), responses((status = 200), (status = 403), (status = 422)))]
#[post("/orgs/{id}/bars")]
pub(super) async fn bar_org(
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: Json<BarBody>,
) -> Result<HttpResponse, AppError> {
    let (id, b, settings) = (id.into_inner(), body.into_inner(), state.settings.clone());
    db::run(&state.pool, move |c| {
        ops::orgs::bar(c, &settings, &user.0, id, Some(b.until), &b.reason)
    })
    .await?;
    Ok(ok())
}

#[derive(Deserialize, ToSchema)]
pub struct MemberBody {
    email: String,
    name: String,
}

/// Invite a colleague into the organization.
#[utoipa::path(params(("id" = i64, Path, description = "Id of the organization")), request_body = MemberBody, tag = "orgs", security(("bearer" = [])), responses((status = 201), (status = 403), (status = 422)))]
#[post("/orgs/{id}/members")]
pub(super) async fn invite_member(
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: Json<MemberBody>,
) -> Result<HttpResponse, AppError> {
    let settings = state.settings.clone();
    let (id, b) = (id.into_inner(), body.into_inner());
    let input = InviteInput {
        email: b.email,
        name: b.name,
        ..Default::default()
    };
    let uid = db::run(&state.pool, move |c| {
        ops::accounts::invite(c, &settings, &user.0, &input, Some(id))
    })
    .await?;
    Ok(created(uid))
}

/// Upload a document (multipart: `kind`, `file`; PDF, PNG or JPEG by content).
#[utoipa::path(params(("id" = i64, Path, description = "Id of the organization")), tag = "orgs", security(("bearer" = [])), responses((status = 201), (status = 422)))]
#[post("/orgs/{id}/documents")]
pub(super) async fn upload_document(
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    payload: MultipartBody,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let up = payload
        .read(state.settings.upload_max_bytes, Sender::Bearer)
        .await?;
    let doc = db::run(&state.pool, move |c| {
        ops::orgs::upload_document(c, &user.0, id, &up.kind, &up.filename, &up.bytes)
    })
    .await?;
    Ok(created(doc))
}

#[utoipa::path(params(("id" = i64, Path, description = "Id of the organization"), ("doc" = i64, Path, description = "Id of the registration document")), tag = "orgs", security(("bearer" = [])), responses((status = 200), (status = 404)))]
#[get("/orgs/{id}/documents/{doc}")]
pub(super) async fn download_document(
    user: ApiUser,
    state: web::Data<AppState>,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, AppError> {
    let (id, doc) = path.into_inner();
    crate::web::orgs::document_response(&state, user.0, id, doc).await
}

/// The organization's audit trail, newest first, paged (`page`, `per_page`: 50 by default).
#[utoipa::path(params(("id" = i64, Path, description = "Id of the organization"), PageQuery), tag = "orgs", security(("bearer" = [])), responses((status = 200, body = Vec<crate::queries::audit::HistoryEntry>, headers(("X-Total-Count" = i64, description = "Entries over all pages"), ("Link" = String, description = "RFC 8288 links to the first, previous, next and last pages"))), (status = 403)))]
#[get("/orgs/{id}/history")]
pub(super) async fn org_history(
    req: HttpRequest,
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    q: Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    let (id, page) = (id.into_inner(), q.req()?);
    let rows = db::run(&state.pool, move |c| {
        crate::queries::orgs::history(c, &user.0, id, page)
    })
    .await?;
    Ok(json_page(&req, &rows))
}
