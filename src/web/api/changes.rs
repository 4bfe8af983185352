//! Change requests (项目变更): filing, the list with every plan version, the decision, the
//! withdrawal, attachments and the supplement agreement.

use actix_web::{get, post};

use super::*;

/// File a change request on an active project (`kind`: `extension`, `budget`, `content` or
/// `leader`, with the kind's fields and a reason). It waits for the officer, or applies at
/// once when the round does not require approval of it (the answer's `status` says which).
#[utoipa::path(params(("id" = i64, Path, description = "Id of the project")), request_body = ops::changes::ChangeInput, tag = "projects", security(("bearer" = [])), responses((status = 201, body = crate::db::changes::ChangeRow), (status = 403), (status = 409), (status = 422)))]
#[post("/projects/{id}/changes")]
pub(super) async fn file_change(
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: Json<ops::changes::ChangeInput>,
) -> Result<HttpResponse, AppError> {
    let (id, input, s) = (id.into_inner(), body.into_inner(), state.settings.clone());
    let row = db::run(&state.pool, move |c| {
        let cid = ops::changes::file(c, &s, &user.0, id, &input)?;
        db::changes::find(c, cid)
    })
    .await?;
    Ok(HttpResponse::Created().json(row))
}

/// A project's change requests (newest first) with their outcome, the round's change rules,
/// and every version of the plan.
#[utoipa::path(params(("id" = i64, Path, description = "Id of the project")), tag = "projects", security(("bearer" = [])), responses((status = 200, body = crate::queries::changes::ProjectChangesDetail), (status = 403), (status = 404)))]
#[get("/projects/{id}/changes")]
pub(super) async fn list_changes(
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let v = db::run(&state.pool, move |c| {
        crate::queries::changes::of_project(c, &user.0, id)
    })
    .await?;
    Ok(HttpResponse::Ok().json(crate::queries::changes::ProjectChangesDetail::from(v)))
}

/// One change request with its attachments and, once applied, its supplement agreement.
#[utoipa::path(params(("id" = i64, Path, description = "Id of the change request")), tag = "projects", security(("bearer" = [])), responses((status = 200, body = crate::queries::changes::ChangeDetail), (status = 403), (status = 404)))]
#[get("/changes/{id}")]
pub(super) async fn get_change(
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let v = db::run(&state.pool, move |c| {
        crate::queries::changes::change(c, &user.0, id)
    })
    .await?;
    Ok(HttpResponse::Ok().json(crate::queries::changes::ChangeDetail::from(v)))
}

/// The officer's decision on an open request: `approve`, `partial` (with the approved values)
/// or `refuse` (a reason is required to refuse or approve in part).
#[utoipa::path(params(("id" = i64, Path, description = "Id of the change request")), request_body = ops::changes::DecisionInput, tag = "projects", security(("bearer" = [])), responses((status = 200, body = crate::db::changes::ChangeRow), (status = 403), (status = 409), (status = 422)))]
#[post("/changes/{id}/decision")]
pub(super) async fn decide_change(
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: Json<ops::changes::DecisionInput>,
) -> Result<HttpResponse, AppError> {
    let (id, input, s) = (id.into_inner(), body.into_inner(), state.settings.clone());
    let row = db::run(&state.pool, move |c| {
        ops::changes::decide(c, &s, &user.0, id, &input)?;
        db::changes::find(c, id)
    })
    .await?;
    Ok(HttpResponse::Ok().json(row))
}

/// The organization withdraws its open request.
#[utoipa::path(params(("id" = i64, Path, description = "Id of the change request")), tag = "projects", security(("bearer" = [])), responses((status = 200, body = crate::db::changes::ChangeRow), (status = 403), (status = 409)))]
#[post("/changes/{id}/withdraw")]
pub(super) async fn withdraw_change(
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let (id, s) = (id.into_inner(), state.settings.clone());
    let row = db::run(&state.pool, move |c| {
        ops::changes::withdraw(c, &s, &user.0, id)?;
        db::changes::find(c, id)
    })
    .await?;
    Ok(HttpResponse::Ok().json(row))
}

/// Attach a file to an open request (multipart `file`: PDF, PNG or JPEG); it downloads as a
/// project file (`/projects/{id}/files/{fid}`).
#[utoipa::path(params(("id" = i64, Path, description = "Id of the change request")), tag = "projects", security(("bearer" = [])), responses((status = 201), (status = 409), (status = 422)))]
#[post("/changes/{id}/files")]
pub(super) async fn attach_change_file(
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    payload: MultipartBody,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let up = payload
        .read(state.settings.upload_max_bytes, Sender::Bearer)
        .await?;
    let fid = db::run(&state.pool, move |c| {
        ops::changes::attach(c, &user.0, id, &up.filename, &up.bytes)
    })
    .await?;
    Ok(created(fid))
}

/// The supplement agreement (补充协议) of an applied change as a PDF: the stored document as
/// issued, with its SHA-256 as `ETag`.
#[utoipa::path(params(("id" = i64, Path, description = "Id of the change request")), tag = "projects", security(("bearer" = [])), responses((status = 200, content_type = "application/pdf"), (status = 304), (status = 404)))]
#[get("/changes/{id}/supplement.pdf")]
pub(super) async fn change_supplement(
    user: ApiUser,
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    crate::web::documents::supplement_response(&state, &req, user.0, id.into_inner()).await
}
